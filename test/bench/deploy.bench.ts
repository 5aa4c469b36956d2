/**
 * Benchmark (issue #3 target): deploying two stacks takes ≤ 1.1 × the slower stack alone,
 * because primary and twin deploy in parallel.
 *
 * Runs the real deploy ASL on the local runtime with fake hosts whose deploy command
 * takes a fixed simulated time (HOST_MS per host, hosts of a stack one at a time).
 * "Alone" = the other stack already runs the revision (PlanDeploy skips it).
 *
 *   npx tsx test/bench/deploy.bench.ts [runs=5] [hostMs=250]
 */
import { parameterNames } from '../../functions/core/parameter-names.ts';
import type { DeployState } from '../../functions/core/deploy/deploy-state.ts';
import { prepareWorkflow, runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { createDeployHarness, push, REV_A } from '../unit/handlers/fakes/fake-deploy-hosts.ts';

const RUNS = Math.min(50, Math.max(1, Number(process.argv[2] ?? 5)));
const HOST_MS = Math.min(10_000, Math.max(1, Number(process.argv[3] ?? 250)));
const RECEIVED = '2026-01-01T12:00:00.000Z';

type Scenario = 'primary alone' | 'twin alone' | 'both';

async function once(scenario: Scenario): Promise<number> {
  const h = await createDeployHarness({ hostConcurrency: 1 });
  for (const address of ['127.0.1.1', '127.0.1.2', '127.0.2.1', '127.0.2.2']) h.fleet.deployMs.set(address, HOST_MS);
  const version = { revision: REV_A, receivedAt: RECEIVED, deliveryId: 'bench', sequence: 1 };
  const already = scenario === 'primary alone' ? h.group.twin.name : scenario === 'twin alone' ? h.group.primary.name : undefined;
  const state: DeployState = { desired: version, stacks: already ? { [already]: { deployed: REV_A, version, status: 'deployed' } } : {} };
  await h.params.put(parameterNames.deployState('shop'), JSON.stringify(state));
  const result = await runWorkflow({ workflow: 'deploy', input: push(REV_A, RECEIVED, 'bench'), deps: h.deps, timing: { retryIntervalMs: 0, waitMs: 0 } });
  if (result.status !== 'SUCCEEDED') throw new Error(`${scenario}: ${result.error ?? ''} ${result.cause ?? ''}`);
  return result.durationMs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  await prepareWorkflow('deploy');
  await once('both'); // warm-up (module loading, JIT)
  const times: Record<Scenario, number[]> = { 'primary alone': [], 'twin alone': [], both: [] };
  for (let i = 0; i < RUNS; i += 1) {
    for (const scenario of Object.keys(times) as Scenario[]) times[scenario].push(await once(scenario));
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<Scenario, number>;
  const slower = Math.max(m['primary alone'], m['twin alone']);
  const ratio = m.both / slower;
  console.log(`deploy bench: ${RUNS} runs, 2 hosts per stack, ${HOST_MS} ms per host, hostConcurrency 1 (medians)`);
  for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(14)} ${v.toFixed(1)} ms`);
  console.log(`  ratio both / slower alone = ${ratio.toFixed(3)} (target ≤ 1.1): ${ratio <= 1.1 ? 'MET' : 'MISSED'}`);
}

await main();
