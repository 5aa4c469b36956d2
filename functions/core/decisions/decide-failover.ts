/**
 * The failover decision: pure, total, and explained.
 *
 * Invariants (DESIGN.md safety rules):
 * - refusals are data: every path returns a decision with specific reasons; nothing throws;
 * - a failover happens only when every database has a twin to promote (or already promoted),
 *   so a stack never switches with part of its data left behind;
 * - a twin that cannot be observed, or is not running, blocks even a forced failover:
 *   there would be nothing to promote;
 * - a twin the engine finds incompatible with the primary (dialect, major version, binary
 *   logging …) blocks, even when forced; a twin holding transactions the primary never
 *   had (errant GTIDs) holds unless forced, and a forced promotion names them;
 * - lags and losses are in the engine's own unit (bytes, transactions) and said so;
 * - a twin that is already primary counts as promoted only with evidence that twinstack
 *   promoted it (`promotedByTwinstack`), and, while the old primary is live and primary,
 *   only when it is not behind it; otherwise it blocks, even when forced;
 * - a primary database that could not be observed for any reason but an unreachable host
 *   (`primaryErrorKind` `fault`, or absent) blocks, even when forced: it may still take
 *   writes and fencing cannot be guaranteed; so does an unreachable primary database
 *   while the primary stack answers healthy over HTTP (a partition, not an outage);
 * - without `force`: a healthy primary (outage not confirmed), the cool-down after the
 *   last failover, an unhealthy twin stack, a lag above the limit, or an unknowable
 *   loss each hold the failover; with `force` each is overridden and named, with the
 *   data it loses;
 * - evidence about a primary that can no longer be read (its last position, its sync
 *   replicas) counts only while younger than `maxObservationAgeSeconds`; a lag measured
 *   against it is a lower bound and is reported as one;
 * - the direction is the snapshot's (`from` the active stack `to` the other; absent: primary
 *   → twin); reasons name the stacks by role, so a failover back from the twin reads
 *   `twin stack healthy`, `primary of main is stopped`;
 * - already failed over is a hold (`done`), so duplicate alarms and re-runs change nothing:
 *   the group state names the `to` stack active and every `to` database is primary, or the
 *   last recorded move went to the active (`from`) stack, every `from` database is primary
 *   and some standby database is not a replica (stopped, fenced or unreachable);
 * - a standby database that is not a running replica (fenced or stopped by the last
 *   failover) holds, even when forced: "the standby is not a replica: rejoin it first";
 * - a partial failover (DNS already on the twin, every twin database promoted by
 *   twinstack, but the group state still on the primary) is a `failover`, so the
 *   remaining idempotent steps run and the failover is finally recorded; the healthy-
 *   primary gate does not hold then (traffic already moved), the other gates still do.
 */
import type { StackRole } from '../model.ts';
import type { DatabaseObservation, DatabaseVerdict, FailoverDecision, FailoverSnapshot } from './failover-snapshot.ts';

/** A verdict before its unit is attached (every verdict carries its database's lag unit). */
type Judgement = Omit<DatabaseVerdict, 'lagUnit'>;
import { formatLag } from '../engines/lag-unit.ts';
import { otherStack } from './direction.ts';

/** Seconds between an ISO time and `now`; Infinity when unreadable (an unreadable time proves nothing). */
function ageSeconds(at: string, now: Date): number {
  const age = (now.getTime() - Date.parse(at)) / 1000;
  return Number.isNaN(age) ? Number.POSITIVE_INFINITY : Math.max(0, age);
}

/**
 * Evidence that the twin has every acknowledged commit: in sync mode, the primary
 * reported THIS twin (by replica name) as a synchronous, streaming replica — live,
 * or in an observation no older than the limit. PostgreSQL then acknowledges no
 * commit the twin has not flushed. Returns the evidence, or undefined.
 */
function syncEvidence(db: DatabaseObservation, now: Date, maxAgeSeconds: number): string | undefined {
  if (db.mode !== 'sync') return undefined;
  if (db.primary?.role === 'primary') {
    const live = db.primary.replicas?.some((r) => r.name === db.replicaName && r.synchronous && r.streaming) ?? false;
    return live ? `the primary reports replica ${db.replicaName} streaming synchronously` : undefined;
  }
  const seen = db.lastPrimaryObservation;
  if (!seen || !seen.syncReplicas.includes(db.replicaName)) return undefined;
  const age = ageSeconds(seen.at, now);
  return age <= maxAgeSeconds ? `the primary, last observed ${Math.round(age)} s ago, had replica ${db.replicaName} streaming synchronously` : undefined;
}

