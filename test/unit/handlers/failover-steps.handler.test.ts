import { describe, expect, it } from 'vitest';
import { HostKeyMismatchError, HostUnreachableError, RemoteCommandError, RemoteTimeoutError, SshAuthenticationError, UnexpectedOutputError } from '../../../functions/core/errors.ts';
import { dnsTargetOf } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as acquireLease from '../../../functions/handlers/acquire-group-lease.handler.ts';
import { errorKindOf, observeStatus } from '../../../functions/handlers/deps/observe-database.ts';
import * as releaseLease from '../../../functions/handlers/release-group-lease.handler.ts';
import * as assess from '../../../functions/handlers/assess-failover.handler.ts';
import * as decide from '../../../functions/handlers/decide-failover.handler.ts';
import * as fence from '../../../functions/handlers/fence-old-primary.handler.ts';
import * as promote from '../../../functions/handlers/promote-database.handler.ts';
import * as record from '../../../functions/handlers/record-failover.handler.ts';
import * as report from '../../../functions/handlers/report-failure.handler.ts';
import * as switchDns from '../../../functions/handlers/switch-dns.handler.ts';
import * as verifyDns from '../../../functions/handlers/verify-dns.handler.ts';
import { createHarness, fakeEngine, replicateInWorld, type Harness } from './fakes/fake-world.ts';

/** The twin of the harness as a failover leaves it: every database a writable primary twinstack promoted. */
function twinPromoted(h: Harness): void {
  for (const d of h.group.databases) Object.assign(h.world.db('127.0.2.1', d.name), { role: 'primary', writable: true, streaming: false, promotedByTwinstack: true });
}

describe('observeStatus', () => {
  it.each([
    ['HostUnreachableError', new HostUnreachableError('connect ECONNREFUSED'), 'unreachable'],
    ['HostUnreachableError after the handshake (the host answered)', new HostUnreachableError('connection dropped while running status', { phase: 'session' }), 'fault'],
    ['HostKeyMismatchError', new HostKeyMismatchError('key changed'), 'fault'],
    ['SshAuthenticationError', new SshAuthenticationError('denied'), 'fault'],
    ['RemoteTimeoutError', new RemoteTimeoutError('status timed out'), 'fault'],
    ['RemoteCommandError', new RemoteCommandError('exit 2', 2, 'boom'), 'fault'],
    ['UnexpectedOutputError', new UnexpectedOutputError('garbage'), 'fault'],
    ['a plain Error', new Error('something else'), 'fault'],
  ] as const)('%s: the error string and its kind', async (_name, error, kind) => {
    // Prepare
    const h = await createHarness();
    h.world.faults.set('127.0.1.1', error);
    const shell = h.world.shell();
    // Act
    const observed = await observeStatus(shell, fakeEngine, h.group.databases[0]!, h.group.primary.hosts[0]!);
    await shell.close();
    // Assess
    expect(observed.status).toBeUndefined();
    expect(observed.errorKind).toBe(kind);
    expect(errorKindOf(error)).toBe(kind);
    expect(observed.error).toContain(error.message);
  });
});

describe('AcquireGroupLease and ReleaseGroupLease handlers', () => {
  it('take one lease per group, key group:<group>, outliving the longest workflow (replicate, 7200 s), and give it back', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const first = await acquireLease.createHandler(h.deps)({ group: 'shop', holder: 'replicate-1' });
    const second = await acquireLease.createHandler(h.deps)({ group: 'shop', holder: 'failover-1' });
    const released = await releaseLease.createHandler(h.deps)({ group: 'shop', holder: 'replicate-1' });
    const third = await acquireLease.createHandler(h.deps)({ group: 'shop', holder: 'failover-1' });
    // Assess
    expect([first.acquired, second.acquired, third.acquired]).toEqual([true, false, true]);
    expect([first.key, released.key]).toEqual(['group:shop', 'group:shop']);
    expect(acquireLease.GROUP_LEASE_TTL_SECONDS).toBeGreaterThan(7200);
  });

  it('gives the lease back even when Parameter Store fails (it never reads the config), and refuses a malformed group name', async () => {
    // Prepare
    const h = await createHarness();
    await acquireLease.createHandler(h.deps)({ group: 'shop', holder: 'failover-1' });
    const failingParams = { get: () => Promise.reject(new Error('ThrottlingException')), put: () => Promise.reject(new Error('ThrottlingException')), getByPath: () => Promise.reject(new Error('ThrottlingException')) };
    const deps = { ...h.deps, params: failingParams };
    // Act
    await releaseLease.createHandler(deps)({ group: 'shop', holder: 'failover-1' });
    const malformed = releaseLease.createHandler(deps)({ group: 'shop; rm', holder: 'failover-1' });
    // Assess
    expect(await h.deps.lease?.acquire('group:shop', 'failover-2', 60)).toBe(true);
    await expect(malformed).rejects.toThrow(/invalid group name/);
  });
});

