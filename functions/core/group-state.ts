import type { LagUnit } from './engines/lag-unit.ts';
import type { StackRole } from './model.ts';

/** What twinstack remembers about a group between workflows (stored as JSON). */
export interface GroupState {
  /** The stack that should receive traffic. */
  readonly active: StackRole;
  /** ISO time of the last completed failover, for the cool-down. */
  readonly lastFailoverAt?: string;
  /** History of completed failovers, newest last (bounded). */
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
}

export interface FailoverRecord {
  readonly at: string;
  readonly from: StackRole;
  readonly to: StackRole;
  readonly forced: boolean;
  readonly reasons: readonly string[];
  /** Per database: how far the promoted replica was known to be behind (0 when caught up; null unknown), in its engine's unit. */
  readonly lost: Readonly<Record<string, { readonly amount: number | null; readonly unit: LagUnit }>>;
}

export const INITIAL_GROUP_STATE: GroupState = { active: 'primary' };
