/**
 * The failover decision: pure, total, and explained.
 *
 * Invariants (DESIGN.md safety rules):
 * - refusals are data: every path returns a decision with specific reasons; nothing throws;
 * - a failover happens only when every database has a twin to promote (or already promoted),
 *   so a stack never switches with part of its data left behind;
 * - a twin that cannot be observed, or is not running, blocks even a forced failover:
 *   there would be nothing to promote;
 * - without `force`: a healthy primary (outage not confirmed), the cool-down after the
 *   last failover, an unhealthy twin stack, a lag above the limit, or an unknowable
 *   loss each hold the failover; with `force` each is overridden and named, with the
 *   data it loses;
 * - evidence about a primary that can no longer be read (its last position, its sync
 *   replicas) counts only while younger than `maxObservationAgeSeconds`; a lag measured
 *   against it is a lower bound and is reported as one;
 * - already failed over (twin active or DNS on the twin, every twin database primary) is
 *   a hold, so duplicate alarms and re-runs change nothing.
 */
import type { DatabaseObservation, DatabaseVerdict, FailoverDecision, FailoverSnapshot } from './failover-snapshot.ts';
import { formatBytes } from './format-bytes.ts';

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
    const live = db.primary.replicas?.some((r) => r.name === db.replicaName && r.syncState === 'sync' && r.state === 'streaming') ?? false;
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
function lagToJudge(db: DatabaseObservation, now: Date, maxAgeSeconds: number): { bytes?: number; note: string; stale?: string } {
  if (db.lagBytes === undefined) return { note: '' };
  if (db.lagBound !== 'lower-bound') return { bytes: Math.max(0, db.lagBytes), note: '' };
  const at = db.lastPrimaryObservation?.at;
  const age = at === undefined ? Number.POSITIVE_INFINITY : ageSeconds(at, now);
  if (age > maxAgeSeconds) {
    const when = at === undefined ? 'never observed' : `last observed ${Number.isFinite(age) ? `${Math.round(age)} s ago` : `at unreadable time ${JSON.stringify(at)}`}`;
    return { note: '', stale: `primary of ${db.name} ${when}, older than the ${maxAgeSeconds} s limit` };
  }
  return { bytes: Math.max(0, db.lagBytes), note: ` (at least: primary last observed ${Math.round(age)} s ago)` };
}

function judgeDatabase(db: DatabaseObservation, force: boolean, now: Date, maxAgeSeconds: number): DatabaseVerdict {
  const { name, twin } = db;
  if (!twin) {
    return { name, action: 'blocked', lossBytes: null, reasons: [`twin of ${name} unreachable${db.twinError ? `: ${db.twinError}` : ''}: nothing to promote`] };
  }
  if (twin.role === 'primary') {
    return { name, action: 'already-primary', lossBytes: 0, reasons: [`twin of ${name} is already primary`] };
  }
  if (twin.role !== 'replica') {
    return { name, action: 'blocked', lossBytes: null, reasons: [`twin of ${name} is ${twin.role}, not a running replica: nothing to promote`] };
  }
  const evidence = syncEvidence(db, now, maxAgeSeconds);
  if (evidence) {
    return { name, action: 'promote', lossBytes: 0, reasons: [`replica ${name} was streaming synchronously (${evidence}): no committed data lost`] };
  }
  const syncNote = db.mode === 'sync' ? [`replica ${name} is in sync mode but was not seen streaming synchronously`] : [];
  const lag = lagToJudge(db, now, maxAgeSeconds);
  if (lag.bytes === undefined) {
    const why = lag.stale ?? 'lag unknown';
    return force
      ? { name, action: 'promote', lossBytes: null, reasons: [...syncNote, `forced: promoting replica ${name} loses an unknown amount of data (${why})`] }
      : { name, action: 'blocked', lossBytes: null, reasons: [...syncNote, `replica ${name} ${why}: loss unknowable (force to promote anyway)`] };
  }
  if (lag.bytes > db.maxLagBytes) {
    const what = `replica ${name} lag ${formatBytes(lag.bytes)} > limit ${formatBytes(db.maxLagBytes)}${lag.note}`;
    return force
      ? { name, action: 'promote', lossBytes: lag.bytes, reasons: [...syncNote, `forced: ${what}: promoting loses ${formatBytes(lag.bytes)}`] }
      : { name, action: 'blocked', lossBytes: lag.bytes, reasons: [...syncNote, `${what} (force to promote and lose it)`] };
  }
  return { name, action: 'promote', lossBytes: lag.bytes, reasons: [...syncNote, `replica ${name} lag ${formatBytes(lag.bytes)} within limit ${formatBytes(db.maxLagBytes)}${lag.note}`] };
}

/** Seconds since `lastFailoverAt`, or undefined when there was none; NaN when unreadable. */
function secondsSince(lastFailoverAt: string | undefined, now: Date): number | undefined {
  if (lastFailoverAt === undefined) return undefined;
  return (now.getTime() - Date.parse(lastFailoverAt)) / 1000;
}

export function decideFailover(snapshot: FailoverSnapshot, now: Date): FailoverDecision {
  const force = snapshot.force;
  const databases = snapshot.databases.map((db) => judgeDatabase(db, force, now, snapshot.maxObservationAgeSeconds));
  const databaseReasons = databases.flatMap((d) => d.reasons);

  const onTwin = snapshot.activeStack === 'twin' || snapshot.dnsPointsAt === 'twin';
  if (onTwin && snapshot.databases.every((db) => db.twin?.role === 'primary')) {
    const where = [snapshot.activeStack === 'twin' && 'twin is the active stack', snapshot.dnsPointsAt === 'twin' && 'DNS points at the twin'].filter(Boolean).join(', ');
    return { action: 'hold', reasons: [`already failed over: ${where}, every twin database is primary`], databases, forced: force };
  }

  const gates: { readonly holds: boolean; readonly reason: string; readonly forcedReason: string }[] = [];
  gates.push({
    holds: snapshot.primaryHealth.healthy,
    reason: `primary stack healthy (${snapshot.primaryHealth.detail}): outage not confirmed`,
    forcedReason: `forced while the primary stack is healthy (${snapshot.primaryHealth.detail}): it is fenced before promotion`,
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
    reason: `twin stack unhealthy (${snapshot.twinHealth.detail})`,
    forcedReason: `forced while the twin stack is unhealthy (${snapshot.twinHealth.detail})`,
  });
  const holding = gates.filter((g) => g.holds);

  const blocked = databases.filter((d) => d.action === 'blocked');
  if (blocked.length > 0 || (!force && holding.length > 0)) {
    const gateReasons = force ? [] : holding.map((g) => g.reason);
    const blockedNote = blocked.length > 0 ? [`blocked databases: ${blocked.map((d) => d.name).join(', ')}`] : [];
    return { action: 'hold', reasons: [...gateReasons, ...blockedNote, ...databaseReasons], databases, forced: force };
  }

  const lossSummary = force ? [`forced failover loses: ${describeLoss(databases)}`] : [];
  return {
    action: 'failover',
    reasons: [...holding.map((g) => g.forcedReason), ...lossSummary, ...databaseReasons],
    databases,
    forced: force,
  };
}

function describeLoss(databases: readonly DatabaseVerdict[]): string {
  if (databases.length === 0) return 'no databases';
  return databases.map((d) => `${d.name} ${d.lossBytes === null ? 'unknown' : formatBytes(d.lossBytes)}`).join(', ');
}
