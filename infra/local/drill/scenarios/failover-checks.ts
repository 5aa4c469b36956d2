/**
 * Pure checks several scenarios share: did a failover move the traffic, and is every
 * lost write accounted for by the loss the decision reported.
 */
import type { DrillDatabaseResult, DrillMeasurement } from '../summarize-drill.ts';

/**
 * True when the writes the checker found missing on a database are covered by what
 * the decision reported promoting it would lose: nothing lost is always covered; in
 * `transactions` (one write is one transaction) the count must not exceed the
 * reported loss; in `bytes` a byte lag has no exact write count, so any reported lag
 * above zero covers the loss and zero covers none; an unknown loss (null) covers none.
 */
export function lossCovered(db: Pick<DrillDatabaseResult, 'lost' | 'loss' | 'lagUnit'>): boolean {
  if (db.lost === 0) return true;
  if (db.loss === null) return false;
  return db.lagUnit === 'transactions' ? db.lost <= db.loss : db.loss > 0;
}

/**
 * The conditions of "the failover moved traffic to the twin and nothing acknowledged went
 * missing unexplained" (`coverLoss: false` leaves the loss to the caller's own check).
 */
export function failoverConditions(summary: DrillMeasurement, options: { readonly coverLoss?: boolean } = {}): Array<readonly [boolean, string]> {
  const moved = summary.dnsBefore !== null && summary.dnsAfter !== null && summary.dnsBefore !== summary.dnsAfter;
  const uncovered = summary.databases.filter((db) => !lossCovered(db));
  return [
    [summary.failoverStatus === 'SUCCEEDED', `failover ${summary.failoverStatus}${summary.failoverStatus === 'SUCCEEDED' ? '' : `: ${summary.failoverReasons.join('; ')}`}`],
    [moved, `DNS ${summary.dnsBefore ?? '?'} → ${summary.dnsAfter ?? '?'}`],
    [summary.acknowledgedAfterFailover > 0, `${summary.acknowledgedAfterFailover} writes acknowledged after the fault`],
    ...(options.coverLoss === false ? [] : [[
      uncovered.length === 0,
      uncovered.length === 0
        ? `${summary.lost} acknowledged writes lost${summary.lost > 0 ? ', each covered by the loss the decision reported' : ''}`
        : uncovered.map((db) => `${db.name}: ${db.lost} lost but the decision reported ${db.loss ?? 'an unknown'} ${db.lagUnit}`).join('; '),
    ] as const]),
    [summary.duplicated === 0, `${summary.duplicated} writes duplicated`],
    [summary.errors.length === 0, summary.errors.length === 0 ? 'no measuring errors' : summary.errors.join('; ')],
  ];
}
