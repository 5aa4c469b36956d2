/**
 * Bytes the twin is behind the primary, for DatabaseObservation.lagBytes (what
 * promoting now would lose).
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
