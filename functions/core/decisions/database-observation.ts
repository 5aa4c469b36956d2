/**
 * One database as observed on both stacks, turned into the DatabaseObservation the
 * failover decision weighs. Pure: the statuses (or why they could not be read), the
 * primary's last healthy observation and the engine's position arithmetic are given.
 *
 * Invariants:
 * - against a live primary the lag is exact; against its last observation it is a lower
 *   bound (the primary may have written more since);
 * - a twin that is already primary (a re-run) is compared with a live old primary too:
 *   anything it lacks is a loss;
 * - incompatibilities are judged only when both sides were read.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import type { LagUnit } from '../engines/lag-unit.ts';
import type { PrimaryObservation } from '../group-state.ts';
import type { Database } from '../model.ts';
import { estimateLag, estimatePrimaryTwinLag } from './estimate-lag.ts';
import type { DatabaseObservation } from './failover-snapshot.ts';

/**
 * One side as read: a status, or why it could not be read — `unreachable` only when no
 * connection could be made to its host; `fault` for anything else (the host answered, so
 * the server may well be running: never treat a fault as a dead primary).
 */
export type SideObservation =
  | { readonly status: DatabaseStatus; readonly error?: undefined; readonly errorKind?: undefined }
  | { readonly status?: undefined; readonly error: string; readonly errorKind: 'unreachable' | 'fault' };

/** What of the engine the observation needs: its arithmetic and its judgement, no I/O. */
export interface EngineJudgement {
  readonly lagUnit: LagUnit;
  positionDiff(to: string, from: string): number;
  compatibilityProblems(primary: DatabaseStatus, twin: DatabaseStatus): readonly string[];
}

export interface DatabaseObservationInput {
  readonly database: Database;
  readonly engine: EngineJudgement;
  readonly replicaName: string;
  readonly primary: SideObservation;
  readonly twin: SideObservation;
  readonly lastSeen?: PrimaryObservation;
}

export function toDatabaseObservation({ database, engine, replicaName, primary, twin, lastSeen }: DatabaseObservationInput): DatabaseObservation {
  const livePrimary = primary.status?.role === 'primary' && primary.status.position !== undefined;
  const diff = (to: string, from: string) => engine.positionDiff(to, from);
  const lag = estimateLag(primary.status, twin.status, lastSeen?.position, diff) ?? estimatePrimaryTwinLag(primary.status, twin.status, diff);
  const incompatibilities = primary.status && twin.status ? engine.compatibilityProblems(primary.status, twin.status) : [];
  return {
    name: database.name,
    mode: database.replication.mode,
    maxLag: database.replication.maxLag,
    lagUnit: engine.lagUnit,
    replicaName,
    ...(primary.status ? { primary: primary.status } : { primaryError: primary.error, primaryErrorKind: primary.errorKind }),
    ...(twin.status ? { twin: twin.status } : { twinError: twin.error }),
    ...(lastSeen !== undefined ? { lastPrimaryObservation: lastSeen } : {}),
    ...(lag !== undefined ? { lag, lagBound: livePrimary ? ('exact' as const) : ('lower-bound' as const) } : {}),
    ...(incompatibilities.length > 0 ? { incompatibilities } : {}),
  };
}
