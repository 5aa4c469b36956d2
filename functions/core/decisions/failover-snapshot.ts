import type { DatabaseStatus } from '../engines/database-engine.ts';
import type { LagUnit } from '../engines/lag-unit.ts';
import type { MoveKind, PrimaryObservation } from '../group-state.ts';
import type { DnsTarget, ReplicationMode, StackRole } from '../model.ts';

/** One database as observed on both stacks. `undefined` status: the server could not be reached. */
export interface DatabaseObservation {
  readonly name: string;
  readonly mode: ReplicationMode;
  /** The most lag promoted automatically, in `lagUnit`. */
  readonly maxLag: number;
  /** The engine's unit of lag and loss (bytes, transactions, operations). */
  readonly lagUnit: LagUnit;
  /** The identity the twin replicates under (the engine's replicaName). */
  readonly replicaName: string;
  readonly primary?: DatabaseStatus;
  readonly twin?: DatabaseStatus;
  /** Why a side could not be observed (e.g. `HOST_UNREACHABLE: …`). */
  readonly primaryError?: string;
  /**
   * Why the primary could not be observed: `unreachable` only when its host could
   * not be connected to at all (HostUnreachableError at connection time); `fault`
   * for everything else (host key mismatch, authentication refused, unparseable
   * output, non-zero exit, timeout). Absent with a `primaryError`: treated as `fault`.
   */
  readonly primaryErrorKind?: 'unreachable' | 'fault';
  readonly twinError?: string;
  /** The primary as last observed healthy (GroupState), whether or not it can be read now. */
  readonly lastPrimaryObservation?: PrimaryObservation;
  /**
   * How far the twin is behind the primary, in `lagUnit`, computed by the engine from
   * the best positions available; undefined when unknowable. See `lagBound`. For a twin
   * that is already primary while the primary is live, how far the live primary is
   * ahead of the twin (with `lagBound: 'exact'`): anything but 0 blocks.
   */
  readonly lag?: number;
  /** Why the twin cannot take over from the primary as observed (engine.compatibilityProblems). */
  readonly incompatibilities?: readonly string[];
  /**
   * `exact`: measured against the live primary. `lower-bound`: measured against
   * `lastPrimaryObservation` (the primary may have written more since), only as
   * good as that observation is fresh.
   */
  readonly lagBound?: 'exact' | 'lower-bound';
}

/**
 * Everything decideFailover needs, gathered by the AssessFailover step. Immutable, JSON-serialisable, no secrets.
 * The failover goes `from` the active stack `to` the other one: in each DatabaseObservation
 * `primary` is the copy on `from` and `twin` the copy on `to`, and so are `primaryHealth` and
 * `twinHealth` (the names of a group in its initial state, primary → twin).
 */
export interface FailoverSnapshot {
  readonly group: string;
  readonly observedAt: string;
  /** The stack the group's state says is active. */
  readonly activeStack: StackRole;
  /** The stack failed over from (its copies are the primaries). @default 'primary' */
  readonly from?: StackRole;
  /** The stack failed over to (its copies are the replicas promoted). @default the other one */
  readonly to?: StackRole;
  /** The group's last recorded move (GroupState history), when there was one. */
  readonly lastMove?: { readonly kind?: MoveKind; readonly at: string; readonly from: StackRole; readonly to: StackRole };
  /** What DNS answers now for the group's name. */
  readonly dnsAnswer?: DnsTarget;
  /** Which stack the DNS answer corresponds to, if any. */
  readonly dnsPointsAt?: StackRole;
  readonly primaryHealth: { readonly healthy: boolean; readonly detail: string };
  readonly twinHealth: { readonly healthy: boolean; readonly detail: string };
  readonly databases: readonly DatabaseObservation[];
  readonly lastFailoverAt?: string;
  readonly cooldownSeconds: number;
  /** A lower-bound lag or sync evidence older than this proves nothing: the loss is unknowable. */
  readonly maxObservationAgeSeconds: number;
  /** Operator override: promote even a lagging replica, ignore the cool-down and a healthy primary. */
  readonly force: boolean;
}

export interface DatabaseVerdict {
  readonly name: string;
  /** `promote`: replica to promote; `already-primary`: twin already promoted (idempotent re-run). */
  readonly action: 'promote' | 'already-primary' | 'blocked';
  /** What promoting now loses, in `lagUnit` (null when unknowable). */
  readonly loss: number | null;
  readonly lagUnit: LagUnit;
  readonly reasons: readonly string[];
}

export interface FailoverDecision {
  readonly action: 'failover' | 'hold';
  readonly reasons: readonly string[];
  readonly databases: readonly DatabaseVerdict[];
  readonly forced: boolean;
  /** A hold because the failover already happened (a re-run, a duplicate alarm): not a refusal. */
  readonly done?: true;
}
