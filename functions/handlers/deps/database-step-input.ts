import type { StackRole } from '../../core/model.ts';

/** The input of every per-database step (ASL Map ItemSelector `{group, database}`). */
export interface DatabaseStepInput {
  readonly group: string;
  readonly database: string;
}

/**
 * A replicate step's input: `source` is the stack whose database is the primary to
 * replicate from (default GroupState.active); the replica is on the other stack. The
 * rejoin workflow restores an old primary from the new one with `source` = the active stack.
 */
export interface ReplicationStepInput extends DatabaseStepInput {
  readonly source?: StackRole;
}

/** A failover or switchover step's input: the direction its assess step observed (absent: GroupState.active → the other). */
export interface MoveStepInput extends DatabaseStepInput {
  readonly from?: StackRole;
  readonly to?: StackRole;
}