/**
 * The lag to judge: exact against a live primary; a lower bound against a fresh
 * last observation; unknowable when that observation is older than the limit.
 */
function lagToJudge(db: DatabaseObservation, now: Date, maxAgeSeconds: number, from: StackRole): { amount?: number; note: string; stale?: string } {
  if (db.lag === undefined) return { note: '' };
  if (db.lagBound !== 'lower-bound') return { amount: Math.max(0, db.lag), note: '' };
  const at = db.lastPrimaryObservation?.at;
  const age = at === undefined ? Number.POSITIVE_INFINITY : ageSeconds(at, now);
  if (age > maxAgeSeconds) {
    const when = at === undefined ? 'never observed' : `last observed ${Number.isFinite(age) ? `${Math.round(age)} s ago` : `at unreadable time ${JSON.stringify(at)}`}`;
    return { note: '', stale: `${from} of ${db.name} ${when}, older than the ${maxAgeSeconds} s limit` };
  }
  return { amount: Math.max(0, db.lag), note: ` (at least: ${from} last observed ${Math.round(age)} s ago)` };
}

interface JudgeContext {
  readonly force: boolean;
  /** The stack failed over from (its copies are `db.primary`) and to (`db.twin`). */
  readonly from: StackRole;
  readonly to: StackRole;
  readonly now: Date;
  readonly maxAgeSeconds: number;
  readonly primaryHealthy: boolean;
}

/**
 * Blocks that come from the primary side and no `force` overrides: a primary that
 * could not be observed for a reason other than an unreachable host, or an
 * unreachable primary database behind a healthy primary stack. Undefined: no block.
 */
function primarySideBlock(db: DatabaseObservation, primaryHealthy: boolean, from: StackRole): string | undefined {
  if (db.primary) return undefined;
  const error = db.primaryError ?? 'no status and no error recorded';
  if ((db.primaryErrorKind ?? 'fault') !== 'unreachable') {
    return `${from} of ${db.name} could not be observed (${error}): fencing cannot be guaranteed`;
  }
  if (primaryHealthy) {
    return `${from} healthy but its database cannot be reached: refusing to promote a second writable primary (${db.name}: ${error})`;
  }
  return undefined;
}

/**
 * A twin that is already primary: ours (the promoted marker) and, while the old
 * primary is live and primary, not behind it (an exact lag of 0).
 */
function judgePrimaryTwin(db: DatabaseObservation, from: StackRole, to: StackRole): Judgement {
  const { name, twin } = db;
  if (twin?.promotedByTwinstack !== true) {
    return { name, action: 'blocked', loss: null, reasons: [`${to} of ${name} is a primary twinstack did not promote (a standalone clone?): refusing`] };
  }
  if (db.primary?.role === 'primary') {
    if (db.lagBound !== 'exact' || db.lag === undefined) {
      return {
        name,
        action: 'blocked',
        loss: null,
        reasons: [`${to} of ${name} is already primary while the ${from} is live and primary too, and it is not known to be at or past the ${from}'s position: refusing`],
      };
    }
    if (db.lag > 0) {
      return {
        name,
        action: 'blocked',
        loss: db.lag,
        reasons: [`${to} of ${name} is already primary but ${formatLag(db.lag, db.lagUnit)} behind the live primary: refusing`],
      };
    }
    return { name, action: 'already-primary', loss: 0, reasons: [`${to} of ${name} is already primary (promoted by twinstack), at or past the live primary's position`] };
  }
  return { name, action: 'already-primary', loss: 0, reasons: [`${to} of ${name} is already primary (promoted by twinstack)`] };
}

