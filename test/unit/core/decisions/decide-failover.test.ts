import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';
import { decideFailover } from '../../../../functions/core/decisions/decide-failover.ts';
import type { DatabaseObservation, FailoverSnapshot } from '../../../../functions/core/decisions/failover-snapshot.ts';

const MiB = 1024 * 1024;
const NOW = new Date('2026-05-01T12:00:00Z');

const PRIMARY_DOWN: DatabaseStatus | undefined = undefined;
const REPLICA: DatabaseStatus = { role: 'replica', writable: false, fenced: false, position: '0/5000000', receivedPosition: '0/5000000', streaming: false };
/** A twin twinstack promoted (its promoted marker is there). */
const PROMOTED: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000100', replicas: [], promotedByTwinstack: true };
/** A twin that is primary without twinstack's marker: a standalone clone. */
const STANDALONE_PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000100', replicas: [] };
const LIVE_PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000000', replicas: [] };
const STOPPED: DatabaseStatus = { role: 'stopped', writable: false, fenced: false };
const SYNC_PRIMARY: DatabaseStatus = {
  role: 'primary',
  writable: true,
  fenced: false,
  position: '0/5000000',
  replicas: [{ name: 'twin_main', streaming: true, synchronous: true, lag: 0 }],
};

/** The primary as the scheduled check last saw it, 10 s before NOW, with twin_main attached synchronously. */
const FRESH_SYNC_OBSERVATION = { at: '2026-05-01T11:59:50Z', position: '0/5000400', syncReplicas: ['twin_main'] };

function observation(overrides: Partial<DatabaseObservation> = {}): DatabaseObservation {
  return {
    name: 'main',
    mode: 'async',
    maxLag: 16 * MiB,
    lagUnit: 'bytes',
    replicaName: 'twin_main',
    primary: PRIMARY_DOWN,
    primaryError: 'HOST_UNREACHABLE: timeout',
    primaryErrorKind: 'unreachable',
    twin: REPLICA,
    lastPrimaryObservation: { ...FRESH_SYNC_OBSERVATION, syncReplicas: [] },
    lag: 1024,
    lagBound: 'lower-bound',
    ...overrides,
  };
}

/** The primary database answers (a live primary): the lag is exact. */
function live(overrides: Partial<DatabaseObservation> = {}): DatabaseObservation {
  return observation({ primary: LIVE_PRIMARY, primaryError: undefined, primaryErrorKind: undefined, lagBound: 'exact', ...overrides });
}

function snapshot(overrides: Partial<FailoverSnapshot> = {}): FailoverSnapshot {
  return {
    group: 'shop',
    observedAt: NOW.toISOString(),
    activeStack: 'primary',
    dnsPointsAt: 'primary',
    primaryHealth: { healthy: false, detail: 'connect ECONNREFUSED' },
    twinHealth: { healthy: true, detail: 'HTTP 200' },
    databases: [observation()],
    cooldownSeconds: 3600,
    maxObservationAgeSeconds: 60,
    force: false,
    ...overrides,
  };
}

