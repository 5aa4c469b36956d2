/**
 * The rejoin (failback) decision: may the old primary's stack — the STANDBY, the stack
 * GroupState does not name active — become a replica of the active one, database by
 * database? Pure, total, and explained: every path returns a decision with reasons;
 * refusals are data, nothing throws.
 *
 * Invariants:
 * - the active stack is the one GroupState names (never a guess from DNS or roles), and
 *   it is the replication source: every active database must be observed as a writable
 *   primary, or nothing is rejoined (there would be nothing to follow);
 * - DNS must point at the active stack: while traffic may reach the standby, turning its
 *   databases into replicas could take writes away from live clients (and the group is
 *   not in the state a rejoin finishes);
 * - a standby database that is a writable primary, neither fenced nor demoted, refuses the
 *   whole rejoin and is named: it may still receive traffic (two writable primaries), and
 *   only an operator may decide to stop it;
 * - a standby database that cannot be observed, or is of a kind the engine finds
 *   incompatible with the active one, refuses: what cannot be seen cannot be rejoined safely;
 * - nothing failed over — the primary stack is active and every twin database already
 *   streams from it — refuses with "nothing to rejoin";
 * - per database: `already-replica` when the standby streams from the active database with
 *   evidence (its reported upstream is the active address, or the active primary lists it
 *   by replica name as streaming): nothing is done to it; otherwise `rejoin` (the engine's
 *   rejoin is idempotent, so a replica without such evidence is re-checked, not rebuilt);
 * - the decision never changes `active`: after a rejoin the group is ready for a switchover
 *   or a failover back, which are their own workflows.
 */
import type { SideObservation } from './database-observation.ts';
import type { DatabaseStatus } from '../engines/database-engine.ts';
import type { LagUnit } from '../engines/lag-unit.ts';
import type { DnsTarget, StackRole } from '../model.ts';

/** One database as observed on both stacks for a rejoin. */
export interface RejoinDatabaseObservation {
  readonly name: string;
  /** The engine's unit of lag and of divergent data. */
  readonly lagUnit: LagUnit;
  /** `host:port` of the active copy, as a replica reports its upstream. */
  readonly activeAddress: string;
  /** The identity the standby's copy replicates under (the engine's replicaName). */
  readonly standbyReplicaName: string;
  /** The active copy (the replication source), or why it could not be read. */
  readonly active: SideObservation;
  /** The standby copy (the node to rejoin), or why it could not be read. */
  readonly standby: SideObservation;
  /** Why the standby cannot replicate from the active copy (engine.compatibilityProblems), when both were read. */
  readonly incompatibilities?: readonly string[];
}

/** Everything decideRejoin needs, gathered by the AssessRejoin step. Immutable, JSON-serialisable, no secrets. */
export interface RejoinSnapshot {
  readonly group: string;
  readonly observedAt: string;
  /** The stack GroupState names active: the replication source. */
  readonly active: StackRole;
  /** The other stack: the one whose databases rejoin as replicas. */
  readonly standby: StackRole;
  /** What DNS answers now for the group's name. */
  readonly dnsAnswer?: DnsTarget;
  /** Which stack the DNS answer designates, if any. */
  readonly dnsPointsAt?: StackRole;
  readonly activeHealth: { readonly healthy: boolean; readonly detail: string };
  readonly standbyHealth: { readonly healthy: boolean; readonly detail: string };
  readonly databases: readonly RejoinDatabaseObservation[];
}

export interface RejoinVerdict {
  readonly name: string;
  /** `rejoin`: make it a replica of the active copy; `already-replica`: it already streams from it (nothing to do); `blocked`: refuses the rejoin. */
  readonly action: 'rejoin' | 'already-replica' | 'blocked';
  readonly lagUnit: LagUnit;
  readonly reasons: readonly string[];
}

export interface RejoinDecision {
  readonly action: 'rejoin' | 'refuse';
  readonly reasons: readonly string[];
  /** The reasons as one sentence (the refusal's cause in the workflow). */
  readonly summary: string;
  /** The replication source (GroupState.active) and the stack that rejoins. */
  readonly active: StackRole;
  readonly standby: StackRole;
  readonly databases: readonly RejoinVerdict[];
}

/**
 * Does the standby copy stream from the active one? `true` with evidence (its upstream is
 * the active address, or the active primary lists it as a streaming replica); `false` when
 * it is not a streaming replica or streams from elsewhere; `undefined` when it streams but
 * neither side says from where.
 */
export function streamsFromActive(db: RejoinDatabaseObservation): boolean | undefined {
  const standby = db.standby.status;
  if (standby?.role !== 'replica' || standby.streaming !== true) return false;
  if (standby.upstream !== undefined) return sameAddress(standby.upstream, db.activeAddress);
  const listed = db.active.status?.replicas?.some((r) => r.name === db.standbyReplicaName && r.streaming);
  return listed === true ? true : undefined;
}

function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Why the active copy cannot be the replication source; undefined when it is a writable primary. */
function activeProblem(db: RejoinDatabaseObservation, active: StackRole): string | undefined {
  const status = db.active.status;
  if (!status) return `active (${active}) copy of ${db.name} could not be observed (${db.active.error ?? 'no status'}): there is nothing to follow`;
  if (status.role !== 'primary' || !status.writable) {
    return `active (${active}) copy of ${db.name} is ${describeStatus(status)}, not a writable primary: finish the failover or switchover first`;
  }
  return undefined;
}

