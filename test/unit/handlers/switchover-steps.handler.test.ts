import { describe, expect, it } from 'vitest';
import { InvalidInputError, PromotionError, RejoinRefusedError } from '../../../functions/core/errors.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as assessSwitchover from '../../../functions/handlers/assess-switchover.handler.ts';
import * as catchUp from '../../../functions/handlers/check-switchover-catch-up.handler.ts';
import * as demote from '../../../functions/handlers/demote-database.handler.ts';
import * as rejoin from '../../../functions/handlers/rejoin-database.handler.ts';
import * as report from '../../../functions/handlers/report-failure.handler.ts';
import * as undo from '../../../functions/handlers/undo-demotion.handler.ts';
import { createHarness, fixedClock, replicateInWorld, type Harness } from './fakes/fake-world.ts';

const ran = (h: Harness, op: string) => h.world.execs.filter((e) => e.argv[1] === op);

/** Replicated, then `main` moved to the twin: promoted there at 0/3000148 (its fork), the old primary left as `old`. */
async function moved(old: Record<string, unknown>): Promise<Harness> {
  const h = await createHarness();
  await replicateInWorld(h);
  Object.assign(h.world.db('127.0.2.1', 'main'), { role: 'primary', writable: true, streaming: false, promotedByTwinstack: true, forkPosition: 0x3000148, position: 0x3000148, upstream: undefined });
  Object.assign(h.world.db('127.0.1.1', 'main'), old);
  return h;
}

describe('RejoinDatabase handler', () => {
  it("re-points a switchover's demoted old primary at the new one: nothing diverged; a re-run changes nothing", async () => {
    // Prepare
    const h = await moved({ role: 'primary', writable: false, demoted: true, position: 0x3000148 });
    const step = rejoin.createHandler(h.deps);
    // Act
    const first = await step({ group: 'shop', database: 'main', source: 'twin' });
    const again = await step({ group: 'shop', database: 'main', source: 'twin' });
    // Assess
    expect(first).toMatchObject({ database: 'main', method: 'repointed', divergent: { amount: 0, unit: 'bytes' } });
    expect(first.detail.join(' ')).toMatch(/demoted by a switchover/);
    expect(first.synchronousReplicas).toBeUndefined();
    expect(again).toMatchObject({ method: 'already-replica', divergent: { amount: 0, unit: 'bytes' } });
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'replica', streaming: true, upstream: '127.0.2.1', writable: false });
    expect(h.world.db('127.0.2.1', 'main')).toMatchObject({ role: 'primary', writable: true });
    expect(ran(h, 'prepare').map((e) => e.host)).toEqual(['127.0.2.1', '127.0.2.1']);
    expect(ran(h, 'rejoin').map((e) => [e.host, e.argv[3]])).toEqual([['127.0.1.1', '127.0.2.1'], ['127.0.1.1', '127.0.2.1']]);
    expect(ran(h, 'set-sync')).toEqual([]);
    expect(h.world.openShells).toBe(0);
  });

  it("rejoins a failover's fenced old primary: the writes beyond the new primary's fork are counted in the engine's unit and saved aside", async () => {
    // Prepare: the old primary wrote 0x800 bytes the twin never received before it was fenced
    const h = await moved({ role: 'stopped', writable: false, fenced: true, position: 0x3000948 });
    // Act: source absent means the active stack; a failover recorded the twin as active
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
    const result = await rejoin.createHandler(h.deps)({ group: 'shop', database: 'main' });
    // Assess
    expect(result).toMatchObject({ method: 'rewound', divergent: { amount: 0x800, unit: 'bytes', savedTo: '/var/lib/twinstack/divergent-main' } });
    expect(result.detail.join(' ')).toMatch(/fenced/);
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'replica', upstream: '127.0.2.1' });
  });

  it.each([
    ['a writable, un-fenced, un-demoted old primary (it may still take writes)', { role: 'primary', writable: true, fenced: false }, {}, /neither fenced nor demoted/],
    ['a new primary that is not writable', { role: 'primary', writable: false, demoted: true }, { writable: false }, /not a writable primary/],
  ])('refuses %s: RejoinRefusedError (not transient), nothing prepared or rejoined', async (_name, old, newPrimary, says) => {
    // Prepare
    const h = await moved(old);
    Object.assign(h.world.db('127.0.2.1', 'main'), newPrimary);
    // Act
    const attempt = rejoin.createHandler(h.deps)({ group: 'shop', database: 'main', source: 'twin' });
    // Assess
    const error: unknown = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejoinRefusedError);
    expect((error as RejoinRefusedError).transient).toBe(false);
    expect(String((error as Error).message)).toMatch(says);
    expect([ran(h, 'prepare'), ran(h, 'rejoin')]).toEqual([[], []]);
    expect(h.world.openShells).toBe(0);
  });

  it('in sync mode prepares the new primary asynchronously, then makes the rejoined node its synchronous replica once it streams', async () => {
    // Prepare
    const h = await moved({ role: 'primary', writable: false, demoted: true, position: 0x3000148 });
    const group = { ...h.group, databases: h.group.databases.map((d) => ({ ...d, replication: { ...d.replication, mode: 'sync' as const } })) };
    await h.params.put(parameterNames.config('shop'), JSON.stringify(group));
    const modes: string[] = [];
    // Act
    const result = await rejoin.createHandler({
      ...h.deps,
      engineFor: (name) => {
        const engine = h.deps.engineFor!(name);
        return { ...engine, preparePrimary: (target, secrets) => (modes.push(target.database.replication.mode), engine.preparePrimary(target, secrets)) };
      },
    })({ group: 'shop', database: 'main', source: 'twin' });
    // Assess
    expect(modes).toEqual(['async']);
    expect(result.synchronousReplicas).toEqual(['twinstack_shop_eu_main']);
    expect(h.world.db('127.0.2.1', 'main').syncReplicas).toEqual(['twinstack_shop_eu_main']);
    expect(result.detail.join(' ')).toMatch(/now waits for twinstack_shop_eu_main/);
  });

  it('rejects a source that is not a stack role, naming the field', async () => {
    // Prepare
    const h = await moved({ role: 'primary', writable: false, demoted: true });
    // Act
    const attempt = rejoin.createHandler(h.deps)({ group: 'shop', database: 'main', source: 'eu' as never });
    // Assess
    await expect(attempt).rejects.toThrow(/"source" must be "primary" or "twin"/);
    expect(ran(h, 'rejoin')).toEqual([]);
  });
});