describe('AssessFailover handler', () => {
  it('records an unreachable primary as an error string and estimates lag from the last known position', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'primary' }));
    await h.params.put(parameterNames.observation('shop', 'main'), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3001148', syncReplicas: [] }));
    h.world.unreachable.add('127.0.1.1');
    h.health.healthy.set(h.group.primary.healthUrl, false);
    // Act
    const snapshot = await assess.createHandler(h.deps)({ group: 'shop', force: true });
    // Assess
    const main = snapshot.databases.find((d) => d.name === 'main');
    expect(main?.primary).toBeUndefined();
    expect(main?.primaryError).toMatch(/^HOST_UNREACHABLE/);
    expect(main?.twin?.role).toBe('replica');
    expect(main).toMatchObject({ lag: 0x1000, lagUnit: 'bytes', lagBound: 'lower-bound', lastPrimaryObservation: { position: '0/3001148' } });
    expect(snapshot.databases.find((d) => d.name === 'audit')?.lag).toBeUndefined();
    expect(snapshot).toMatchObject({ group: 'shop', activeStack: 'primary', dnsPointsAt: 'primary', force: true, cooldownSeconds: 600, maxObservationAgeSeconds: 60, observedAt: '2026-01-01T12:00:00.000Z' });
    expect(snapshot.primaryHealth.healthy).toBe(false);
    expect(h.world.openShells).toBe(0);
  });
});

describe('FenceOldPrimary handler', () => {
  it('fences a reachable primary and reports an unreachable one as isolated', async () => {
    // Prepare
    const h = await createHarness();
    const groupJson = JSON.stringify({ ...h.group, databases: h.group.databases.map((d, i) => (i === 1 ? { ...d, host: 'app' } : d)) });
    await h.params.put(parameterNames.config('shop'), groupJson);
    Object.assign(h.world.db('127.0.1.2', 'audit'), { role: 'primary', writable: true });
    h.world.unreachable.add('127.0.1.2');
    h.health.healthy.set(h.group.primary.healthUrl, false);
    // Act
    const result = await fence.createHandler(h.deps)({ group: 'shop' });
    // Assess
    expect(result.databases.map((d) => [d.database, d.outcome])).toEqual([['main', 'fenced'], ['audit', 'isolated']]);
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'stopped', fenced: true, writable: false });
  });

  it('does not fence twice', async () => {
    // Prepare
    const h = await createHarness();
    const handle = fence.createHandler(h.deps);
    await handle({ group: 'shop' });
    const fencesBefore = h.world.execs.filter((e) => e.argv[1] === 'fence').length;
    // Act
    const again = await handle({ group: 'shop' });
    // Assess
    expect(again.databases.every((d) => d.outcome === 'already-fenced')).toBe(true);
    expect(h.world.execs.filter((e) => e.argv[1] === 'fence')).toHaveLength(fencesBefore);
  });

  it.each([
    { name: 'host key mismatch on the primary: refuse', fault: new HostKeyMismatchError('key changed'), unreachable: false, healthy: false, health: undefined, error: /cannot be fenced safely/ },
    { name: 'status command times out: refuse', fault: new RemoteTimeoutError('status timed out'), unreachable: false, healthy: false, health: undefined, error: /cannot be fenced safely/ },
    { name: 'authentication refused: refuse', fault: new SshAuthenticationError('denied'), unreachable: false, healthy: false, health: undefined, error: /cannot be fenced safely/ },
    { name: 'unreachable over SSH but its health URL answers: refuse', fault: undefined, unreachable: true, healthy: true, health: undefined, error: /unreachable over SSH but still serving/ },
    { name: 'unreachable and its health URL does not answer: isolated', fault: undefined, unreachable: true, healthy: false, health: undefined, error: undefined },
    { name: 'unreachable and the health probe throws: isolated', fault: undefined, unreachable: true, healthy: false, health: 'throws', error: undefined },
  ])('$name', async ({ fault, unreachable, healthy, health, error }) => {
    // Prepare
    const h = await createHarness();
    if (fault) h.world.faults.set('127.0.1.1', fault);
    if (unreachable) h.world.unreachable.add('127.0.1.1');
    h.health.healthy.set(h.group.primary.healthUrl, healthy);
    const deps = health === 'throws' ? { ...h.deps, health: { check: () => Promise.reject(new Error('probe failed')) } } : h.deps;
    // Act
    const run = fence.createHandler(deps)({ group: 'shop' });
    // Assess
    if (error) {
      await expect(run).rejects.toMatchObject({ name: 'FencingError', message: expect.stringMatching(error) as unknown });
    } else {
      expect((await run).databases.map((d) => d.outcome)).toEqual(['isolated', 'isolated']);
    }
    expect(h.world.execs.filter((e) => e.argv[1] === 'fence')).toHaveLength(0);
    expect(h.world.openShells).toBe(0);
  });
});

