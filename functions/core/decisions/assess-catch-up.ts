/**
 * Has the twin caught up with the primary? Engine-neutral: positions are compared
 * only through the engine's `positionDiff`.
 *
 * Invariants: `caughtUp` is true only for a running primary and a streaming replica
 * whose replayed position is at most `toleranceBytes` behind the primary's position;
 * `lagBytes` is null whenever it cannot be computed and never negative (the twin is
 * read after the primary, so it may look slightly ahead).
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import { formatBytes } from './format-bytes.ts';

export interface CatchUpAssessment {
  readonly caughtUp: boolean;
  readonly lagBytes: number | null;
  readonly reasons: readonly string[];
}

export type PositionDiff = (to: string, from: string) => number;

export function assessCatchUp(
  primary: DatabaseStatus | undefined,
  twin: DatabaseStatus | undefined,
  positionDiff: PositionDiff,
  toleranceBytes = 0,
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

  const lagBytes =
    primary?.role === 'primary' && primary.position !== undefined && twin?.role === 'replica' && twin.position !== undefined
      ? Math.max(0, positionDiff(primary.position, twin.position))
      : null;
  if (lagBytes !== null && lagBytes > toleranceBytes) {
    reasons.push(`twin replayed ${twin?.position} is ${formatBytes(lagBytes)} behind primary ${primary?.position}`);
  }
  const caughtUp = reasons.length === 0;
  if (caughtUp) reasons.push(`twin streaming, ${formatBytes(lagBytes ?? 0)} behind (tolerance ${formatBytes(toleranceBytes)})`);
  return { caughtUp, lagBytes, reasons };
}
