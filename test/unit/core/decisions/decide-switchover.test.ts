import { describe, expect, it } from 'vitest';
import { decideSwitchover } from '../../../../functions/core/decisions/decide-switchover.ts';
import type { DatabaseObservation } from '../../../../functions/core/decisions/failover-snapshot.ts';
import { catchUpToToken } from '../../../../functions/core/decisions/switchover-catch-up.ts';
import type { SwitchoverSnapshot } from '../../../../functions/core/decisions/switchover-snapshot.ts';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';

const MiB = 1024 * 1024;
const PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000000', replicas: [] };
const DEMOTED: DatabaseStatus = { ...PRIMARY, writable: false, demoted: true };
const REPLICA: DatabaseStatus = { role: 'replica', writable: false, fenced: false, position: '0/4FFFC00', receivedPosition: '0/4FFFC00', streaming: true, secondsBehind: 0 };
const PROMOTED: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000000', promotedByTwinstack: true };

function db(overrides: Partial<DatabaseObservation> = {}): DatabaseObservation {
  return { name: 'main', mode: 'async', maxLag: 16 * MiB, lagUnit: 'bytes', replicaName: 'twin_main', primary: PRIMARY, twin: REPLICA, lag: 1024, lagBound: 'exact', ...overrides };
}

function snapshot(overrides: Partial<SwitchoverSnapshot> = {}): SwitchoverSnapshot {
  return {
    group: 'shop',
    observedAt: '2026-05-01T12:00:00Z',
    activeStack: 'primary',
    from: 'primary',
    to: 'twin',
    dnsPointsAt: 'primary',
    fromHealth: { healthy: true, detail: 'HTTP 200' },
    toHealth: { healthy: true, detail: 'HTTP 200' },
    databases: [db()],
    catchUpTimeoutSeconds: 30,
    ...overrides,
  };
}

const REVERSED: Partial<SwitchoverSnapshot> = { activeStack: 'twin', from: 'twin', to: 'primary', dnsPointsAt: 'twin' };

