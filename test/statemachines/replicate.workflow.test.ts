import type { PrimaryObservation } from '../../functions/core/group-state.ts';
import { describe, expect, it } from 'vitest';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import * as prepare from '../../functions/handlers/prepare-primary.handler.ts';
import * as restore from '../../functions/handlers/restore-replica.handler.ts';
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
  describe('restores as detached jobs on the twin, polled by a bounded Wait loop', () => {
    it('starts one job per database with the execution name as token, polls it while running, then replicates', async () => {
      // Prepare
      const h = await createHarness();
      h.world.jobs.runningReads = 3;
      h.world.jobs.progressTotal = 4096;
      // Act
      const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'replicate-7' });
      // Assess
      expect(result.status).toBe('SUCCEEDED');
      expect(h.world.jobs.runs.map((r) => [r.host, r.directory, r.token])).toEqual([
        ['127.0.2.1', '.twinstack/jobs/restore-shop-main', 'replicate-7'],
        ['127.0.2.1', '.twinstack/jobs/restore-shop-audit', 'replicate-7'],
      ]);
      const polls = result.events.filter((e) => e.state === 'PollRestoreReplica' && e.type === 'succeeded');
      expect(polls).toHaveLength(2 * 4);
      // Every poll carries its database's progress for displays (the CLI's --wait): bytes of the 4096 total.
      expect(new Set(polls.map((e) => e.progress?.database))).toEqual(new Set(['main', 'audit']));
      expect(polls.every((e) => e.progress?.bytesTotal === 4096 && e.progress.bytesDone <= 4096)).toBe(true);
      expect(result.events.filter((e) => e.state === 'StartReplication' && e.type === 'succeeded')).toHaveLength(2);
      for (const d of h.group.databases) expect(h.world.db('127.0.2.1', d.name)).toMatchObject({ role: 'replica', streaming: true });
      const serialized = JSON.stringify(result);
      for (const secret of h.secrets()) expect(serialized).not.toContain(secret);
    });

    it('a re-run while a restore job of an earlier run still runs attaches to it: no second restore', async () => {
      // Prepare: run replicate-1 started main's restore job, then its execution was lost
      const h = await createHarness();
      await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
      h.world.jobs.runningReads = 4;
      expect(await restore.createHandler(h.deps)({ group: 'shop', database: 'main', run: 'replicate-1' })).toMatchObject({ action: 'started' });
      // Act
      const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'replicate-2' });
      // Assess
      expect(result.status).toBe('SUCCEEDED');
      expect(h.world.jobs.runs.filter((r) => r.directory.endsWith('restore-shop-main')).map((r) => r.token)).toEqual(['replicate-1']);
      expect(h.world.db('127.0.2.1', 'main')).toMatchObject({ role: 'replica', streaming: true });
    });

    it('a failed job ends in ReportFailure with its reason, the log tail redacted, and no replication started', async () => {
      // Prepare
      const h = await createHarness();
      await h.params.put(parameterNames.secret('shop', 'main', 'replication-password'), 'repl-main-S3cret!x', { secret: true });
      await h.params.put(parameterNames.secret('shop', 'main', 'app-password'), 'app-main-S3cret!y', { secret: true });
      h.world.jobs.runningReads = 1;
      h.world.jobs.nextOutcome = { exitCode: 1, log: ['pg_basebackup: error: could not connect to server: Connection refused', 'password=repl-main-S3cret!x'] };
      // Act
      const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'replicate-3' });
      // Assess
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('RestoreJobFailedError');
      expect(result.cause).toContain('job exited with code 1');
      expect(result.cause).toContain('Connection refused');
      expect(result.cause).not.toContain('repl-main-S3cret!x');
      expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
      expect(result.events.some((e) => e.state === 'StartReplication')).toBe(false);
      expect(result.events.filter((e) => e.state === 'PollRestoreReplica' && e.type === 'retry')).toHaveLength(0);
      expect(JSON.stringify(result)).not.toContain('repl-main-S3cret!x');
    });

    it('a refused restore starts no job; a twin already streaming is skipped without a job', async () => {
      // Prepare
      const refused = await createHarness();
      await refused.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
      const streaming = await createHarness();
      for (const d of streaming.group.databases) Object.assign(streaming.world.db('127.0.2.1', d.name), { role: 'replica', streaming: true, position: 0x3000148 });
      // Act
      const refusedRun = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: refused.deps, timing: FAST });
      const skippedRun = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: streaming.deps, timing: FAST });
      // Assess
      expect([refusedRun.status, refusedRun.error]).toEqual(['FAILED', 'RestoreRefused']);
      expect(refused.world.jobs.runs).toEqual([]);
      expect(skippedRun.status).toBe('SUCCEEDED');
      expect(streaming.world.jobs.runs).toEqual([]);
      expect(skippedRun.events.some((e) => e.state === 'PollRestoreReplica')).toBe(false);
    });

    it('a job that never ends fails RestoreJobFailedError after a bounded number of polls, through ReportFailure', async () => {
      // Prepare
      const h = await createHarness();
      h.world.jobs.runningReads = Number.MAX_SAFE_INTEGER;
      // Act
      const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST });
      // Assess
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('RestoreJobFailedError');
      expect(result.cause).toMatch(/still running after 1400 polls/);
      expect(result.events.filter((e) => e.state === 'PollRestoreReplica' && e.type === 'succeeded')).toHaveLength(1401);
      expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    }, 60_000);
  });
});
