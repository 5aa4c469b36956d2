/**
 * How far the twin is behind the primary, in the engine's lag unit, for
 * DatabaseObservation.lag (what promoting now would lose).
 *
 * Invariants:
 * - the twin's RECEIVED position counts (promotion replays everything received);
 *   its replayed position is the fallback;
 * - the live primary's position is preferred; the last position recorded while it
 *   was healthy is the fallback, and then the result is only a LOWER bound (the
 *   primary may have written more after it was recorded);
 * - undefined when either side is unknowable; never negative.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import type { PositionDiff } from './assess-catch-up.ts';

export function estimateLag(
  primary: DatabaseStatus | undefined,
  twin: DatabaseStatus | undefined,
  lastKnownPrimaryPosition: string | undefined,
  positionDiff: PositionDiff,
): number | undefined {
  if (twin?.role !== 'replica') return undefined;
  const twinPosition = twin.receivedPosition ?? twin.position;
  const primaryPosition = primary?.role === 'primary' && primary.position !== undefined ? primary.position : lastKnownPrimaryPosition;
  if (twinPosition === undefined || primaryPosition === undefined) return undefined;
  return Math.max(0, positionDiff(primaryPosition, twinPosition));
}

/**
 * How far a LIVE primary is ahead of a twin that is already primary too (a re-run
 * after a promotion, before or despite fencing), for DatabaseObservation.lag
 * with `lagBound: 'exact'`: decideFailover accepts such a twin only at 0.
 *
 * Invariants: defined only when both are primaries with known positions (the
 * positions of two timelines compare only as a lower bound of what the twin lacks:
 * anything above 0 proves a loss); never negative.
 */
export function estimatePrimaryTwinLag(primary: DatabaseStatus | undefined, twin: DatabaseStatus | undefined, positionDiff: PositionDiff): number | undefined {
  if (primary?.role !== 'primary' || twin?.role !== 'primary') return undefined;
  if (primary.position === undefined || twin.position === undefined) return undefined;
  return Math.max(0, positionDiff(primary.position, twin.position));
}