function judgeDatabase(db: DatabaseObservation, { force, now, maxAgeSeconds, primaryHealthy, from, to }: JudgeContext): Judgement {
  const { name, twin } = db;
  if (!twin) {
    return { name, action: 'blocked', loss: null, reasons: [`${to} of ${name} unreachable${db.twinError ? `: ${db.twinError}` : ''}: nothing to promote`] };
  }
  const primaryBlock = primarySideBlock(db, primaryHealthy, from);
  if (primaryBlock !== undefined) return { name, action: 'blocked', loss: null, reasons: [primaryBlock] };
  if (twin.role === 'primary') return judgePrimaryTwin(db, from, to);
  if (twin.role !== 'replica') {
    return { name, action: 'blocked', loss: null, reasons: [`${to} of ${name} is ${twin.role}, not a running replica: nothing to promote`] };
  }
  if ((db.incompatibilities ?? []).length > 0) {
    return { name, action: 'blocked', loss: null, reasons: (db.incompatibilities ?? []).map((problem) => `${to} of ${name} cannot take over: ${problem}`) };
  }
  const errant = twin.errantTransactions ?? [];
  const errantNote = errant.length > 0 ? `${to} of ${name} holds transactions the ${from} never had (${errant.join(', ')})` : undefined;
  if (errantNote !== undefined && !force) {
    return { name, action: 'blocked', loss: null, reasons: [`${errantNote}: promoting it would make them the group's history (force to promote anyway)`] };
  }
  const verdict = judgeReplica(db, force, now, maxAgeSeconds, from);
  return errantNote === undefined ? verdict : { ...verdict, reasons: [`forced: ${errantNote}: they become part of the new primary's history`, ...verdict.reasons] };
}

/** A running replica, compatible and without errant transactions (or forced past them): sync evidence, then the lag gate. */
function judgeReplica(db: DatabaseObservation, force: boolean, now: Date, maxAgeSeconds: number, from: StackRole): Judgement {
  const { name } = db;
  const evidence = syncEvidence(db, now, maxAgeSeconds);
  if (evidence) {
    return { name, action: 'promote', loss: 0, reasons: [`replica ${name} was streaming synchronously (${evidence}): no committed data lost`] };
  }
  const syncNote = db.mode === 'sync' ? [`replica ${name} is in sync mode but was not seen streaming synchronously`] : [];
  const lag = lagToJudge(db, now, maxAgeSeconds, from);
  if (lag.amount === undefined) {
    const why = lag.stale ?? 'lag unknown';
    return force
      ? { name, action: 'promote', loss: null, reasons: [...syncNote, `forced: promoting replica ${name} loses an unknown amount of data (${why})`] }
      : { name, action: 'blocked', loss: null, reasons: [...syncNote, `replica ${name} ${why}: loss unknowable (force to promote anyway)`] };
  }
  if (lag.amount > db.maxLag) {
    const what = `replica ${name} lag ${formatLag(lag.amount, db.lagUnit)} > limit ${formatLag(db.maxLag, db.lagUnit)}${lag.note}`;
    return force
      ? { name, action: 'promote', loss: lag.amount, reasons: [...syncNote, `forced: ${what}: promoting loses ${formatLag(lag.amount, db.lagUnit)}`] }
      : { name, action: 'blocked', loss: lag.amount, reasons: [...syncNote, `${what} (force to promote and lose it)`] };
  }
  return { name, action: 'promote', loss: lag.amount, reasons: [...syncNote, `replica ${name} lag ${formatLag(lag.amount, db.lagUnit)} within limit ${formatLag(db.maxLag, db.lagUnit)}${lag.note}`] };
}

/** Seconds since `lastFailoverAt`, or undefined when there was none; NaN when unreadable. */
function secondsSince(lastFailoverAt: string | undefined, now: Date): number | undefined {
  if (lastFailoverAt === undefined) return undefined;
  return (now.getTime() - Date.parse(lastFailoverAt)) / 1000;
}

