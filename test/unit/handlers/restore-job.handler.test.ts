import { describe, expect, it } from 'vitest';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as poll from '../../../functions/handlers/poll-restore-replica.handler.ts';
import * as prepare from '../../../functions/handlers/prepare-primary.handler.ts';
import * as restore from '../../../functions/handlers/restore-replica.handler.ts';
import { createHarness, type Harness } from './fakes/fake-world.ts';

const MAIN = { group: 'shop', database: 'main' } as const;
const JOB_DIR = '.twinstack/jobs/restore-shop-main';

async function prepared(): Promise<Harness> {
  const h = await createHarness();
  await prepare.createHandler(h.deps)(MAIN);
  return h;
}

async function replicationPassword(h: Harness): Promise<string> {
  return (await h.params.get(parameterNames.secret('shop', 'main', 'replication-password'))) ?? '';
}

describe('RestoreReplica and PollRestoreReplica (detached restore job)', () => {
  it('starts the engine restore as a job on the twin, secrets only in secretEnv, and the poll follows it to succeeded with progress', async () => {
    // Prepare
    const h = await prepared();
    h.world.jobs.runningReads = 2;
    h.world.jobs.progressTotal = 3 * 1024 * 1024;
    const password = await replicationPassword(h);
    // Act
    const started = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    const polls = [];
    for (let i = 0; i < 3; i++) polls.push(await poll.createHandler(h.deps)({ ...MAIN, run: 'replicate-1', job: started.job }));
    // Assess
    expect(started).toMatchObject({ action: 'started', job: { name: 'restore-shop-main', token: 'replicate-1' } });
    const startExec = h.world.execs.find((e) => e.argv[0] === 'sh' && e.argv[4] === JOB_DIR && e.argv[5] === 'replicate-1');
    expect(startExec?.host).toBe('127.0.2.1');
    expect(startExec?.secretEnv?.REPLICATION_PASSWORD).toBe(password);
    expect(startExec?.argv.join(' ')).not.toContain(password);
    expect(polls.map((p) => p.state)).toEqual(['running', 'running', 'succeeded']);
    expect(polls[0]?.progress).toEqual({ bytesDone: 1024 * 1024, bytesTotal: 3 * 1024 * 1024 });
    expect(polls[0]?.reasons.join(' ')).toContain('1.0 MiB of 3.0 MiB (33%)');
    expect(h.world.db('127.0.2.1', 'main').role).toBe('replica');
    expect(h.world.jobs.runs).toHaveLength(1);
    expect(JSON.stringify([started, polls])).not.toContain(password);
    expect(h.world.openShells).toBe(0);
  });

  it('a re-run while the job runs attaches to it (another run token) and starts nothing', async () => {
    // Prepare
    const h = await prepared();
    h.world.jobs.runningReads = 5;
    const first = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    // Act
    const second = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-2' });
    const retried = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    // Assess
    expect(first.action).toBe('started');
    expect(second).toMatchObject({ action: 'attached', job: { token: 'replicate-1' } });
    expect(second.reasons.join(' ')).toMatch(/running on the twin \(run replicate-1\)/);
    expect(retried.action).toBe('attached');
    expect(h.world.jobs.runs).toHaveLength(1);
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toHaveLength(0);
  });

  it('a retry with the token of a run that already ended does not run it again', async () => {
    // Prepare: the run failed (twin left stopped)
    const h = await prepared();
    h.world.jobs.nextOutcome = { exitCode: 1, log: ['pg_basebackup: error: could not connect'] };
    await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    // Act
    const again = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    // Assess
    expect(again.action).toBe('attached');
    expect(again.reasons.join(' ')).toContain('already ran for run replicate-1 (exit code 1): not run again');
    expect(h.world.jobs.runs).toHaveLength(1);
  });

  it.each([
    { name: 'a non-zero exit', outcome: { exitCode: 2, log: ['pg_basebackup: error: connection refused'] }, says: /exited with code 2.*connection refused/s },
    { name: 'a job killed without an exit status', outcome: { vanish: true, log: ['copying'] }, says: /without an exit status: killed or host rebooted/ },
  ])('a failed job ($name) throws RestoreJobFailedError with its reason and log tail, secrets redacted', async ({ outcome, says }) => {
    // Prepare
    const h = await prepared();
    const password = await replicationPassword(h);
    h.world.jobs.nextOutcome = { ...outcome, log: [...outcome.log, `primary_conninfo password=${password}`] };
    const started = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    // Act
    const attempt = poll.createHandler(h.deps)({ ...MAIN, run: 'replicate-1', job: started.job });
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'RestoreJobFailedError', message: expect.stringMatching(says) as unknown });
    const error = (await attempt.then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toContain('password=***');
    expect(error.message).not.toContain(password);
  });

  it('a job that is not there (its directory removed) is a failure, not a wait', async () => {
    // Prepare
    const h = await prepared();
    // Act
    const attempt = poll.createHandler(h.deps)({ ...MAIN, run: 'replicate-1', job: { name: 'restore-shop-main', token: 'replicate-1' } });
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'RestoreJobFailedError', message: expect.stringContaining('no restore job restore-shop-main') as unknown });
  });

  it.each([
    { name: 'a token with a space', job: { name: 'restore-shop-main', token: 'replicate 1' } },
    { name: 'another database’s job', job: { name: 'restore-shop-audit', token: 'replicate-1' } },
    { name: 'no job at all', job: undefined },
  ])('PollRestoreReplica refuses $name (InvalidInputError), running nothing', async ({ job }) => {
    // Prepare
    const h = await prepared();
    const before = h.world.execs.length;
    // Act
    const attempt = poll.createHandler(h.deps)({ ...MAIN, run: 'replicate-1', job: job as never });
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(h.world.execs.length).toBe(before);
  });

  it('RestoreReplica refuses an invalid run token before touching any host', async () => {
    // Prepare
    const h = await prepared();
    const before = h.world.execs.length;
    // Act
    const attempt = restore.createHandler(h.deps)({ ...MAIN, run: '$(reboot)' });
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(h.world.execs.length).toBe(before);
  });
});

describe('PollRestoreReplica and the group lease', () => {
  it('renews the lease of its own run on every poll, and stops with LeaseLostError once another execution holds it', async () => {
    // Prepare
    const h = await prepared();
    h.world.jobs.runningReads = 5;
    await h.deps.lease?.acquire('group:shop', 'replicate-1', 60);
    const started = await restore.createHandler(h.deps)({ ...MAIN, run: 'replicate-1' });
    const handle = poll.createHandler(h.deps);

    // Act
    const first = await handle({ ...MAIN, run: 'replicate-1', job: started.job });
    await h.deps.lease?.release('group:shop', 'replicate-1');
    await h.deps.lease?.acquire('group:shop', 'failover-2', 60);
    const execsBefore = h.world.execs.length;
    const lost = handle({ ...MAIN, run: 'replicate-1', job: started.job });

    // Assess
    expect(first.state).toBe('running');
    await expect(lost).rejects.toMatchObject({ name: 'LeaseLostError' });
    expect(h.world.execs.length).toBe(execsBefore);
  });
});