describe('PromoteDatabase handler', () => {
  it('promotes a replica once; a re-run verifies without promoting again', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    const handle = promote.createHandler(h.deps);
    // Act
    const first = await handle({ group: 'shop', database: 'main' });
    const second = await handle({ group: 'shop', database: 'main' });
    // Assess
    expect(first.action).toBe('promoted');
    expect(second.action).toBe('already-primary');
    expect(h.world.promotions).toHaveLength(1);
    // The engine's promote command runs on every go (idempotent; it repairs e.g. a blocking synchronous_standby_names).
    expect(h.world.execs.filter((e) => e.argv[1] === 'promote')).toHaveLength(2);
    expect(h.world.db('127.0.2.1', 'main')).toMatchObject({ role: 'primary', writable: true });
    expect(h.world.openShells).toBe(0);
  });

  it('throws PromotionError when the promoted database does not accept writes', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    h.world.brokenPromotions.add('main');
    // Act + Assess
    await expect(promote.createHandler(h.deps)({ group: 'shop', database: 'main' })).rejects.toMatchObject({ name: 'PromotionError' });
    expect(h.world.openShells).toBe(0);
  });
});

describe('SwitchDns and VerifyDns handlers', () => {
  it('points the name at the twin once and verifies it', async () => {
    // Prepare
    const h = await createHarness();
    twinPromoted(h);
    const switchHandler = switchDns.createHandler(h.deps);
    // Act
    const first = await switchHandler({ group: 'shop' });
    const second = await switchHandler({ group: 'shop' });
    const verified = await verifyDns.createHandler(h.deps)({ group: 'shop' });
    // Assess
    expect([first.changed, second.changed]).toEqual([true, false]);
    expect(h.dns.changes).toEqual([{ type: 'A', value: '127.0.2.2' }]);
    expect(verified.verified).toBe(true);
  });

  it.each([
    { name: 'every twin database a writable primary: switched', twin: { role: 'primary', writable: true }, unreachable: false, error: undefined },
    { name: 'one twin database still a replica: PromotionError', twin: { role: 'replica', writable: false }, unreachable: false, error: 'PromotionError' },
    { name: 'one twin database a read-only primary: PromotionError', twin: { role: 'primary', writable: false }, unreachable: false, error: 'PromotionError' },
    { name: 'one twin database stopped: PromotionError', twin: { role: 'stopped', writable: false }, unreachable: false, error: 'PromotionError' },
    { name: 'twin database host unreachable: HostUnreachableError (retried by the workflow)', twin: { role: 'primary', writable: true }, unreachable: true, error: 'HostUnreachableError' },
  ] as const)('SwitchDns re-reads the twin first — $name', async ({ twin, unreachable, error }) => {
    // Prepare
    const h = await createHarness();
    twinPromoted(h);
    Object.assign(h.world.db('127.0.2.1', 'audit'), twin);
    if (unreachable) h.world.unreachable.add('127.0.2.1');
    // Act
    const run = switchDns.createHandler(h.deps)({ group: 'shop' });
    // Assess
    if (error) {
      await expect(run).rejects.toMatchObject({ name: error });
      expect(h.dns.changes).toEqual([]);
      expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.primary));
    } else {
      expect((await run).changed).toBe(true);
      expect(h.dns.changes).toEqual([dnsTargetOf(h.group.twin)]);
    }
    expect(h.world.execs.filter((e) => e.argv[1] === 'status' && e.host === '127.0.2.1')).toHaveLength(2);
    expect(h.world.openShells).toBe(0);
  });

  it('VerifyDns throws DnsVerificationError while the verifier does not see the twin', async () => {
    // Prepare
    const h = await createHarness({ dnsVerifier: () => Promise.resolve(false) });
    // Act + Assess
    await expect(verifyDns.createHandler(h.deps)({ group: 'shop' })).rejects.toMatchObject({ name: 'DnsVerificationError' });
  });
});

