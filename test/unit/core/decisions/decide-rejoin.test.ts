import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';
import { decideRejoin, streamsFromActive, type RejoinDatabaseObservation, type RejoinSnapshot } from '../../../../functions/core/decisions/decide-rejoin.ts';

/** The twin, promoted by the failover: the active copy. */
const ACTIVE_PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000100', replicas: [], promotedByTwinstack: true, forkPosition: '0/5000000' };
/** The old primary after the failover's fence: stopped and marked. */
const FENCED: DatabaseStatus = { role: 'stopped', writable: false, fenced: true };
/** The old primary restarted without its fence: writable, maybe receiving traffic. */
const WRITABLE: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/5000200', replicas: [] };
/** A switchover's old primary: demoted (writes refused). */
const DEMOTED: DatabaseStatus = { role: 'primary', writable: false, fenced: false, demoted: true, position: '0/5000000', replicas: [] };
const STREAMING_FROM_ACTIVE: DatabaseStatus = { role: 'replica', writable: false, fenced: false, streaming: true, upstream: '127.0.2.1:5432', position: '0/5000100' };
const STREAMING_UNKNOWN_UPSTREAM: DatabaseStatus = { role: 'replica', writable: false, fenced: false, streaming: true, position: '0/5000100' };

function db(overrides: Partial<RejoinDatabaseObservation> = {}): RejoinDatabaseObservation {
  return {
    name: 'main',
    lagUnit: 'bytes',
    activeAddress: '127.0.2.1:5432',
    standbyReplicaName: 'twinstack_shop_eu_main',
    active: { status: ACTIVE_PRIMARY },
    standby: { status: FENCED },
    ...overrides,
  };
}

/** After a failover: the twin is active, DNS on it, the old primary fenced. */
function snapshot(overrides: Partial<RejoinSnapshot> = {}): RejoinSnapshot {
  return {
    group: 'shop',
    observedAt: '2026-05-01T12:00:00Z',
    active: 'twin',
    standby: 'primary',
    dnsAnswer: { type: 'A', value: '127.0.2.2' },
    dnsPointsAt: 'twin',
    activeHealth: { healthy: true, detail: 'HTTP 200' },
    standbyHealth: { healthy: false, detail: 'connection refused' },
    databases: [db()],
    ...overrides,
  };
}

