import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLeaseStore } from '../../functions/adapters/local/file.lease-store.ts';
import { systemClock } from '../../functions/adapters/system.clock.ts';
import type { DeployState } from '../../functions/core/deploy/deploy-state.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { createDeployHarness, push, REV_A, REV_B, type DeployHarness } from '../unit/handlers/fakes/fake-deploy-hosts.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };
const EU = ['127.0.1.1', '127.0.1.2'];
const DE = ['127.0.2.1', '127.0.2.2'];

/** The stored deploy state: per-stack records and, in its own parameter, the desired revision. */
async function deployState(h: DeployHarness): Promise<DeployState> {
  const stored = JSON.parse((await h.params.get(parameterNames.deployState('shop'))) ?? '{}') as DeployState;
  const desired = JSON.parse((await h.params.get(parameterNames.deployDesired('shop'))) ?? 'null') as DeployState['desired'] | null;
  return { ...stored, ...(desired ? { desired } : {}) };
}

const deploy = (h: DeployHarness, input: unknown, executionName?: string, timing = FAST) =>
  runWorkflow({ workflow: 'deploy', input, deps: h.deps, timing, ...(executionName ? { executionName } : {}) });

describe('deploy workflow (local runtime, fake hosts)', () => {
  it('deploys the pushed revision to every host of both stacks, records it, reports no drift and releases the lease', async () => {
    // Prepare
    const h = await createDeployHarness();
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'), 'exec-1');
    // Assess
    expect(result.cause ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    for (const address of [...EU, ...DE]) expect(h.fleet.host(address)).toMatchObject({ marker: REV_A, checkedOut: REV_A, deploys: [REV_A] });
    expect(h.fleet.host('127.0.2.2').envFile).toContain(`TWINSTACK_REVISION='${REV_A}'`);
    expect(h.fleet.host('127.0.2.2').envFile).toContain('DATABASE_URL_MAIN=');
    const state = await deployState(h);
    expect(state.desired?.revision).toBe(REV_A);
    expect(state.stacks['shop-eu']).toMatchObject({ deployed: REV_A, status: 'deployed' });
    expect(state.stacks['shop-de']).toMatchObject({ deployed: REV_A, status: 'deployed' });
    expect(result.output).toMatchObject({ drift: { inSync: true } });
    expect(h.metrics).toEqual([{ name: 'DeployDrift', value: 0, dimensions: { group: 'shop' } }]);
    expect(h.lease.leases.size).toBe(0);
    expect(h.lease.releases).toEqual([{ key: 'deploy:shop', holder: 'exec-1' }]);
    expect(h.fleet.openShells).toBe(0);
    expect(JSON.stringify(result)).not.toContain('pw-S3cret');
  });

  it('deploys both stacks in parallel, and one host at a time within a stack (hostConcurrency 1)', async () => {
    // Prepare
    const h = await createDeployHarness({ hostConcurrency: 1 });
    for (const address of [...EU, ...DE]) h.fleet.deployMs.set(address, 30);
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'));
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(h.fleet.maxInFlight).toBe(2);
    expect([...h.fleet.maxInFlightByStack.values()]).toEqual([1, 1]);
  });

  it('runs hostConcurrency hosts of a stack at once (MaxConcurrencyPath)', async () => {
    // Prepare
    const h = await createDeployHarness({ hostConcurrency: 2 });
    for (const address of [...EU, ...DE]) h.fleet.deployMs.set(address, 30);
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'));
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect([...h.fleet.maxInFlightByStack.values()]).toEqual([2, 2]);
  });

  it('one host fails: its stack is reported failed, the other stack still deploys, drift is reported, the lease is released', async () => {
    // Prepare
    const h = await createDeployHarness();
    h.fleet.failing.add('127.0.1.2');
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'), 'exec-fail');
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeployDrift');
    expect(result.cause).toMatch(/shop-eu failed to deploy aaaaaaa: RemoteCommandError/);
    for (const address of DE) expect(h.fleet.host(address).deploys).toEqual([REV_A]);
    expect(h.fleet.host('127.0.1.2').marker).toBe('');
    const state = await deployState(h);
    expect(state.stacks['shop-eu']).toMatchObject({ status: 'failed', failedRevision: REV_A });
    expect(state.stacks['shop-de']).toMatchObject({ status: 'deployed', deployed: REV_A });
    expect(h.metrics.map((m) => m.value)).toEqual([1]);
    expect(h.lease.leases.size).toBe(0);
  });

  it('an unreachable host is retried, then its stack is reported failed while the other deploys', async () => {
    // Prepare
    const h = await createDeployHarness();
    h.fleet.unreachable.add('127.0.2.1');
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'));
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeployDrift');
    expect(result.events.filter((e) => e.state === 'DeployHost' && e.type === 'retry')).toHaveLength(3);
    for (const address of EU) expect(h.fleet.host(address).deploys).toEqual([REV_A]);
    expect(h.lease.leases.size).toBe(0);
  });

  it('an unhealthy stack after its deploy is reported failed after a bounded number of checks', async () => {
    // Prepare
    const h = await createDeployHarness();
    h.health.healthy.set(h.group.twin.healthUrl, false);
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'));
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.cause).toMatch(/shop-de failed to deploy aaaaaaa: health check failed/);
    expect(result.events.filter((e) => e.state === 'CheckStackHealth' && e.type === 'entered')).toHaveLength(1 + 30 + 1);
  });

  it('a second execution for the same revision is a no-op: nothing runs on any host', async () => {
    // Prepare
    const h = await createDeployHarness();
    await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z', 'delivery-1'));
    const execsBefore = h.fleet.execs.length;
    // Act
    const again = await deploy(h, push(REV_A, '2026-01-01T12:00:05.000Z', 'delivery-2'));
    // Assess
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({ plan: { action: 'none', skipped: ['shop-eu', 'shop-de'] } });
    expect(h.fleet.execs.length).toBe(execsBefore);
    expect(h.lease.leases.size).toBe(0);
  });

  it('an older revision arriving after a newer one is never deployed (order never reversed)', async () => {
    // Prepare
    const h = await createDeployHarness();
    await deploy(h, push(REV_B, '2026-01-01T12:00:10.000Z'));
    // Act
    const late = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'));
    // Assess
    expect(late.status).toBe('SUCCEEDED');
    expect(late.output).toMatchObject({ request: { action: 'superseded' } });
    for (const address of [...EU, ...DE]) expect(h.fleet.host(address).deploys).toEqual([REV_B]);
    expect((await deployState(h)).desired?.revision).toBe(REV_B);
    expect(h.lease.acquisitions).toHaveLength(1);
  });

  it('two executions at once: the second waits for the lease, deploys the newest revision, and no stack ever goes backwards', async () => {
    // Prepare
    const h = await createDeployHarness();
    for (const address of [...EU, ...DE]) h.fleet.deployMs.set(address, 20);
    // Act
    const [first, second] = await Promise.all([
      deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'), 'exec-a', { retryIntervalMs: 0, waitMs: 5 }),
      deploy(h, push(REV_B, '2026-01-01T12:00:01.000Z'), 'exec-b', { retryIntervalMs: 0, waitMs: 5 }),
    ]);
    // Assess
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(h.lease.acquisitions.some((a) => !a.acquired)).toBe(true);
    expect(h.fleet.maxInFlightByStack.get('127.0.1')).toBe(1);
    for (const address of [...EU, ...DE]) {
      const deploys = h.fleet.host(address).deploys;
      expect(deploys.at(-1)).toBe(REV_B);
      expect(deploys.indexOf(REV_B)).toBe(deploys.length - 1);
    }
    expect((await deployState(h)).stacks['shop-de']).toMatchObject({ deployed: REV_B });
    expect(h.lease.leases.size).toBe(0);
  });

  it('serialises two executions with the local file lease store as well', async () => {
    // Prepare
    const h = await createDeployHarness();
    const dir = await mkdtemp(join(tmpdir(), 'twinstack-deploy-'));
    const lease = new FileLeaseStore(join(dir, 'leases.json'), systemClock);
    for (const address of [...EU, ...DE]) h.fleet.deployMs.set(address, 20);
    const run = (revision: string, at: string, name: string) =>
      runWorkflow({ workflow: 'deploy', input: push(revision, at), deps: { ...h.deps, lease }, timing: { retryIntervalMs: 0, waitMs: 5 }, executionName: name });
    try {
      // Act
      const results = await Promise.all([run(REV_A, '2026-01-01T12:00:00.000Z', 'exec-a'), run(REV_B, '2026-01-01T12:00:01.000Z', 'exec-b')]);
      // Assess
      expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(h.fleet.maxInFlightByStack.get('127.0.2')).toBe(1);
      for (const address of [...EU, ...DE]) expect(h.fleet.host(address).deploys.at(-1)).toBe(REV_B);
      expect(await lease.holderOf('deploy:shop')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up after a bounded wait when another execution keeps the lease, and leaves that lease alone', async () => {
    // Prepare
    const h = await createDeployHarness();
    await h.lease.acquire('deploy:shop', 'someone-else', 7200);
    // Act
    const result = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z'), 'exec-late');
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeployLeaseTimeout');
    expect(h.lease.acquisitions.filter((a) => a.holder === 'exec-late')).toHaveLength(361);
    expect(h.lease.leases.get('deploy:shop')?.holder).toBe('someone-else');
    expect(h.fleet.execs).toEqual([]);
  });

  it('re-running after a failure deploys only what is missing (idempotent hosts)', async () => {
    // Prepare
    const h = await createDeployHarness();
    h.fleet.failing.add('127.0.1.2');
    await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z', 'delivery-1'));
    h.fleet.failing.clear();
    // Act
    const retry = await deploy(h, push(REV_A, '2026-01-01T12:00:00.000Z', 'delivery-1'));
    // Assess
    expect(retry.status).toBe('SUCCEEDED');
    expect(retry.output).toMatchObject({ plan: { skipped: ['shop-de'] }, drift: { inSync: true } });
    expect(h.fleet.host('127.0.1.1').deploys).toEqual([REV_A]);
    expect(h.fleet.host('127.0.1.2').deploys).toEqual([REV_A]);
  });

  it('a request for another branch is caught, reported, and fails without deploying or holding the lease', async () => {
    // Prepare
    const h = await createDeployHarness();
    // Act
    const result = await deploy(h, { ...push(REV_A, '2026-01-01T12:00:00.000Z'), branch: 'feature' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInputError');
    expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    expect(h.fleet.execs).toEqual([]);
    expect(h.lease.leases.size).toBe(0);
  });
});
