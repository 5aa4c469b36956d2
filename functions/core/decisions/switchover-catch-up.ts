/**
 * Has one replica reached its demoted primary's final position (the switchover's token)?
 * Pure. Invariant: caught up only when `positionDiff(token, position) <= 0` exactly, for
 * the position the replica has APPLIED (what a promotion certainly keeps) — a running
 * replica, or a primary an earlier run of this switchover promoted (twinstack's marker).
 * Anything unknown is not caught up.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import { formatLag, type LagUnit } from '../engines/lag-unit.ts';
import type { PositionDiff } from './assess-catch-up.ts';

export interface TokenCatchUp {
  readonly caughtUp: boolean;
  /** How far the replica's applied position is behind the token, in the engine's unit (null: unknown). */
  readonly behind: number | null;
  readonly position?: string;
  readonly reason: string;
}

export function catchUpToToken(token: string, replica: DatabaseStatus, positionDiff: PositionDiff, lagUnit: LagUnit): TokenCatchUp {
  const promotedHere = replica.role === 'primary' && replica.promotedByTwinstack === true;
  if (replica.role !== 'replica' && !promotedHere) return { caughtUp: false, behind: null, reason: `it is ${replica.role}, neither a replica nor promoted by twinstack` };
  if (replica.position === undefined) return { caughtUp: false, behind: null, reason: 'its applied position is unknown' };
  const behind = positionDiff(token, replica.position);
  const position = replica.position;
  if (behind > 0) return { caughtUp: false, behind, position, reason: `applied ${position} is ${formatLag(behind, lagUnit)} behind the final position ${token}` };
  return { caughtUp: true, behind: 0, position, reason: `applied ${position}, at or past the final position ${token}` };
}