describe('AssessSwitchover handler', () => {
  it('snapshots both stacks from the active one to the other, with the timeout default and the asked-for stack', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    // Act
    const snapshot = await assessSwitchover.createHandler(h.deps)({ group: 'shop', to: 'twin' });
    // Assess
    expect(snapshot).toMatchObject({ activeStack: 'primary', from: 'primary', to: 'twin', requestedTo: 'twin', dnsPointsAt: 'primary', catchUpTimeoutSeconds: 30 });
    expect(snapshot.databases.map((d) => [d.name, d.primary?.role, d.twin?.role, d.lag])).toEqual([['main', 'primary', 'replica', 0], ['audit', 'primary', 'replica', 0]]);
    expect(h.world.openShells).toBe(0);
  });

  it.each([
    [{ to: 'eu' }, /"to" must be "primary" or "twin", not "eu"/],
    [{ catchUpTimeoutSeconds: 0 }, /"catchUpTimeoutSeconds" must be a whole number of seconds from 1 to 600, not 0 \(omit it for 30\)/],
    [{ catchUpTimeoutSeconds: 1.5 }, /"catchUpTimeoutSeconds" must be a whole number/],
    [{ catchUpTimeoutSeconds: 601 }, /from 1 to 600, not 601/],
  ])('refuses the input %o with InvalidInputError naming the field, observing nothing', async (bad, says) => {
    // Prepare
    const h = await createHarness();
    // Act
    const attempt = assessSwitchover.createHandler(h.deps)({ group: 'shop', ...(bad as object) });
    // Assess
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toThrow(says);
    expect(h.world.execs).toEqual([]);
  });
});

