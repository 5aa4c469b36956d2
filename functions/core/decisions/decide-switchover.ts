/**
 * The switchover decision: a planned move of every database and the group's name from
 * the active stack to the other one, losing nothing. Pure, total, explained.
 *
 * Invariants:
 * - refusals are data and change nothing; there is no `force`: a switchover that cannot
 *   lose nothing is a failover's business;
 * - it refuses when the asked-for stack is already active, when the target stack is
 *   unhealthy, when DNS does not point at the active stack (traffic would not follow the
 *   databases), and when any one database cannot switch: every database moves or none;
 * - a database switches only from a primary that answers (writable, or demoted by an
 *   earlier run that stopped: that run is resumed) to a running, streaming replica without
 *   a replication error, errant transactions or compatibility problems, whose lag is known,
 *   within `replication.maxLag`, and, when the server estimates it, fewer seconds behind than
 *   the catch-up timeout (else it could not catch up in time and the switchover would only
 *   be undone);
 * - a replica an earlier run already promoted (its primary demoted, the replica promoted by
 *   twinstack) is resumed too, never promoted twice; the catch-up check still compares it
 *   with the token exactly before anything goes on.
 */
import { formatLag } from '../engines/lag-unit.ts';
import type { DatabaseObservation } from './failover-snapshot.ts';
import type { SwitchoverDecision, SwitchoverSnapshot, SwitchoverVerdict } from './switchover-snapshot.ts';
import type { StackRole } from '../model.ts';

type Judgement = Pick<SwitchoverVerdict, 'action' | 'reasons'>;

const refuse = (...reasons: string[]): Judgement => ({ action: 'refuse', reasons });

/**
 * The active stack's copy: a writable primary, or one an earlier run demoted (whatever its
 * role now: a demoted PostgreSQL primary is shut down, a MariaDB one read-only).
 */
function judgeOld(db: DatabaseObservation, from: StackRole): Judgement | { readonly demoted: boolean } {
  const old = db.primary;
  if (!old) return refuse(`${from} of ${db.name} could not be observed (${db.primaryError ?? 'no status'}): nothing is demoted blind`);
  if (old.demoted === true) return { demoted: true };
  if (old.role !== 'primary') return refuse(`${from} of ${db.name} is ${old.role}, not the primary: nothing to switch from`);
  if (!old.writable) return refuse(`${from} of ${db.name} is a read-only primary that no switchover demoted (fenced?): refusing`);
  return { demoted: false };
}

function judgeDatabase(db: DatabaseObservation, { from, to, catchUpTimeoutSeconds }: SwitchoverSnapshot): Judgement {
  const old = judgeOld(db, from);
  if ('action' in old) return old;
  const resumeNote = old.demoted ? [`${from} of ${db.name} is already demoted by an earlier switchover that did not finish: resuming it`] : [];
  const replica = db.twin;
  if (!replica) return refuse(`${to} of ${db.name} could not be observed (${db.twinError ?? 'no status'}): nothing to promote`);
  if (replica.role === 'primary') {
    if (old.demoted && replica.promotedByTwinstack === true) {
      return { action: 'resume', reasons: [...resumeNote, `${to} of ${db.name} was already promoted by twinstack: the catch-up check still proves it has the demoted primary's final position`] };
    }
    return refuse(`${to} of ${db.name} is a primary, not a replica of the ${from}: refusing (two primaries; see the rejoin workflow)`);
  }
  if (replica.role !== 'replica') return refuse(`${to} of ${db.name} is ${replica.role}, not a running replica: rejoin it first`);
  const problems: string[] = [];
  if (replica.streaming !== true) problems.push(`${to} of ${db.name} is not streaming from the ${from}`);
  if (replica.replicationError) problems.push(`${to} of ${db.name} replication is broken: ${replica.replicationError}`);
  const errant = replica.errantTransactions ?? [];
  if (errant.length > 0) problems.push(`${to} of ${db.name} holds transactions the ${from} never had (${errant.join(', ')})`);
  for (const problem of db.incompatibilities ?? []) problems.push(`${to} of ${db.name} cannot take over: ${problem}`);
  // A demoted primary may be stopped (no live position): its final position, the token, decides the catch-up.
  if (db.lag === undefined && !old.demoted) problems.push(`${to} of ${db.name} lag unknown: its catch-up cannot be judged`);
  else if (db.lag !== undefined && db.lag > db.maxLag) problems.push(`${to} of ${db.name} lag ${formatLag(db.lag, db.lagUnit)} > limit ${formatLag(db.maxLag, db.lagUnit)}: it would not catch up within the ${catchUpTimeoutSeconds} s timeout`);
  if (replica.secondsBehind !== undefined && replica.secondsBehind > catchUpTimeoutSeconds) {
    problems.push(`${to} of ${db.name} is ${replica.secondsBehind} s behind by its own estimate, more than the ${catchUpTimeoutSeconds} s catch-up timeout`);
  }
  if (problems.length > 0) return refuse(...problems);
  const lag = formatLag(Math.max(0, db.lag ?? 0), db.lagUnit);
  return { action: old.demoted ? 'resume' : 'switch', reasons: [...resumeNote, `${to} of ${db.name} streams, ${lag} behind (limit ${formatLag(db.maxLag, db.lagUnit)}): it catches up after the demotion, then is promoted`] };
}

export function decideSwitchover(snapshot: SwitchoverSnapshot): SwitchoverDecision {
  const { from, to, catchUpTimeoutSeconds } = snapshot;
  const databases: SwitchoverVerdict[] = snapshot.databases.map((db) => ({
    name: db.name,
    ...judgeDatabase(db, snapshot),
    loss: 0,
    lagUnit: db.lagUnit,
    lag: db.lag === undefined ? null : Math.max(0, db.lag),
  }));
  const decision = { kind: 'switchover', from, to, databases, forced: false, catchUpTimeoutSeconds } as const;
  const target = snapshot.requestedTo ?? to;
  if (target === snapshot.activeStack) {
    return { ...decision, action: 'refuse', reasons: [`the ${target} is already the active stack: nothing to switch over`] };
  }
  const groupProblems: string[] = [];
  if (!snapshot.toHealth.healthy) groupProblems.push(`${to} stack unhealthy (${snapshot.toHealth.detail}): it must serve before traffic moves to it`);
  if (snapshot.dnsPointsAt !== from) {
    const where = snapshot.dnsPointsAt ? `the ${snapshot.dnsPointsAt}` : snapshot.dnsAnswer ? `${snapshot.dnsAnswer.type} ${snapshot.dnsAnswer.value}, neither stack` : 'nothing observable';
    groupProblems.push(`DNS points at ${where}, not the active ${from}: switching would not move the traffic the databases serve`);
  }
  if (snapshot.databases.length === 0) groupProblems.push('the group has no databases');
  const refused = databases.filter((d) => d.action === 'refuse');
  const databaseReasons = databases.flatMap((d) => d.reasons);
  if (groupProblems.length > 0 || refused.length > 0) {
    const refusedNote = refused.length > 0 ? [`databases that cannot switch: ${refused.map((d) => d.name).join(', ')}`] : [];
    return { ...decision, action: 'refuse', reasons: [...groupProblems, ...refusedNote, ...databaseReasons] };
  }
  return {
    ...decision,
    action: 'switchover',
    reasons: [`switching over from the ${from} to the ${to}: every database is demoted, caught up exactly (within ${catchUpTimeoutSeconds} s, else undone), then promoted; nothing is lost`, ...databaseReasons],
  };
}
