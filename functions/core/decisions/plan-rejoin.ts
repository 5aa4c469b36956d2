/**
 * May one old primary be made a replica of the new primary now? Pure.
 * Invariants:
 * - the new primary must be a writable primary: there is nothing else to follow;
 * - an old primary that is a writable, un-fenced, un-demoted primary may still take
 *   writes (nobody fenced or demoted it): rejoining it would discard them, so it is
 *   refused, never rewound — fence it (a failover) or demote it (a switchover) first;
 * - anything else (fenced, stopped, demoted, already a replica) may rejoin: the engine
 *   counts and saves what diverged before anything is discarded.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';

export interface RejoinPlan {
  readonly action: 'rejoin' | 'refuse';
  readonly reasons: readonly string[];
}

export interface RejoinSides {
  /** The database's name, for reasons. */
  readonly database: string;
  /** Stack names, for reasons. */
  readonly newStack: string;
  readonly oldStack: string;
  readonly newPrimary: DatabaseStatus;
  readonly oldPrimary: DatabaseStatus;
}

export function planRejoin({ database, newStack, oldStack, newPrimary, oldPrimary }: RejoinSides): RejoinPlan {
  const refusals: string[] = [];
  if (newPrimary.role !== 'primary' || !newPrimary.writable) {
    refusals.push(`${database} on ${newStack} is ${newPrimary.role}${newPrimary.writable ? '' : ' (read-only)'}, not a writable primary: there is no new primary to follow`);
  }
  if (oldPrimary.role === 'primary' && oldPrimary.writable && !oldPrimary.fenced && oldPrimary.demoted !== true) {
    refusals.push(`${database} on ${oldStack} is a writable primary that was neither fenced nor demoted: it may still take writes; fence or demote it first`);
  }
  if (refusals.length > 0) return { action: 'refuse', reasons: refusals };
  const what =
    oldPrimary.role === 'replica' ? 'already a replica'
    : oldPrimary.demoted === true ? 'demoted by a switchover'
    : oldPrimary.fenced ? 'fenced'
    : oldPrimary.role;
  return { action: 'rejoin', reasons: [`${database} on ${oldStack} is ${what}: it rejoins as a replica of ${newStack}`] };
}