export function decideFailover(snapshot: FailoverSnapshot, now: Date): FailoverDecision {
  const force = snapshot.force;
  const from = snapshot.from ?? 'primary';
  const to = snapshot.to ?? otherStack(from);
  const context: JudgeContext = { force, now, maxAgeSeconds: snapshot.maxObservationAgeSeconds, primaryHealthy: snapshot.primaryHealth.healthy, from, to };
  const databases: DatabaseVerdict[] = snapshot.databases.map((db) => ({ ...judgeDatabase(db, context), lagUnit: db.lagUnit }));
  const databaseReasons = databases.flatMap((d) => d.reasons);
  const direction = from === 'primary' ? [] : [`failing over from the ${from} (the active stack) to the ${to}`];

  if (snapshot.activeStack === to && snapshot.databases.every((db) => db.twin?.role === 'primary')) {
    const where = [snapshot.dnsPointsAt === to && `DNS points at the ${to}`, `${to} is the active stack`].filter(Boolean).join(', ');
    return { action: 'hold', reasons: [`already failed over: ${where}, every ${to} database is primary`], databases, forced: force, done: true };
  }

  // The standby must be a running replica (or already promoted by this failover) to take over:
  // after a failover the old primary is fenced, and only a rejoin makes it a replica again.
  const standbyDown = snapshot.databases.filter((db) => db.twin !== undefined && db.twin.role !== 'replica' && db.twin.role !== 'primary');
  const rejoinFirst = standbyDown.length > 0 ? [`the standby is not a replica: rejoin it first (${standbyDown.map((db) => `${to} of ${db.name} is ${db.twin?.role ?? 'unknown'}`).join(', ')})`] : [];
  const lastMove = snapshot.lastMove;
  const noReplicaToPromote = snapshot.databases.some((db) => db.twin?.role !== 'replica' && db.twin?.role !== 'primary');
  if (noReplicaToPromote && lastMove?.to === from && snapshot.databases.every((db) => db.primary?.role === 'primary')) {
    const where = [snapshot.dnsPointsAt === from && `DNS points at the ${from}`, `${from} is the active stack`].filter(Boolean).join(', ');
    return {
      action: 'hold',
      reasons: [`already failed over: the ${lastMove.kind ?? 'failover'} at ${lastMove.at} moved the group to the ${from}; ${where}, every ${from} database is primary`, ...rejoinFirst],
      databases,
      forced: force,
      done: true,
    };
  }

  // A partial failover: traffic already moved and every target database is ours and primary,
  // but RecordFailover never ran. Completing it is the only way to a consistent state.
  const completing = snapshot.dnsPointsAt === to && databases.every((d) => d.action === 'already-primary');
  const completingReasons = completing
    ? [
        `DNS already points at the ${to} and every ${to} database is primary (promoted by twinstack), but the group state still says the ${from} is active: completing the failover (the remaining steps are idempotent)`,
        ...(snapshot.primaryHealth.healthy
          ? [`${from} stack healthy (${snapshot.primaryHealth.detail}) but DNS already points at the ${to}: traffic already moved, so its health does not hold the failover`]
          : []),
      ]
    : [];

  const gates: { readonly holds: boolean; readonly reason: string; readonly forcedReason: string }[] = [];
  gates.push({
    holds: snapshot.primaryHealth.healthy && !completing,
    reason: `${from} stack healthy (${snapshot.primaryHealth.detail}): outage not confirmed`,
    forcedReason: `forced while the ${from} stack is healthy (${snapshot.primaryHealth.detail}): it is fenced before promotion`,
  });
  const since = secondsSince(snapshot.lastFailoverAt, now);
  if (since !== undefined) {
    const unreadable = Number.isNaN(since);
    gates.push({
      holds: unreadable || since < snapshot.cooldownSeconds,
      reason: unreadable
        ? `last failover time ${JSON.stringify(snapshot.lastFailoverAt)} unreadable: cool-down cannot be checked`
        : `last failover ${Math.round(since)} s ago, within the ${snapshot.cooldownSeconds} s cool-down`,
      forcedReason: `forced within the cool-down (last failover at ${snapshot.lastFailoverAt})`,
    });
  }
  gates.push({
    holds: !snapshot.twinHealth.healthy,
    reason: `${to} stack unhealthy (${snapshot.twinHealth.detail})`,
    forcedReason: `forced while the ${to} stack is unhealthy (${snapshot.twinHealth.detail})`,
  });
  const holding = gates.filter((g) => g.holds);

  const blocked = databases.filter((d) => d.action === 'blocked');
  if (blocked.length > 0 || (!force && holding.length > 0)) {
    const gateReasons = force ? [] : holding.map((g) => g.reason);
    const blockedNote = blocked.length > 0 ? [`blocked databases: ${blocked.map((d) => d.name).join(', ')}`] : [];
    const incomplete = completing
      ? [`DNS already points at the ${to} and every ${to} database is primary, but the group state still says the ${from} is active: the failover is incomplete and waits for the reasons above`]
      : [];
    return { action: 'hold', reasons: [...direction, ...gateReasons, ...rejoinFirst, ...blockedNote, ...incomplete, ...databaseReasons], databases, forced: force };
  }

  const lossSummary = force ? [`forced failover loses: ${describeLoss(databases)}`] : [];
  return {
    action: 'failover',
    reasons: [...direction, ...completingReasons, ...holding.map((g) => g.forcedReason), ...lossSummary, ...databaseReasons],
    databases,
    forced: force,
  };
}

function describeLoss(databases: readonly DatabaseVerdict[]): string {
  if (databases.length === 0) return 'no databases';
  return databases.map((d) => `${d.name} ${d.loss === null ? 'unknown' : formatLag(d.loss, d.lagUnit)}`).join(', ');
}