interface Case {
  readonly name: string;
  readonly snapshot: FailoverSnapshot;
  readonly action: 'failover' | 'hold';
  /** Expected verdict per database: [action, loss]. */
  readonly verdicts: readonly (readonly [string, number | null])[];
  /** Every one of these must appear (as a substring) in some reason. */
  readonly reasons: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'primary down, replica within the limit of a fresh observation: a lower bound, said so',
    snapshot: snapshot(),
    action: 'failover',
    verdicts: [['promote', 1024]],
    reasons: ['replica main lag 1.0 KiB within limit 16.0 MiB (at least: primary last observed 10 s ago)'],
  },
  {
    name: 'primary alive: the lag is exact',
    snapshot: snapshot({ databases: [observation({ primary: { ...SYNC_PRIMARY, replicas: [] }, lagBound: 'exact' })] }),
    action: 'failover',
    verdicts: [['promote', 1024]],
    reasons: ['replica main lag 1.0 KiB within limit 16.0 MiB'],
  },
  {
    name: 'primary down and last observed too long ago: the loss is unknowable',
    snapshot: snapshot({ databases: [observation({ lastPrimaryObservation: { ...FRESH_SYNC_OBSERVATION, at: '2026-05-01T11:50:00Z', syncReplicas: [] } })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary of main last observed 600 s ago, older than the 60 s limit: loss unknowable'],
  },
  {
    name: 'primary down and never observed: the loss is unknowable',
    snapshot: snapshot({ databases: [observation({ lastPrimaryObservation: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary of main never observed'],
  },
  {
    name: 'primary down, stale observation, forced: promotes and says the loss is unknown',
    snapshot: snapshot({ force: true, databases: [observation({ lastPrimaryObservation: { ...FRESH_SYNC_OBSERVATION, at: '2026-05-01T11:50:00Z' }, mode: 'async' })] }),
    action: 'failover',
    verdicts: [['promote', null]],
    reasons: ['forced: promoting replica main loses an unknown amount of data (primary of main last observed 600 s ago'],
  },
  {
    name: 'already failed over (twin active, twin primary)',
    snapshot: snapshot({ activeStack: 'twin', dnsPointsAt: 'twin', databases: [observation({ twin: PROMOTED })] }),
    action: 'hold',
    verdicts: [['already-primary', 0]],
    reasons: ['already failed over', 'twin is the active stack', 'DNS points at the twin'],
  },
  {
    name: 'already failed over even when forced (idempotent)',
    snapshot: snapshot({ activeStack: 'twin', dnsPointsAt: 'twin', force: true, databases: [observation({ twin: PROMOTED })] }),
    action: 'hold',
    verdicts: [['already-primary', 0]],
    reasons: ['already failed over: DNS points at the twin'],
  },
  {
    name: 'twin promoted but DNS not switched yet: re-run completes the failover',
    snapshot: snapshot({ databases: [observation({ twin: PROMOTED })] }),
    action: 'failover',
    verdicts: [['already-primary', 0]],
    reasons: ['twin of main is already primary'],
  },
  {
    name: 'primary healthy',
    snapshot: snapshot({ primaryHealth: { healthy: true, detail: 'HTTP 200' }, databases: [live()] }),
    action: 'hold',
    verdicts: [['promote', 1024]],
    reasons: ['primary stack healthy (HTTP 200): outage not confirmed'],
  },
  {
    name: 'primary healthy, forced',
    snapshot: snapshot({ primaryHealth: { healthy: true, detail: 'HTTP 200' }, force: true, databases: [live()] }),
    action: 'failover',
    verdicts: [['promote', 1024]],
    reasons: ['forced while the primary stack is healthy', 'forced failover loses: main 1.0 KiB'],
  },
  {
    name: 'within the cool-down',
    snapshot: snapshot({ lastFailoverAt: '2026-05-01T11:30:00Z' }),
    action: 'hold',
    verdicts: [['promote', 1024]],
    reasons: ['last failover 1800 s ago, within the 3600 s cool-down'],
  },
  {
    name: 'within the cool-down, forced',
    snapshot: snapshot({ lastFailoverAt: '2026-05-01T11:30:00Z', force: true }),
    action: 'failover',
    verdicts: [['promote', 1024]],
    reasons: ['forced within the cool-down (last failover at 2026-05-01T11:30:00Z)'],
  },
  { name: 'after the cool-down', snapshot: snapshot({ lastFailoverAt: '2026-05-01T10:59:59Z' }), action: 'failover', verdicts: [['promote', 1024]], reasons: [] },
  {
    name: 'unreadable last failover time',
    snapshot: snapshot({ lastFailoverAt: 'yesterday' }),
    action: 'hold',
    verdicts: [['promote', 1024]],
    reasons: ['unreadable: cool-down cannot be checked'],
  },
  {
    name: 'twin stack unhealthy',
    snapshot: snapshot({ twinHealth: { healthy: false, detail: 'HTTP 503' } }),
    action: 'hold',
    verdicts: [['promote', 1024]],
    reasons: ['twin stack unhealthy (HTTP 503)'],
  },
  {
    name: 'twin stack unhealthy, forced',
    snapshot: snapshot({ twinHealth: { healthy: false, detail: 'HTTP 503' }, force: true }),
    action: 'failover',
    verdicts: [['promote', 1024]],
    reasons: ['forced while the twin stack is unhealthy (HTTP 503)'],
  },
  {
    name: 'twin database unreachable',
    snapshot: snapshot({ databases: [observation({ twin: undefined, twinError: 'HOST_UNREACHABLE: ECONNREFUSED' })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main unreachable: HOST_UNREACHABLE: ECONNREFUSED', 'blocked databases: main'],
  },
  {
    name: 'twin database unreachable, forced: still nothing to promote',
    snapshot: snapshot({ force: true, databases: [observation({ twin: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main unreachable: nothing to promote'],
  },
  {
    name: 'twin database stopped',
    snapshot: snapshot({ databases: [observation({ twin: STOPPED })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main is stopped, not a running replica'],
  },
  {
    name: 'replica lag above the limit',
    snapshot: snapshot({ databases: [observation({ lag: 48 * MiB })] }),
    action: 'hold',
    verdicts: [['blocked', 48 * MiB]],
    reasons: ['replica main lag 48.0 MiB > limit 16.0 MiB'],
  },
  {
    name: 'replica lag above the limit, forced: reports the loss',
    snapshot: snapshot({ force: true, databases: [observation({ lag: 48 * MiB })] }),
    action: 'failover',
    verdicts: [['promote', 48 * MiB]],
    reasons: ['forced: replica main lag 48.0 MiB > limit 16.0 MiB (at least: primary last observed 10 s ago): promoting loses 48.0 MiB', 'forced failover loses: main 48.0 MiB'],
  },
  {
    name: 'replica lag exactly at the limit',
    snapshot: snapshot({ databases: [observation({ lag: 16 * MiB })] }),
    action: 'failover',
    verdicts: [['promote', 16 * MiB]],
    reasons: ['within limit'],
  },
  {
    name: 'async lag unknown',
    snapshot: snapshot({ databases: [observation({ lag: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['replica main lag unknown: loss unknowable'],
  },
  {
    name: 'async lag unknown, forced',
    snapshot: snapshot({ force: true, databases: [observation({ lag: undefined })] }),
    action: 'failover',
    verdicts: [['promote', null]],
    reasons: ['loses an unknown amount of data', 'forced failover loses: main unknown'],
  },
  {
    name: 'sync mode, primary saw the twin streaming as sync: no loss even with replay lag',
    snapshot: snapshot({ primaryHealth: { healthy: false, detail: 'HTTP 502' }, databases: [observation({ mode: 'sync', primary: SYNC_PRIMARY, lag: 64 * MiB })] }),
    action: 'failover',
    verdicts: [['promote', 0]],
    reasons: ['replica main was streaming synchronously (the primary reports replica twin_main streaming synchronously): no committed data lost'],
  },
  {
    name: 'sync mode, primary dead, fresh observation had the twin synchronous: no loss',
    snapshot: snapshot({ databases: [observation({ mode: 'sync', lastPrimaryObservation: FRESH_SYNC_OBSERVATION, lag: 4 * MiB })] }),
    action: 'failover',
    verdicts: [['promote', 0]],
    reasons: ['the primary, last observed 10 s ago, had replica twin_main streaming synchronously'],
  },
  {
    name: 'sync mode, primary dead, sync evidence too old: falls back to the lag, which is stale too',
    snapshot: snapshot({ databases: [observation({ mode: 'sync', lastPrimaryObservation: { ...FRESH_SYNC_OBSERVATION, at: '2026-05-01T11:50:00Z' } })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['sync mode but was not seen streaming synchronously', 'older than the 60 s limit'],
  },
  {
    name: 'sync mode, another replica is the synchronous one: not evidence for this twin',
    snapshot: snapshot({ databases: [observation({ mode: 'sync', lastPrimaryObservation: { ...FRESH_SYNC_OBSERVATION, syncReplicas: ['someone_else'] }, lag: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['sync mode but was not seen streaming synchronously'],
  },
  {
    name: 'sync mode, twin still streaming but no evidence it is the synchronous one: not proof',
    snapshot: snapshot({ databases: [observation({ mode: 'sync', twin: { ...REPLICA, streaming: true }, lag: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['loss unknowable'],
  },
  {
    name: 'sync mode without evidence and unknown lag',
    snapshot: snapshot({ databases: [observation({ mode: 'sync', lag: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['sync mode but was not seen streaming synchronously', 'loss unknowable'],
  },
  {
    name: 'two databases, one blocked: the whole stack holds',
    snapshot: snapshot({ databases: [observation(), observation({ name: 'orders', lag: 20 * MiB })] }),
    action: 'hold',
    verdicts: [['promote', 1024], ['blocked', 20 * MiB]],
    reasons: ['blocked databases: orders', 'replica orders lag 20.0 MiB > limit 16.0 MiB'],
  },
  {
    name: 'several gates at once are all reported',
    snapshot: snapshot({
      primaryHealth: { healthy: true, detail: 'HTTP 200' },
      twinHealth: { healthy: false, detail: 'HTTP 503' },
      lastFailoverAt: '2026-05-01T11:59:00Z',
      databases: [live()],
    }),
    action: 'hold',
    verdicts: [['promote', 1024]],
    reasons: ['outage not confirmed', 'within the 3600 s cool-down', 'twin stack unhealthy'],
  },
  // Evidence that twinstack promoted a twin that is already primary.
  {
    name: 'twin primary without the promoted marker (a standalone clone): blocked',
    snapshot: snapshot({ databases: [observation({ twin: STANDALONE_PRIMARY })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main is a primary twinstack did not promote (a standalone clone?): refusing', 'blocked databases: main'],
  },
  {
    name: 'twin primary without the promoted marker, forced: still blocked',
    snapshot: snapshot({ force: true, databases: [observation({ twin: STANDALONE_PRIMARY })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main is a primary twinstack did not promote (a standalone clone?): refusing'],
  },
  {
    name: 'twin primary with the marker explicitly false: blocked',
    snapshot: snapshot({ databases: [observation({ twin: { ...PROMOTED, promotedByTwinstack: false } })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main is a primary twinstack did not promote'],
  },
  {
    name: 'standalone twin primary with DNS on the twin: not counted as a failover already done',
    snapshot: snapshot({ dnsPointsAt: 'twin', databases: [observation({ twin: STANDALONE_PRIMARY })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['twin of main is a primary twinstack did not promote'],
  },
  {
    name: 'twin promoted, live primary too, twin behind it (exact): blocked even when forced',
    snapshot: snapshot({ force: true, databases: [live({ twin: PROMOTED, lag: 4096 })] }),
    action: 'hold',
    verdicts: [['blocked', 4096]],
    reasons: ['twin of main is already primary but 4.0 KiB behind the live primary: refusing'],
  },
  {
    name: 'twin promoted, live primary too, twin at its position (exact 0): already primary',
    snapshot: snapshot({ databases: [live({ twin: PROMOTED, lag: 0 })] }),
    action: 'failover',
    verdicts: [['already-primary', 0]],
    reasons: ["at or past the live primary's position"],
  },
  {
    name: 'twin promoted, live primary too, positions not compared: blocked',
    snapshot: snapshot({ databases: [live({ twin: PROMOTED, lag: undefined, lagBound: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['not known to be at or past the primary'],
  },
  {
    name: 'twin promoted, live primary too, only a lower bound: blocked',
    snapshot: snapshot({ databases: [live({ twin: PROMOTED, lag: 0, lagBound: 'lower-bound' })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['not known to be at or past the primary'],
  },
  {
    name: 'twin promoted, old primary stopped: its position does not matter',
    snapshot: snapshot({ databases: [live({ primary: STOPPED, twin: PROMOTED, lag: undefined, lagBound: undefined })] }),
    action: 'failover',
    verdicts: [['already-primary', 0]],
    reasons: ['twin of main is already primary (promoted by twinstack)'],
  },
  // The primary database could not be observed.
  {
    name: 'primary not observed for a fault (host key mismatch): blocked',
    snapshot: snapshot({ databases: [observation({ primaryError: 'HOST_KEY_MISMATCH: SHA256:x', primaryErrorKind: 'fault' })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary of main could not be observed (HOST_KEY_MISMATCH: SHA256:x): fencing cannot be guaranteed', 'blocked databases: main'],
  },
  {
    name: 'primary not observed for a fault, forced: still blocked',
    snapshot: snapshot({ force: true, databases: [observation({ primaryError: 'COMMAND_TIMEOUT: status', primaryErrorKind: 'fault' })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary of main could not be observed (COMMAND_TIMEOUT: status): fencing cannot be guaranteed'],
  },
  {
    name: 'primary not observed, no kind given: treated as a fault',
    snapshot: snapshot({ force: true, databases: [observation({ primaryError: 'UNEXPECTED_OUTPUT: garbage', primaryErrorKind: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary of main could not be observed (UNEXPECTED_OUTPUT: garbage): fencing cannot be guaranteed'],
  },
  {
    name: 'primary not observed, no error and no kind: treated as a fault',
    snapshot: snapshot({ databases: [observation({ primaryError: undefined, primaryErrorKind: undefined })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary of main could not be observed (no status and no error recorded)'],
  },
  {
    name: 'primary not observed for a fault, twin already promoted: blocked',
    snapshot: snapshot({ databases: [observation({ twin: PROMOTED, primaryError: 'AUTH_REFUSED', primaryErrorKind: 'fault' })] }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['fencing cannot be guaranteed'],
  },
  {
    name: 'primary stack healthy but its database unreachable, forced: blocked',
    snapshot: snapshot({ force: true, primaryHealth: { healthy: true, detail: 'HTTP 200' } }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['primary healthy but its database cannot be reached: refusing to promote a second writable primary (main: HOST_UNREACHABLE: timeout)'],
  },
  {
    name: 'primary stack healthy but its database unreachable: blocked, and the gate holds too',
    snapshot: snapshot({ primaryHealth: { healthy: true, detail: 'HTTP 200' } }),
    action: 'hold',
    verdicts: [['blocked', null]],
    reasons: ['outage not confirmed', 'primary healthy but its database cannot be reached'],
  },
  // Re-run after a partial failover (DNS switched, RecordFailover never ran).
  {
    name: 'DNS on the twin, twin promoted, state still on the primary: completes the failover',
    snapshot: snapshot({ dnsPointsAt: 'twin', databases: [observation({ twin: PROMOTED })] }),
    action: 'failover',
    verdicts: [['already-primary', 0]],
    reasons: ['but the group state still says the primary is active: completing the failover'],
  },
  {
    name: 'DNS on the twin, twin promoted, state on the primary, primary stack healthy: traffic already moved',
    snapshot: snapshot({ dnsPointsAt: 'twin', primaryHealth: { healthy: true, detail: 'HTTP 200' }, databases: [live({ primary: STOPPED, twin: PROMOTED })] }),
    action: 'failover',
    verdicts: [['already-primary', 0]],
    reasons: ['completing the failover', 'primary stack healthy (HTTP 200) but DNS already points at the twin: traffic already moved'],
  },
  {
    name: 'DNS on the twin, twin promoted, state on the primary, within the cool-down: holds',
    snapshot: snapshot({ dnsPointsAt: 'twin', lastFailoverAt: '2026-05-01T11:30:00Z', databases: [observation({ twin: PROMOTED })] }),
    action: 'hold',
    verdicts: [['already-primary', 0]],
    reasons: ['within the 3600 s cool-down', 'the failover is incomplete'],
  },
  {
    name: 'DNS on the twin, twin promoted, state on the primary, twin stack unhealthy: holds',
    snapshot: snapshot({ dnsPointsAt: 'twin', twinHealth: { healthy: false, detail: 'HTTP 503' }, databases: [observation({ twin: PROMOTED })] }),
    action: 'hold',
    verdicts: [['already-primary', 0]],
    reasons: ['twin stack unhealthy (HTTP 503)'],
  },
  {
    name: 'DNS on the twin, one twin database still a replica: an ordinary failover, not a completion',
    snapshot: snapshot({ dnsPointsAt: 'twin', databases: [observation({ twin: PROMOTED }), observation({ name: 'orders' })] }),
    action: 'failover',
    verdicts: [['already-primary', 0], ['promote', 1024]],
    reasons: ['replica orders lag 1.0 KiB within limit'],
  },
  {
    name: 'twin active in the group state but one twin database still a replica: not already failed over',
    snapshot: snapshot({ activeStack: 'twin', dnsPointsAt: 'twin', databases: [observation({ twin: PROMOTED }), observation({ name: 'orders' })] }),
    action: 'failover',
    verdicts: [['already-primary', 0], ['promote', 1024]],
    reasons: ['twin of main is already primary'],
  },
];

describe('decideFailover', () => {
  it.each(CASES)('$name → $action', ({ snapshot: s, action, verdicts, reasons }) => {
    // Act
    const decision = decideFailover(s, NOW);

    // Assess
    expect(decision.action).toBe(action);
    expect(decision.forced).toBe(s.force);
    expect(decision.databases.map((d) => [d.action, d.loss])).toStrictEqual(verdicts);
    for (const reason of reasons) expect(decision.reasons.some((r) => r.includes(reason)), `missing reason "${reason}" in ${JSON.stringify(decision.reasons)}`).toBe(true);
    expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it('does not mutate the snapshot and is deterministic', () => {
    // Prepare
    const s = snapshot({ databases: [observation({ lag: 48 * MiB })] });
    const copy = structuredClone(s);

    // Act
    const first = decideFailover(s, NOW);
    const second = decideFailover(s, NOW);

    // Assess
    expect(s).toStrictEqual(copy);
    expect(second).toStrictEqual(first);
  });

  it('never reports a negative loss when the twin looks ahead', () => {
    // Act
    const decision = decideFailover(snapshot({ databases: [observation({ lag: -200 })] }), NOW);

    // Assess
    expect(decision.databases[0]?.loss).toBe(0);
    expect(decision.action).toBe('failover');
  });
});

describe('decideFailover in engine-neutral words', () => {
  const GTID_REPLICA: DatabaseStatus = { role: 'replica', writable: false, fenced: false, position: '0-1-100', streaming: false };

  it.each([
    {
      name: 'a GTID lag is counted and reported in transactions, never bytes',
      db: observation({ lagUnit: 'transactions', maxLag: 100, lag: 250, twin: GTID_REPLICA }),
      force: false,
      action: 'hold',
      reason: 'lag 250 transactions > limit 100 transactions',
    },
    {
      name: 'a GTID lag within the limit promotes',
      db: observation({ lagUnit: 'transactions', maxLag: 100, lag: 3, twin: GTID_REPLICA }),
      force: false,
      action: 'failover',
      reason: 'lag 3 transactions within limit 100 transactions',
    },
    {
      name: 'errant transactions on the twin hold an unforced failover and are named',
      db: observation({ lagUnit: 'transactions', maxLag: 100, lag: 0, twin: { ...GTID_REPLICA, errantTransactions: ['0-2-7'] } }),
      force: false,
      action: 'hold',
      reason: 'holds transactions the primary never had (0-2-7)',
    },
    {
      name: 'a forced failover past errant transactions names them',
      db: observation({ lagUnit: 'transactions', maxLag: 100, lag: 0, twin: { ...GTID_REPLICA, errantTransactions: ['0-2-7'] } }),
      force: true,
      action: 'failover',
      reason: 'forced: twin of main holds transactions the primary never had (0-2-7)',
    },
    {
      name: 'an incompatible twin blocks even a forced failover',
      db: observation({ incompatibilities: ['primary runs PostgreSQL 15 and the twin 16'] }),
      force: true,
      action: 'hold',
      reason: 'cannot take over: primary runs PostgreSQL 15 and the twin 16',
    },
  ])('$name', ({ db, force, action, reason }) => {
    // Act
    const decision = decideFailover(snapshot({ databases: [db], force }), NOW);

    // Assess
    expect(decision.action).toBe(action);
    expect(decision.reasons.some((r) => r.includes(reason)), JSON.stringify(decision.reasons)).toBe(true);
    expect(decision.databases[0]?.lagUnit).toBe(db.lagUnit);
    expect(JSON.stringify(decision)).not.toMatch(db.lagUnit === 'transactions' ? / B\b|KiB|MiB/ : /transactions/);
  });

  it('counts a replica as synchronous only when its primary says streaming AND synchronous', () => {
    // Prepare
    const notStreaming: DatabaseStatus = { ...LIVE_PRIMARY, replicas: [{ name: 'twin_main', streaming: false, synchronous: true }] };
    const base = { mode: 'sync' as const, lag: 48 * MiB, lagBound: 'exact' as const };

    // Act
    const streaming = decideFailover(snapshot({ databases: [live({ ...base, primary: SYNC_PRIMARY })], force: true }), NOW);
    const stalled = decideFailover(snapshot({ databases: [live({ ...base, primary: notStreaming })], force: true }), NOW);

    // Assess
    expect(streaming.databases[0]?.loss).toBe(0);
    expect(stalled.databases[0]?.loss).toBe(48 * MiB);
  });
});

describe('decideFailover in the other direction (from the twin, the active stack, to the primary stack)', () => {
  const back = (overrides: Partial<FailoverSnapshot> = {}) =>
    snapshot({ activeStack: 'twin', from: 'twin', to: 'primary', dnsPointsAt: 'twin', lastMove: { kind: 'failover', at: '2026-05-01T10:00:00Z', from: 'primary', to: 'twin' }, ...overrides });

  it('fails over to a primary stack that rejoined as a replica, naming the stacks by role', () => {
    // Act
    const decision = decideFailover(back(), NOW);
    // Assess
    expect(decision.action).toBe('failover');
    expect(decision.done).toBeUndefined();
    expect(decision.reasons[0]).toBe('failing over from the twin (the active stack) to the primary');
    expect(decision.reasons.join(' | ')).toMatch(/replica main lag 1\.0 KiB within limit 16\.0 MiB \(at least: twin last observed 10 s ago\)/);
  });

  it('holds while the twin stack is healthy: "twin stack healthy: outage not confirmed"', () => {
    // Act
    const decision = decideFailover(back({ primaryHealth: { healthy: true, detail: 'HTTP 200' } }), NOW);
    // Assess
    expect(decision.action).toBe('hold');
    expect(decision.reasons).toContain('twin stack healthy (HTTP 200): outage not confirmed');
  });

  it('a re-run after the failover to the twin (the primary stack fenced, not rejoined) is done: already failed over, rejoin it first', () => {
    // Act
    const decision = decideFailover(back({ databases: [live({ twin: { role: 'stopped', writable: false, fenced: true }, lag: undefined })] }), NOW);
    // Assess
    expect(decision.action).toBe('hold');
    expect(decision.done).toBe(true);
    expect(decision.reasons[0]).toMatch(/^already failed over: the failover at 2026-05-01T10:00:00Z moved the group to the twin/);
    expect(decision.reasons).toContain('the standby is not a replica: rejoin it first (primary of main is stopped)');
  });

  it('a stopped standby holds even when forced, and is not "done" while the active stack is not primary', () => {
    // Act
    const decision = decideFailover(back({ force: true, lastMove: undefined, databases: [observation({ twin: { role: 'stopped', writable: false, fenced: true }, lag: undefined })] }), NOW);
    // Assess
    expect(decision.action).toBe('hold');
    expect(decision.done).toBeUndefined();
    expect(decision.reasons.join(' | ')).toMatch(/the standby is not a replica: rejoin it first/);
    expect(decision.reasons.join(' | ')).toMatch(/primary of main is stopped, not a running replica: nothing to promote/);
  });
});
