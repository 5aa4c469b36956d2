/**
 * Has the twin caught up with the primary? Engine-neutral: positions are compared
 * only through the engine's `positionDiff`.
 *
 * Invariants: `caughtUp` is true only for a running primary and a streaming replica
 * whose applied position is at most `tolerance` (in the engine's lag unit) behind the
 * primary's position; `lag` is null whenever it cannot be computed and never negative
 * (the twin is read after the primary, so it may look slightly ahead).
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import { formatLag, type LagUnit } from '../engines/lag-unit.ts';

export interface CatchUpAssessment {
  readonly caughtUp: boolean;
  /** In `lagUnit`. */
  readonly lag: number | null;
  readonly lagUnit: LagUnit;
  readonly reasons: readonly string[];
}

export type PositionDiff = (to: string, from: string) => number;

/** How an engine compares two positions: the difference and its unit. */
export interface PositionMeasure {
  readonly positionDiff: PositionDiff;
  readonly lagUnit: LagUnit;
}

export function assessCatchUp(
  primary: DatabaseStatus | undefined,
  twin: DatabaseStatus | undefined,
  { positionDiff, lagUnit }: PositionMeasure,
  tolerance = 0,
): CatchUpAssessment {
  const reasons: string[] = [];
  if (!primary) reasons.push('primary not observed');
  else if (primary.role !== 'primary') reasons.push(`primary is ${primary.role}, not a running primary`);
  else if (primary.position === undefined) reasons.push('primary position unknown');
  if (!twin) reasons.push('twin not observed');
  else if (twin.role !== 'replica') reasons.push(`twin is ${twin.role}, not a replica`);
  else {
    if (twin.streaming !== true) reasons.push('twin is not streaming from the primary');
    if (twin.position === undefined) reasons.push('twin replay position unknown');
  }

  const lag =
    primary?.role === 'primary' && primary.position !== undefined && twin?.role === 'replica' && twin.position !== undefined
      ? Math.max(0, positionDiff(primary.position, twin.position))
      : null;
  if (lag !== null && lag > tolerance) {
    reasons.push(`twin applied ${twin?.position} is ${formatLag(lag, lagUnit)} behind primary ${primary?.position}`);
  }
  if (twin?.replicationError) reasons.push(`twin replication error: ${twin.replicationError}`);
  const caughtUp = reasons.length === 0;
  if (caughtUp) reasons.push(`twin streaming, ${formatLag(lag ?? 0, lagUnit)} behind (tolerance ${formatLag(tolerance, lagUnit)})`);
  return { caughtUp, lag, lagUnit, reasons };
}