function describeStatus(status: DatabaseStatus): string {
  const marks = [status.fenced && 'fenced', status.demoted === true && 'demoted', status.role === 'primary' && !status.writable && 'read-only'].filter(Boolean);
  return `a ${status.role}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`;
}

/** The verdict on one standby copy, given the active copy is a fit source. */
function judgeStandby(db: RejoinDatabaseObservation, standby: StackRole): Omit<RejoinVerdict, 'lagUnit'> {
  const { name } = db;
  const status = db.standby.status;
  if (!status) {
    return { name, action: 'blocked', reasons: [`${standby} copy of ${name} could not be observed (${db.standby.error ?? 'no status'}): it has not come back yet, or cannot be reached; nothing to rejoin safely`] };
  }
  if (status.role === 'primary' && status.writable && !status.fenced && status.demoted !== true) {
    return {
      name,
      action: 'blocked',
      reasons: [`${standby} copy of ${name} is a writable primary, neither fenced nor demoted: it may still receive traffic (two writable primaries); fence or stop it first, then rejoin`],
    };
  }
  if (status.role === 'unknown') return { name, action: 'blocked', reasons: [`${standby} copy of ${name} is in an unknown role: refusing to rejoin what cannot be told`] };
  if ((db.incompatibilities ?? []).length > 0) {
    return { name, action: 'blocked', reasons: (db.incompatibilities ?? []).map((p) => `${standby} copy of ${name} cannot replicate from the active copy: ${p}`) };
  }
  const streams = streamsFromActive(db);
  if (streams === true) return { name, action: 'already-replica', reasons: [`${standby} copy of ${name} already streams from the active copy (${db.activeAddress}): nothing to do`] };
  const errant = status.errantTransactions ?? [];
  const errantNote = errant.length > 0 ? [`${standby} copy of ${name} holds transactions the active copy never had (${errant.join(', ')}): they are saved aside and counted before it follows`] : [];
  const how =
    streams === undefined ? `${standby} copy of ${name} streams, but neither side reports from where: the engine's rejoin confirms (it changes nothing on a replica of the active copy)`
    : `${standby} copy of ${name} is ${describeStatus(status)}: it rejoins as a replica of the active copy (${db.activeAddress}); anything written after the fork is saved aside and counted first`;
  return { name, action: 'rejoin', reasons: [how, ...errantNote] };
}

function withSummary(decision: Omit<RejoinDecision, 'summary'>): RejoinDecision {
  return { ...decision, summary: `${decision.action === 'refuse' ? 'rejoin refused' : 'rejoin'}: ${decision.reasons.join('; ')}` };
}

export function decideRejoin(snapshot: RejoinSnapshot): RejoinDecision {
  const { active, standby } = snapshot;
  const base = { active, standby };
  const databases: RejoinVerdict[] = snapshot.databases.map((db) => {
    const problem = activeProblem(db, active);
    const judged = problem === undefined ? judgeStandby(db, standby) : { name: db.name, action: 'blocked' as const, reasons: [problem] };
    return { ...judged, lagUnit: db.lagUnit };
  });
  const databaseReasons = databases.flatMap((d) => d.reasons);

  if (snapshot.databases.length === 0) return withSummary({ ...base, action: 'refuse', reasons: ['the group has no databases: nothing to rejoin'], databases });

  if (active === 'primary' && snapshot.databases.every((db) => streamsFromActive(db) !== false && activeProblem(db, active) === undefined)) {
    return withSummary({
      ...base,
      action: 'refuse',
      reasons: ['nothing to rejoin: nothing failed over (the primary stack is active and every twin database already streams from it)'],
      databases,
    });
  }

  const gates: string[] = [];
  if (snapshot.dnsPointsAt !== active) {
    const answer = snapshot.dnsAnswer ? `${snapshot.dnsAnswer.type} ${snapshot.dnsAnswer.value}` : 'no answer';
    const where = snapshot.dnsPointsAt ? `the ${snapshot.dnsPointsAt} stack` : `neither stack (${answer})`;
    gates.push(`DNS points at ${where}, not at the active ${active} stack: traffic may still reach the ${standby} stack; finish the failover or switchover (DNS on the active stack) first`);
  }
  const blocked = databases.filter((d) => d.action === 'blocked');
  if (gates.length > 0 || blocked.length > 0) {
    const blockedNote = blocked.length > 0 ? [`blocked databases: ${blocked.map((d) => d.name).join(', ')}`] : [];
    return withSummary({ ...base, action: 'refuse', reasons: [...gates, ...blockedNote, ...databaseReasons], databases });
  }

  const health = snapshot.activeHealth.healthy ? [] : [`note: the active ${active} stack does not answer healthy (${snapshot.activeHealth.detail}); its databases are writable primaries, so the rejoin goes on`];
  const toRejoin = databases.filter((d) => d.action === 'rejoin').map((d) => d.name);
  const headline =
    toRejoin.length > 0 ? `the ${standby} stack rejoins as replicas of the active ${active} stack: ${toRejoin.join(', ')}`
    : `every ${standby} database already streams from the active ${active} stack: nothing changes`;
  return withSummary({ ...base, action: 'rejoin', reasons: [headline, ...health, ...databaseReasons], databases });
}
