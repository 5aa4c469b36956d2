/**
 * Benchmark (issue #9 target): a local clone of a one-host stack without data ≤ 15 s.
 *
 * The source: one lab host with its own sshd and dockerd holding the lab's node base image
 * (~100 MB, as a deployed stack) and a small app image, and one empty PostgreSQL primary
 * (test/integration/fixtures/lab-clone-source.fixture.ts). One clone, through the Compute
 * port of the local runtime (lab-compute.ts), is what the clone-stack workflow asks of it:
 * describeStack → createImage → copyImage → ensureSecurityGroup → runInstance →
 * describeInstances + hostKeyOf → a first SSH login pinned to that key. Each round clones
 * anew (its own names and tokens), then terminates and deregisters (not timed).
 *
 *   npx tsx test/bench/clone.bench.ts [--runs 5]   rounds in one process, median printed
 *   npx tsx test/bench/clone.bench.ts --runs 0     only the source setup (the baseline of a
 *                                                  whole-process comparison, e.g. /usr/bin/time)
 * Root, shares the integration test's lab root and addresses: not at the same time as it.
 */
import { performance } from 'node:perf_hooks';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { cloneTags } from '../../functions/core/compute.ts';
import { LAB_SUBNET, LAB_VPC } from '../../infra/local/runtime/lab-compute.ts';
import { CLONE_SOURCE, CLONE_SOURCE_STACK, startCloneSource, type CloneSource } from '../integration/fixtures/lab-clone-source.fixture.ts';

const runsAt = process.argv.indexOf('--runs');
const RUNS = Math.min(20, Math.max(0, Number(runsAt >= 0 ? process.argv[runsAt + 1] : 5)));
const SOURCE_REGION = 'local';
const TARGET_REGION = 'local-twin';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface Round {
  readonly totalMs: number;
  readonly phases: Readonly<Record<string, number>>;
}

async function cloneOnce(lab: CloneSource, shell: Ssh2RemoteShell, round: number): Promise<Round> {
  const { compute } = lab;
  const cloneId = `bench-${process.pid}-${round}`;
  const tags = cloneTags(cloneId, 'bench-twin', 'db');
  const phases: Record<string, number> = {};
  let last = performance.now();
  const started = last;
  const mark = (phase: string) => {
    const now = performance.now();
    phases[phase] = now - last;
    last = now;
  };
  const stack = await compute.describeStack(SOURCE_REGION, CLONE_SOURCE_STACK);
  const instance = stack.instances[0];
  if (!instance) throw new Error('the source stack has no instance');
  mark('describe');
  const { imageId } = await compute.createImage(SOURCE_REGION, instance.id, { name: `${cloneId}-db`, noReboot: true, tags });
  mark('createImage');
  const { imageId: copyId } = await compute.copyImage(SOURCE_REGION, imageId, TARGET_REGION, { name: `${cloneId}-db`, kmsKeyId: 'local', clientToken: `${cloneId}-copy`, tags });
  if ((await compute.imageState(TARGET_REGION, copyId)) !== 'available') throw new Error(`copy ${copyId} not available`);
  mark('copyImage');
  const { groupId } = await compute.ensureSecurityGroup(TARGET_REGION, LAB_VPC, { name: 'bench-twin-app', description: 'bench', ingress: [], egress: [], tags: cloneTags(cloneId, 'bench-twin') });
  const { instanceId } = await compute.runInstance(TARGET_REGION, { clientToken: `${cloneId}-db`, imageId: copyId, instanceType: instance.instanceType, subnetId: LAB_SUBNET, securityGroupIds: [groupId], volumes: [], tags });
  mark('runInstance');
  const [launched] = await compute.describeInstances(TARGET_REGION, [instanceId]);
  const hostKey = await compute.hostKeyOf(TARGET_REGION, instanceId);
  if (launched?.state !== 'running' || !launched.privateAddress || !hostKey) throw new Error(`${instanceId} not ready: ${JSON.stringify(launched)}`);
  await shell.exec({ name: 'db', address: launched.privateAddress, sshPort: CLONE_SOURCE.sshPort, user: lab.user.name, hostKey }, { description: 'first login', argv: ['true'], timeoutMs: 10_000 });
  mark('pinned login');
  const totalMs = performance.now() - started;
  await compute.terminateInstances(TARGET_REGION, [instanceId]);
  await compute.deregisterImage(TARGET_REGION, copyId);
  await compute.deregisterImage(SOURCE_REGION, imageId);
  return { totalMs, phases };
}

async function main(): Promise<void> {
  const lab = await startCloneSource({ baseImage: true });
  const shell = new Ssh2RemoteShell({ privateKey: lab.user.privateKey });
  try {
    const rounds: Round[] = [];
    for (let i = 0; i < RUNS; i += 1) rounds.push(await cloneOnce(lab, shell, i));
    if (RUNS === 0) {
      console.log('clone bench: source set up only (baseline)');
      return;
    }
    const total = median(rounds.map((r) => r.totalMs));
    console.log(`clone bench: ${RUNS} local clones of a one-host stack without data (base + app image, one PostgreSQL), median`);
    for (const phase of Object.keys(rounds[0]?.phases ?? {})) console.log(`  ${phase.padEnd(14)} ${median(rounds.map((r) => r.phases[phase] ?? 0)).toFixed(0)} ms`);
    console.log(`  total          ${total.toFixed(0)} ms (rounds ${rounds.map((r) => r.totalMs.toFixed(0)).join(', ')}; target ≤ 15000): ${total <= 15_000 ? 'MET' : 'MISSED'}`);
  } finally {
    await shell.close();
    await lab.dispose();
  }
}

await main();
