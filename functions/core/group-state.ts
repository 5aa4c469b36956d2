import type { RejoinMethod } from './engines/database-engine.ts';
import type { LagUnit } from './engines/lag-unit.ts';
import type { StackRole } from './model.ts';

/** What twinstack remembers about a group between workflows (stored as JSON). */
export interface GroupState {
  /** The stack that should receive traffic. */
  readonly active: StackRole;
  /** ISO time of the last completed failover (not a switchover: an operator's planned move), for the cool-down. */
  readonly lastFailoverAt?: string;
  /** History of completed failovers, switchovers and rejoins, newest last (bounded). */
  readonly history?: readonly FailoverRecord[];
}

/**
 * One database's primary as last observed healthy (CheckReplication, run by the
 * replicate workflow and on a schedule): the evidence a failover weighs once the
 * primary can no longer be read. Stored per database (parameterNames.observation),
 * never inside GroupState, so the scheduled checks never race a RecordFailover.
 */
export interface PrimaryObservation {
  /** ISO time of the observation. */
  readonly at: string;
  /** The primary's write position then. */
  readonly position: string;
  /** Replicas the primary reported as synchronous AND streaming then. */
  readonly syncReplicas: readonly string[];
  /**
   * The stack whose primary this was (the replication source then). Absent: stored before
   * failovers went both ways, i.e. the primary stack's. Evidence about the other stack's
   * database says nothing about this one.
   */
  readonly stack?: StackRole;
}

/** What moved: an unplanned failover, a planned switchover, or an old primary rejoining as a replica. */
export type MoveKind = 'failover' | 'switchover' | 'rejoin';

export interface FailoverRecord {
  /** Absent in records stored before switchovers existed: a failover. */
  readonly kind?: MoveKind;
  readonly at: string;
  readonly from: StackRole;
  readonly to: StackRole;
  readonly forced: boolean;
  readonly reasons: readonly string[];
  /**
   * Per database: how far the promoted replica was known to be behind (0 when caught up; null unknown), in its engine's unit.
   * A rejoin: the writes the old primary held beyond the fork, taken out of it (saved aside, `rejoined[db].savedTo`).
   */
  readonly lost: Readonly<Record<string, { readonly amount: number | null; readonly unit: LagUnit }>>;
  /** Rejoin only: the run (execution name) that wrote it, so that a retry of that run records nothing twice. */
  readonly run?: string;
  /** Rejoin only: how each database of `from` became a replica of `to`, and where its divergent writes were saved. */
  readonly rejoined?: Readonly<Record<string, { readonly method: RejoinMethod; readonly savedTo?: string; readonly transactions?: readonly string[] }>>;
}

export const INITIAL_GROUP_STATE: GroupState = { active: 'primary' };