describe('RecordFailover handler', () => {
  const decision = { action: 'failover' as const, forced: false, reasons: ['primary down'], databases: [{ name: 'main', action: 'promote' as const, loss: 0, lagUnit: 'bytes' as const, reasons: [] }] };

  it('records the twin as active with a history entry, once', async () => {
    // Prepare
    const h = await createHarness();
    const handle = record.createHandler(h.deps);
    // Act
    const first = await handle({ group: 'shop', decision, reason: 'alarm' });
    const second = await handle({ group: 'shop', decision });
    // Assess
    const state = JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as Record<string, unknown>;
    expect([first.recorded, second.recorded]).toEqual([true, false]);
    expect(state).toMatchObject({ active: 'twin', lastFailoverAt: '2026-01-01T12:00:00.000Z' });
    expect(state.history).toEqual([{ kind: 'failover', at: '2026-01-01T12:00:00.000Z', from: 'primary', to: 'twin', forced: false, reasons: ['requested: alarm', 'primary down'], lost: { main: { amount: 0, unit: 'bytes' } } }]);
  });

  it("a switchover records as lost what its rejoin found beyond the token (saved aside), not the decision's 0", async () => {
    // Prepare
    const h = await createHarness();
    const handle = record.createHandler(h.deps);
    const switchover = { ...decision, kind: 'switchover' as const, reasons: ['planned'] };
    // Act
    const result = await handle({ group: 'shop', decision: switchover, snapshot: { from: 'primary', to: 'twin' }, rejoined: [{ database: 'main', divergent: { amount: 42, savedTo: '/srv/x.divergent' } }] });
    // Assess
    expect(result.record?.lost).toEqual({ main: { amount: 42, unit: 'bytes' } });
    expect(result.record?.reasons).toContain('the old primary of main held 42 B beyond its final position; the rejoin saved it aside (/srv/x.divergent)');
  });

  it("records the snapshot's direction even when the execution input carries a stray `from` (the Task gets the whole state)", async () => {
    // Prepare
    const h = await createHarness();
    const handle = record.createHandler(h.deps);
    // Act
    const result = await handle({ group: 'shop', decision, from: 'twin', snapshot: { from: 'primary', to: 'twin' } });
    // Assess
    const state = JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as Record<string, unknown>;
    expect(result).toMatchObject({ active: 'twin', recorded: true });
    expect(state).toMatchObject({ active: 'twin' });
  });
});