describe('decideRejoin', () => {
  it.each<[string, DatabaseStatus]>([
    ['fenced and stopped after a failover', FENCED],
    ['demoted by a switchover', DEMOTED],
    ['a replica that does not stream', { role: 'replica', writable: false, fenced: false, streaming: false }],
    ['streaming from another upstream', { ...STREAMING_FROM_ACTIVE, upstream: '10.9.9.9:5432' }],
    ['a fenced primary still running read-only', { role: 'primary', writable: false, fenced: true, position: '0/5000200' }],
  ])('rejoins an old primary that is %s', (_, standby) => {
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ standby: { status: standby } })] }));
    // Assess
    expect(decision.action).toBe('rejoin');
    expect(decision.databases).toEqual([expect.objectContaining({ name: 'main', action: 'rejoin', lagUnit: 'bytes' })]);
    expect(decision).toMatchObject({ active: 'twin', standby: 'primary' });
    expect(decision.summary).toMatch(/^rejoin: the primary stack rejoins as replicas of the active twin stack: main/);
  });

  it('skips a database that already streams from the active copy (its upstream is the active address), and rejoins the other', () => {
    // Prepare
    const decision = decideRejoin(snapshot({ databases: [db({ standby: { status: STREAMING_FROM_ACTIVE } }), db({ name: 'audit' })] }));
    // Assess
    expect(decision.action).toBe('rejoin');
    expect(decision.databases.map((d) => [d.name, d.action])).toEqual([['main', 'already-replica'], ['audit', 'rejoin']]);
    expect(decision.reasons.join('\n')).toMatch(/main already streams from the active copy \(127\.0\.2\.1:5432\): nothing to do/);
  });

  it('counts the active primary listing the standby by replica name as evidence of streaming from it', () => {
    // Prepare
    const active: DatabaseStatus = { ...ACTIVE_PRIMARY, replicas: [{ name: 'twinstack_shop_eu_main', streaming: true, synchronous: false }] };
    const observation = db({ active: { status: active }, standby: { status: STREAMING_UNKNOWN_UPSTREAM } });
    // Act + Assess
    expect(streamsFromActive(observation)).toBe(true);
    expect(decideRejoin(snapshot({ databases: [observation] })).databases[0]?.action).toBe('already-replica');
  });

  it('re-checks (rejoin, engine idempotent) a streaming replica when neither side says from where', () => {
    // Prepare
    const observation = db({ standby: { status: STREAMING_UNKNOWN_UPSTREAM } });
    // Act
    const decision = decideRejoin(snapshot({ databases: [observation] }));
    // Assess
    expect(streamsFromActive(observation)).toBeUndefined();
    expect(decision.databases[0]).toMatchObject({ action: 'rejoin' });
    expect(decision.databases[0]?.reasons.join(' ')).toMatch(/neither side reports from where/);
  });

  it('a re-run after a rejoin is a rejoin with nothing to change', () => {
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ standby: { status: STREAMING_FROM_ACTIVE } })] }));
    // Assess
    expect(decision.action).toBe('rejoin');
    expect(decision.databases.every((d) => d.action === 'already-replica')).toBe(true);
    expect(decision.reasons[0]).toMatch(/already streams from the active twin stack: nothing changes/);
  });

  it('refuses, naming it, a writable old primary that is neither fenced nor demoted (it may still have traffic)', () => {
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ standby: { status: WRITABLE } }), db({ name: 'audit' })] }));
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.databases.map((d) => [d.name, d.action])).toEqual([['main', 'blocked'], ['audit', 'rejoin']]);
    expect(decision.reasons).toContain('blocked databases: main');
    expect(decision.summary).toMatch(/^rejoin refused: .*primary copy of main is a writable primary, neither fenced nor demoted: it may still receive traffic/);
  });

  it('refuses while DNS does not point at the active stack', () => {
    // Act
    const onStandby = decideRejoin(snapshot({ dnsPointsAt: 'primary', dnsAnswer: { type: 'A', value: '127.0.1.2' } }));
    const nowhere = decideRejoin(snapshot({ dnsPointsAt: undefined, dnsAnswer: { type: 'A', value: '10.0.0.9' } }));
    const unanswered = decideRejoin(snapshot({ dnsPointsAt: undefined, dnsAnswer: undefined }));
    // Assess
    expect([onStandby.action, nowhere.action, unanswered.action]).toEqual(['refuse', 'refuse', 'refuse']);
    expect(onStandby.reasons[0]).toMatch(/DNS points at the primary stack, not at the active twin stack/);
    expect(nowhere.reasons[0]).toMatch(/DNS points at neither stack \(A 10\.0\.0\.9\)/);
    expect(unanswered.reasons[0]).toMatch(/neither stack \(no answer\)/);
  });

  it.each<[string, RejoinDatabaseObservation['active'], RegExp]>([
    ['read-only', { status: { ...ACTIVE_PRIMARY, writable: false } }, /active \(twin\) copy of main is a primary \(read-only\), not a writable primary/],
    ['a replica', { status: STREAMING_UNKNOWN_UPSTREAM }, /active \(twin\) copy of main is a replica, not a writable primary/],
    ['fenced', { status: { role: 'stopped', writable: false, fenced: true } }, /is a stopped \(fenced\), not a writable primary/],
    ['unobservable', { error: 'HOST_UNREACHABLE: timeout', errorKind: 'unreachable' }, /could not be observed \(HOST_UNREACHABLE: timeout\): there is nothing to follow/],
  ])('refuses when an active database is %s', (_, active, reason) => {
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ active })] }));
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.databases[0]?.action).toBe('blocked');
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  it('refuses "nothing to rejoin" when nothing failed over: the primary is active and every twin database streams from it', () => {
    // Prepare
    const twinReplica = db({ activeAddress: '127.0.1.1:5432', active: { status: { role: 'primary', writable: true, fenced: false, position: '0/3000148' } }, standby: { status: STREAMING_UNKNOWN_UPSTREAM } });
    // Act
    const decision = decideRejoin(snapshot({ active: 'primary', standby: 'twin', dnsPointsAt: 'primary', databases: [twinReplica, { ...twinReplica, name: 'audit' }] }));
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.reasons).toEqual(['nothing to rejoin: nothing failed over (the primary stack is active and every twin database already streams from it)']);
  });

  it('rejoins the twin after a failover back (the primary active again, the twin fenced)', () => {
    // Act
    const decision = decideRejoin(snapshot({ active: 'primary', standby: 'twin', dnsPointsAt: 'primary', databases: [db({ activeAddress: '127.0.1.1:5432' })] }));
    // Assess
    expect(decision).toMatchObject({ action: 'rejoin', active: 'primary', standby: 'twin' });
    expect(decision.reasons[0]).toBe('the twin stack rejoins as replicas of the active primary stack: main');
  });

  it.each<[string, RejoinDatabaseObservation['standby'], RegExp]>([
    ['unreachable', { error: 'HOST_UNREACHABLE: connect ECONNREFUSED', errorKind: 'unreachable' }, /could not be observed \(HOST_UNREACHABLE: connect ECONNREFUSED\): it has not come back yet/],
    ['in an unknown role', { status: { role: 'unknown', writable: false, fenced: false } }, /unknown role/],
  ])('refuses when an old primary database is %s', (_, standby, reason) => {
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ standby })] }));
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  it('refuses an old primary the engine finds incompatible with the active copy', () => {
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ incompatibilities: ['major version 14 vs 15'] })] }));
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.reasons).toContain('primary copy of main cannot replicate from the active copy: major version 14 vs 15');
  });

  it('names errant transactions an old primary holds: they are saved aside and counted', () => {
    // Prepare
    const errant: DatabaseStatus = { role: 'primary', writable: false, fenced: true, errantTransactions: ['0-1-17', '0-1-18'] };
    // Act
    const decision = decideRejoin(snapshot({ databases: [db({ lagUnit: 'transactions', standby: { status: errant } })] }));
    // Assess
    expect(decision.action).toBe('rejoin');
    expect(decision.databases[0]).toMatchObject({ lagUnit: 'transactions' });
    expect(decision.reasons.join('\n')).toMatch(/holds transactions the active copy never had \(0-1-17, 0-1-18\): they are saved aside and counted/);
  });

  it('notes an unhealthy active stack without refusing (its databases are writable primaries)', () => {
    // Act
    const decision = decideRejoin(snapshot({ activeHealth: { healthy: false, detail: 'HTTP 503' } }));
    // Assess
    expect(decision.action).toBe('rejoin');
    expect(decision.reasons).toContain('note: the active twin stack does not answer healthy (HTTP 503); its databases are writable primaries, so the rejoin goes on');
  });

  it('refuses a group without databases', () => {
    // Act + Assess
    expect(decideRejoin(snapshot({ databases: [] }))).toMatchObject({ action: 'refuse', reasons: ['the group has no databases: nothing to rejoin'] });
  });
});
