import type { PrimaryObservation } from '../../functions/core/group-state.ts';
import { describe, expect, it } from 'vitest';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { createHarness } from '../unit/handlers/fakes/fake-world.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };

describe('replicate workflow (local runtime, fake ports)', () => {
  it('replicates every database, loops until caught up, publishes env, and leaks no secret', async () => {
    // Prepare
    const h = await createHarness();
    for (const d of h.group.databases) h.world.db('127.0.2.1', d.name).catchUpPerRead = 1024;
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.cause ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    for (const d of h.group.databases) {
      expect(h.world.db('127.0.2.1', d.name)).toMatchObject({ role: 'replica', streaming: true, position: 0x3000148 });
    }
    const checks = result.events.filter((e) => e.state === 'CheckReplication' && e.type === 'succeeded');
    expect(checks.length).toBeGreaterThan(2 * 2);
    expect(h.world.files.size).toBe(4);
    for (const db of ['main', 'audit']) {
      const observation = JSON.parse((await h.params.get(parameterNames.observation('shop', db))) ?? '{}') as PrimaryObservation;
      expect(observation).toMatchObject({ at: '2026-01-01T12:00:00.000Z', position: '0/3000148' });
    }
    const serialized = JSON.stringify(result);
    for (const secret of h.secrets()) expect(serialized).not.toContain(secret);
    expect(h.world.openShells).toBe(0);
  });

  it('fails with ReplicaNotCaughtUpError after a bounded number of checks, through ReportFailure', async () => {
    // Prepare
    const h = await createHarness();
    h.world.db('127.0.2.1', 'main').catchUpPerRead = 0;
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReplicaNotCaughtUpError');
    expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    expect(result.events.filter((e) => e.state === 'CheckReplication' && e.type === 'succeeded').length).toBe(121);
    expect(result.events.some((e) => e.state === 'PublishEnvVars')).toBe(false);
  });

  it('refuses to restore over an active twin: FAILED with RestoreRefused, nothing restored', async () => {
    // Prepare
    const h = await createHarness();
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreRefused');
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toHaveLength(0);
  });

  it('retries an unreachable twin, then reports HostUnreachableError', async () => {
    // Prepare
    const h = await createHarness();
    h.world.unreachable.add('127.0.2.1');
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('HostUnreachableError');
    expect(result.events.filter((e) => e.state === 'RestoreReplica' && e.type === 'retry')).toHaveLength(3);
  });

  it('one workflow changing the group at a time: a replicate while a failover holds the group lease waits, bounded, then fails GroupBusy, doing nothing', async () => {
    // Prepare: a failover execution holds the group lease
    const h = await createHarness();
    await h.deps.lease?.acquire('group:shop', 'failover-alarm', 3600);
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'replicate-1' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('GroupBusy');
    expect(result.events.some((e) => e.state === 'PlanReplication')).toBe(false);
    expect(h.world.execs).toEqual([]);
    expect(await h.deps.lease?.acquire('group:shop', 'failover-alarm', 3600)).toBe(true);
  });

  it.each([
    ['a replication', () => createHarness(), 'SUCCEEDED'],
    ['a catch-up failure', async () => {
      const h = await createHarness();
      h.world.db('127.0.2.1', 'main').catchUpPerRead = 0;
      return h;
    }, 'FAILED'],
    ['a refused restore', async () => {
      const h = await createHarness();
      await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
      return h;
    }, 'FAILED'],
  ] as const)('gives the group lease back after %s, so a failover can act', async (_case, prepare, status) => {
    // Prepare
    const h = await prepare();
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'replicate-1' });
    // Assess
    expect(result.status).toBe(status);
    expect(result.events.some((e) => e.state === 'AcquireGroupLease' && e.type === 'succeeded')).toBe(true);
    expect(result.events.some((e) => e.state === 'ReleaseGroupLease' && e.type === 'succeeded')).toBe(true);
    expect(await h.deps.lease?.acquire('group:shop', 'failover-alarm', 60)).toBe(true);
  });
});
