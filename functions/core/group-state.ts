import type { StackRole } from './model.ts';

/** What twinstack remembers about a group between workflows (stored as JSON). */
export interface GroupState {
  /** The stack that should receive traffic. */
  readonly active: StackRole;
  /** ISO time of the last completed failover, for the cool-down. */
  readonly lastFailoverAt?: string;
  /** Per database: the primary's last observed position (for loss estimates when it is gone). */
  readonly lastPrimaryPositions?: Readonly<Record<string, string>>;
  /** History of completed failovers, newest last (bounded). */
  readonly history?: readonly FailoverRecord[];
}

export interface FailoverRecord {
  readonly at: string;
  readonly from: StackRole;
  readonly to: StackRole;
  readonly forced: boolean;
  readonly reasons: readonly string[];
  /** Per database: bytes the promoted replica was known to be behind (0 when caught up). */
  readonly lostBytes: Readonly<Record<string, number | null>>;
}

export const INITIAL_GROUP_STATE: GroupState = { active: 'primary' };
