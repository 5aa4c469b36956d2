/**
 * Which way a group replicates and moves: one definition. The ACTIVE stack
 * (GroupState.active) is the replication source and holds the primaries; the other
 * stack holds the replicas. A failover or switchover moves `from` the active stack
 * `to` the other one; a group in its initial state goes primary → twin.
 */
import type { GroupState } from '../group-state.ts';
import type { StackRole } from '../model.ts';

export interface Direction {
  /** The active stack: the replication source, the one a move leaves. */
  readonly from: StackRole;
  /** The other stack: the replicas, the one a move goes to. */
  readonly to: StackRole;
}

/** The stack that is not `role`. */
export function otherStack(role: StackRole): StackRole {
  return role === 'primary' ? 'twin' : 'primary';
}

/** The group's direction now: from its active stack to the other one. */
export function directionOf(state: GroupState): Direction {
  return { from: state.active, to: otherStack(state.active) };
}