describe('decideSwitchover', () => {
  it.each([
    { name: 'a streaming replica within the limit switches, losing nothing', s: snapshot(), action: 'switchover', verdicts: ['switch'], says: 'twin of main streams, 1.0 KiB behind' },
    { name: 'the other direction: twin → primary', s: snapshot({ ...REVERSED }), action: 'switchover', verdicts: ['switch'], says: 'switching over from the twin to the primary' },
    { name: 'the standby asked for by name', s: snapshot({ requestedTo: 'twin' }), action: 'switchover', verdicts: ['switch'], says: 'switching over from the primary to the twin' },
    { name: 'to is already active', s: snapshot({ requestedTo: 'primary' }), action: 'refuse', verdicts: ['switch'], says: 'the primary is already the active stack: nothing to switch over' },
    { name: 'to is already active (reversed)', s: snapshot({ ...REVERSED, requestedTo: 'twin' }), action: 'refuse', verdicts: ['switch'], says: 'the twin is already the active stack' },
    { name: 'a replica not streaming', s: snapshot({ databases: [db({ twin: { ...REPLICA, streaming: false } })] }), action: 'refuse', verdicts: ['refuse'], says: 'twin of main is not streaming from the primary' },
    { name: 'a broken replica', s: snapshot({ databases: [db({ twin: { ...REPLICA, replicationError: 'could not connect' } })] }), action: 'refuse', verdicts: ['refuse'], says: 'replication is broken: could not connect' },
    { name: 'errant transactions', s: snapshot({ databases: [db({ lagUnit: 'transactions', maxLag: 10, lag: 0, twin: { ...REPLICA, errantTransactions: ['0-2-7'] } })] }), action: 'refuse', verdicts: ['refuse'], says: 'holds transactions the primary never had (0-2-7)' },
    { name: 'compatibility problems', s: snapshot({ databases: [db({ incompatibilities: ['major versions differ (15 vs 16)'] })] }), action: 'refuse', verdicts: ['refuse'], says: 'cannot take over: major versions differ' },
    { name: 'a lag beyond the limit', s: snapshot({ databases: [db({ lag: 48 * MiB })] }), action: 'refuse', verdicts: ['refuse'], says: 'lag 48.0 MiB > limit 16.0 MiB: it would not catch up within the 30 s timeout' },
    { name: 'more seconds behind than the timeout', s: snapshot({ catchUpTimeoutSeconds: 5, databases: [db({ twin: { ...REPLICA, secondsBehind: 12 } })] }), action: 'refuse', verdicts: ['refuse'], says: '12 s behind by its own estimate, more than the 5 s catch-up timeout' },
    { name: 'a lag that is unknown', s: snapshot({ databases: [db({ lag: undefined })] }), action: 'refuse', verdicts: ['refuse'], says: 'lag unknown' },
    { name: 'the target stack unhealthy', s: snapshot({ toHealth: { healthy: false, detail: 'HTTP 503' } }), action: 'refuse', verdicts: ['switch'], says: 'twin stack unhealthy (HTTP 503)' },
    { name: 'DNS on the other stack', s: snapshot({ dnsPointsAt: 'twin' }), action: 'refuse', verdicts: ['switch'], says: 'DNS points at the twin, not the active primary' },
    { name: 'DNS not observable', s: snapshot({ dnsPointsAt: undefined }), action: 'refuse', verdicts: ['switch'], says: 'DNS points at nothing observable' },
    { name: 'a replica that is stopped', s: snapshot({ databases: [db({ twin: { role: 'stopped', writable: false, fenced: true } })] }), action: 'refuse', verdicts: ['refuse'], says: 'twin of main is stopped, not a running replica: rejoin it first' },
    { name: 'a replica not observed', s: snapshot({ databases: [db({ twin: undefined, twinError: 'HOST_UNREACHABLE: x' })] }), action: 'refuse', verdicts: ['refuse'], says: 'twin of main could not be observed (HOST_UNREACHABLE: x)' },
    { name: 'the primary not observed', s: snapshot({ databases: [db({ primary: undefined, primaryError: 'HOST_UNREACHABLE: y' })] }), action: 'refuse', verdicts: ['refuse'], says: 'primary of main could not be observed' },
    { name: 'a fenced (read-only, not demoted) primary', s: snapshot({ databases: [db({ primary: { ...PRIMARY, writable: false, fenced: true } })] }), action: 'refuse', verdicts: ['refuse'], says: 'read-only primary that no switchover demoted' },
    { name: 'a primary an earlier aborted run left demoted: resumed', s: snapshot({ databases: [db({ primary: DEMOTED })] }), action: 'switchover', verdicts: ['resume'], says: 'already demoted by an earlier switchover that did not finish: resuming it' },
    { name: 'a primary left demoted and shut down (PostgreSQL), no live position: resumed, the token decides', s: snapshot({ databases: [db({ primary: { role: 'stopped', writable: false, fenced: false, demoted: true }, lag: undefined, lagBound: undefined })] }), action: 'switchover', verdicts: ['resume'], says: 'resuming it' },
    { name: 'demoted and already promoted by that run, at its position: resumed', s: snapshot({ databases: [db({ primary: DEMOTED, twin: PROMOTED, lag: 0 })] }), action: 'switchover', verdicts: ['resume'], says: 'already promoted by twinstack' },
    { name: 'two primaries, the old one not demoted', s: snapshot({ databases: [db({ twin: PROMOTED, lag: 0 })] }), action: 'refuse', verdicts: ['refuse'], says: 'is a primary, not a replica of the primary' },
    { name: 'every database or none', s: snapshot({ databases: [db(), db({ name: 'audit', twin: { ...REPLICA, streaming: false } })] }), action: 'refuse', verdicts: ['switch', 'refuse'], says: 'databases that cannot switch: audit' },
  ] as const)('$name → $action', ({ s, action, verdicts, says }) => {
    // Act
    const decision = decideSwitchover(s);
    // Assess
    expect(decision.action).toBe(action);
    expect(decision.databases.map((d) => d.action)).toEqual(verdicts);
    expect(decision.reasons.some((r) => r.includes(says)), `missing "${says}" in ${JSON.stringify(decision.reasons)}`).toBe(true);
    expect(decision).toMatchObject({ kind: 'switchover', from: s.from, to: s.to, forced: false, catchUpTimeoutSeconds: s.catchUpTimeoutSeconds });
    for (const d of decision.databases) expect(d.loss).toBe(0);
  });

  it('does not mutate the snapshot and is deterministic', () => {
    // Prepare
    const s = snapshot({ databases: [db(), db({ name: 'audit', lag: 64 * MiB })] });
    const copy = structuredClone(s);
    // Act
    const first = decideSwitchover(s);
    const second = decideSwitchover(s);
    // Assess
    expect(s).toStrictEqual(copy);
    expect(second).toStrictEqual(first);
  });
});

describe('catchUpToToken', () => {
  const diff = (to: string, from: string) => Number.parseInt(to.split('/')[1] ?? '0', 16) - Number.parseInt(from.split('/')[1] ?? '0', 16);
  it.each([
    ['a replica at the token', { ...REPLICA, position: '0/5000000' }, true, 0],
    ['a replica past the token', { ...REPLICA, position: '0/5000010' }, true, 0],
    ['a replica one byte short', { ...REPLICA, position: '0/4FFFFFF' }, false, 1],
    ['a replica whose position is unknown', { ...REPLICA, position: undefined }, false, null],
    ['a primary an earlier run promoted, at the token', { ...PROMOTED }, true, 0],
    ['a primary twinstack did not promote', { ...PRIMARY }, false, null],
    ['a stopped server', { role: 'stopped', writable: false, fenced: false }, false, null],
  ] as const)('%s → caught up %s (behind %s), exactly by positionDiff', (_name, status, caughtUp, behind) => {
    // Act
    const verdict = catchUpToToken('0/5000000', status, diff, 'bytes');
    // Assess
    expect([verdict.caughtUp, verdict.behind]).toEqual([caughtUp, behind]);
    expect(verdict.reason.length).toBeGreaterThan(0);
  });
});