describe('ReportFailure handler', () => {
  it('reports where DNS points without changing anything', async () => {
    // Prepare
    const h = await createHarness();
    const putsBefore = h.params.puts.length;
    // Act
    const result = await report.createHandler(h.deps)({ group: 'shop', workflow: 'failover', error: { Error: 'PromotionError', Cause: 'read-only' } });
    // Assess
    expect(result).toMatchObject({ status: 'failed', error: 'PromotionError', cause: 'read-only', dnsPointsAt: 'primary', activeStack: 'primary' });
    expect(result.note).toMatch(/still points at the primary/);
    expect(h.params.puts).toHaveLength(putsBefore);
    expect(h.dns.changes).toEqual([]);
  });

  const fenced = { databases: [{ database: 'main', outcome: 'fenced' }, { database: 'audit', outcome: 'isolated' }] };
  const promoted = [{ database: 'main', action: 'promoted' }, { database: 'audit', action: 'promoted' }];
  it.each([
    { name: 'failed before a decision', input: {}, dns: 'primary', says: /No failover decision was reached: no database was fenced or promoted/ },
    { name: 'failed while fencing', input: { decision: { action: 'failover' } }, dns: 'primary', says: /Fencing of the old primary did not complete and the twin was NOT promoted/ },
    { name: 'fenced, promotion failed', input: { decision: { action: 'failover' }, fenced }, dns: 'primary', says: /Old primary fenced \(main: fenced, audit: isolated\), twin NOT promoted .*no writable database .*operator action needed/ },
    { name: 'promoted, DNS not switched', input: { decision: { action: 'failover' }, fenced, promoted }, dns: 'primary', says: /twin promoted \(main: promoted, audit: promoted\)\. DNS does not point at the twin.*operator action needed/ },
    { name: 'promoted and switched, failed after', input: { decision: { action: 'failover' }, fenced, promoted }, dns: 'twin', says: /twin promoted .*DNS points at the twin: traffic reaches the promoted databases/ },
  ] as const)('says plainly what happened to the databases: $name', async ({ input, dns, says }) => {
    // Prepare
    const h = await createHarness();
    if (dns === 'twin') h.dns.records.set(h.group.dns.name, dnsTargetOf(h.group.twin));
    // Act
    const result = await report.createHandler(h.deps)({ group: 'shop', workflow: 'failover', error: { Error: 'PromotionError', Cause: 'x' }, input });
    // Assess
    expect(result.databases).toMatch(says);
    expect(result.note).toContain(result.databases);
    expect(h.dns.changes).toEqual([]);
  });

  it('says nothing about fencing or promotion for other workflows', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await report.createHandler(h.deps)({ group: 'shop', workflow: 'replicate', error: { Error: 'ReplicaNotCaughtUpError', Cause: 'x' }, input: {} });
    // Assess
    expect(result.databases).toBeUndefined();
    expect(result.note).not.toMatch(/fenced|promoted/);
  });

  it('still reports when the group cannot be observed', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await report.createHandler(h.deps)({ group: 'unknown', error: { Error: 'InvalidInputError', Cause: 'x' } });
    // Assess
    expect(result).toMatchObject({ status: 'failed', dnsPointsAt: 'unknown' });
    expect(result.note).toMatch(/could not observe/);
  });
});

describe('DecideFailover handler', () => {
  const cases = [
    ['a refusal while the group is on its primary', { activeStack: 'primary', primaryHealthy: true }, [{ name: 'FailoverHeld', value: 1, dimensions: { group: 'shop' } }]],
    ['a hold because the twin is already active', { activeStack: 'twin', primaryHealthy: true }, []],
    ['a failover', { activeStack: 'primary', primaryHealthy: false }, []],
  ] as const;

  it.each(cases)('counts FailoverHeld for %s only when it is a refusal', async (_case, situation, expected) => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: situation.activeStack }));
    if (situation.activeStack === 'twin') {
      // As a failover leaves it: the twin promoted, the old primary fenced, the move recorded.
      twinPromoted(h);
      for (const d of h.group.databases) Object.assign(h.world.db('127.0.1.1', d.name), { role: 'stopped', writable: false, fenced: true });
      const history = [{ kind: 'failover', at: '2026-01-01T11:00:00.000Z', from: 'primary', to: 'twin', forced: false, reasons: [], lost: {} }];
      await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin', lastFailoverAt: '2026-01-01T11:00:00.000Z', history }));
    }
    await h.params.put(parameterNames.observation('shop', 'main'), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3000148', syncReplicas: [] }));
    await h.params.put(parameterNames.observation('shop', 'audit'), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3000148', syncReplicas: [] }));
    if (!situation.primaryHealthy) {
      h.world.unreachable.add('127.0.1.1');
      h.world.unreachable.add('127.0.1.2');
      h.health.healthy.set(h.group.primary.healthUrl, false);
    }
    const metrics: { name: string; value: number; dimensions: Readonly<Record<string, string>> }[] = [];
    const deps = { ...h.deps, recordMetric: (name: string, value: number, dimensions: Readonly<Record<string, string>>) => metrics.push({ name, value, dimensions }) };
    const snapshot = await assess.createHandler(deps)({ group: 'shop' });
    // Act
    const decision = await decide.createHandler(deps)({ snapshot });
    // Assess
    expect(decision.action).toBe(expected.length > 0 || situation.activeStack === 'twin' ? 'hold' : 'failover');
    expect(metrics).toEqual(expected);
  });
});