describe('DemoteDatabase handler', () => {
  it('demotes the active primary and returns its final position as the token; a repeat returns the same token', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    const step = demote.createHandler(h.deps);
    // Act
    const first = await step({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    const again = await step({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    // Assess
    expect(first).toMatchObject({ database: 'main', token: '0/3000148', wasWritable: true, lagUnit: 'bytes', demotedAt: '2026-01-01T12:00:00.000Z' });
    expect(again).toMatchObject({ token: '0/3000148', wasWritable: false });
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'primary', writable: false, demoted: true });
    expect(ran(h, 'demote').map((e) => e.host)).toEqual(['127.0.1.1', '127.0.1.1']);
  });

  it('demotes the twin when it is the active stack (no direction given)', async () => {
    // Prepare
    const h = await createHarness();
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
    Object.assign(h.world.db('127.0.2.1', 'main'), { role: 'primary', writable: true, position: 0x42 });
    // Act
    const result = await demote.createHandler(h.deps)({ group: 'shop', database: 'main' });
    // Assess
    expect(result.token).toBe('0/42');
    expect(ran(h, 'demote').map((e) => e.host)).toEqual(['127.0.2.1']);
  });
});

describe('CheckSwitchoverCatchUp handler', () => {
  const demoted = [
    { database: 'main', token: '0/3000148', wasWritable: true, lagUnit: 'bytes' as const, demotedAt: '2026-01-01T12:00:00.000Z' },
    { database: 'audit', token: '0/3000148', wasWritable: true, lagUnit: 'bytes' as const, demotedAt: '2026-01-01T12:00:00.000Z' },
  ];

  it('caught up once every replica has applied its token, re-reading within the call while one is short', async () => {
    // Prepare: audit is 2 KiB short and applies 1 KiB per status read
    const h = await createHarness();
    await replicateInWorld(h);
    Object.assign(h.world.db('127.0.2.1', 'audit'), { position: 0x3000148 - 2048, catchUpPerRead: 1024 });
    // Act
    const result = await catchUp.createHandler(h.deps)({ group: 'shop', from: 'primary', to: 'twin', demoted, timeoutSeconds: 30 });
    // Assess
    expect(result).toMatchObject({ caughtUp: true, timedOut: false });
    expect(result.databases.map((d) => [d.database, d.caughtUp, d.behind, d.caughtUpAt])).toEqual([['main', true, 0, '2026-01-01T12:00:00.000Z'], ['audit', true, 0, '2026-01-01T12:00:00.000Z']]);
    expect(ran(h, 'status').filter((e) => e.host === '127.0.2.1').length).toBeGreaterThan(2);
  });

  it('not caught up: says how far behind, and times out once the earliest demotion is older than the timeout', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    Object.assign(h.world.db('127.0.2.1', 'audit'), { position: 0x3000148 - 1024, catchUpPerRead: 0 });
    const later = { ...h.deps, clock: fixedClock('2026-01-01T12:00:31.000Z') };
    // Act
    const waiting = await catchUp.createHandler(h.deps)({ group: 'shop', to: 'twin', demoted, timeoutSeconds: 30 });
    const timedOut = await catchUp.createHandler(later)({ group: 'shop', to: 'twin', demoted, timeoutSeconds: 30 });
    // Assess
    expect(waiting).toMatchObject({ caughtUp: false, timedOut: false });
    expect(waiting.databases[1]).toMatchObject({ database: 'audit', caughtUp: false, behind: 1024 });
    expect(waiting.reasons.join(' ')).toMatch(/1\.0 KiB behind the final position 0\/3000148/);
    expect(timedOut).toMatchObject({ caughtUp: false, timedOut: true });
    expect(timedOut.reasons[0]).toMatch(/did not reach their primaries' final positions within 30 s/);
  });

  it('refuses input without demotions', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const attempt = catchUp.createHandler(h.deps)({ group: 'shop', to: 'twin', demoted: [] });
    // Assess
    await expect(attempt).rejects.toThrow(/needs "demoted"/);
  });
});

describe('UndoDemotion handler', () => {
  it('gives writes back to a demoted primary; a repeat (or a primary never demoted) is left alone', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    await demote.createHandler(h.deps)({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    const step = undo.createHandler(h.deps);
    // Act
    const first = await step({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    const again = await step({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    const never = await step({ group: 'shop', database: 'audit', from: 'primary', to: 'twin' });
    // Assess
    expect([first.action, again.action, never.action]).toEqual(['undone', 'not-demoted', 'not-demoted']);
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'primary', writable: true, demoted: false });
    expect(ran(h, 'undo-demote')).toHaveLength(1);
  });

  it.each([
    ['the other copy is already a writable primary (two writable primaries)', (h: Harness) => Object.assign(h.world.db('127.0.2.1', 'main'), { role: 'primary', writable: true, promotedByTwinstack: true }), /is a primary: giving writes back .* could make two/],
    ['the other copy is a primary not writable yet (mid-promotion)', (h: Harness) => Object.assign(h.world.db('127.0.2.1', 'main'), { role: 'primary', writable: false, promotedByTwinstack: true }), /is a primary \(not writable yet\)/],
    ['the other copy cannot be observed', (h: Harness) => h.world.unreachable.add('127.0.2.1'), /cannot be observed .* until it is seen not to be a primary/],
    ['the old primary is fenced, not demoted', (h: Harness) => Object.assign(h.world.db('127.0.1.1', 'main'), { role: 'stopped', writable: false, fenced: true, demoted: false }), /not demoted by a switchover/],
  ])('refuses when %s: PromotionError, nothing undone', async (_name, arrange, says) => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    await demote.createHandler(h.deps)({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    arrange(h);
    // Act
    const attempt = undo.createHandler(h.deps)({ group: 'shop', database: 'main', from: 'primary', to: 'twin' });
    // Assess
    await expect(attempt).rejects.toThrow(PromotionError);
    await expect(attempt).rejects.toThrow(says);
    expect(ran(h, 'undo-demote')).toEqual([]);
  });
});

describe('ReportFailure after a switchover', () => {
  it.each([
    ['nothing demoted', {}, /No primary was demoted/],
    ['demoted, undone', { demoted: [{ database: 'main', token: '0/1' }], undone: [{ database: 'main', action: 'undone' }] }, /writes given back; nothing was promoted/],
    ['demoted, not undone', { demoted: [{ database: 'main', token: '0/1' }] }, /NOT undone: the group has no writable database — operator action needed/],
    ['promoted', { demoted: [{ database: 'main', token: '0/1' }], promoted: [{ database: 'main', action: 'promoted' }] }, /the other stack promoted \(main: promoted\)\. DNS points at the primary/],
  ])('says plainly what happened: %s', async (_name, input, says) => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await report.createHandler(h.deps)({ group: 'shop', workflow: 'switchover', error: { Error: 'PromotionError', Cause: 'x' }, input });
    // Assess
    expect(result.databases).toMatch(says);
    expect(h.world.execs).toEqual([]);
  });
});
