/**
 * May the replica's data (the `target` stack's copy: the twin until a failover, the old
 * primary when it rejoins) be replaced by a fresh backup of the other stack's primary,
 * and how? Invariant: never over the copy that holds the group's live data: a target
 * that is the active stack (group state or DNS), a writable primary that a failover or
 * switchover moved traffic to, or a writable primary twinstack promoted (its promotion
 * marker: a failover that never got recorded or switched) is refused. A target that is
 * a stale clone (e.g. a standalone primary copied from the primary's image) is restored.
 * Idempotent: a restore job already running on the target is attached to (never a
 * second one), and a target that already streams as a replica is left alone.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import type { GroupState } from '../group-state.ts';
import type { JobStatus } from '../jobs/detached-job.ts';
import type { StackRole } from '../model.ts';
import { otherStack } from './direction.ts';

export interface RestorePlan {
  /**
   * `restore`: start a restore job; `attach`: one is running, follow it; `skip`: the
   * twin already streams as a replica; `refuse`: the twin holds live data.
   */
  readonly action: 'restore' | 'attach' | 'skip' | 'refuse';
  readonly reasons: readonly string[];
}

export interface RestoreContext {
  readonly state: GroupState;
  /** The stack restored as a replica. @default 'twin' */
  readonly target?: StackRole;
  /** The twin database as observed now; undefined when it could not be observed. */
  readonly twin: DatabaseStatus | undefined;
  /** Which stack DNS points at now, when known. */
  readonly dnsPointsAt?: StackRole;
  /** The database's restore job on the twin host as observed now; undefined: not observed (treated as none). */
  readonly job?: JobStatus;
  /** The database's name, for reasons. @default 'the database' */
  readonly database?: string;
}

export function planRestore({ state, target = 'twin', twin, dnsPointsAt, job, database }: RestoreContext): RestorePlan {
  const name = database ?? 'the database';
  const source = otherStack(target);
  const refusals: string[] = [];
  if (state.active === target) refusals.push(`the ${target} is the active stack of the group: restoring would destroy live data`);
  if (dnsPointsAt === target) refusals.push(`DNS points at the ${target}: restoring would destroy the data it serves`);
  const lastMove = state.history?.at(-1);
  const writablePrimary = twin?.role === 'primary' && twin.writable;
  if (writablePrimary && lastMove?.to === target) {
    refusals.push(`the ${target} is a writable primary promoted by the ${lastMove.kind ?? 'failover'} at ${lastMove.at}: it holds data written since`);
  } else if (writablePrimary && twin.promotedByTwinstack === true) {
    refusals.push(`${target} ${name} is a writable primary twinstack promoted: it holds data written since the promotion`);
  }
  const running = job?.state === 'running' ? `a restore job of ${name} is running on the ${target} (run ${job.token ?? 'unknown'})` : undefined;
  if (refusals.length > 0) return { action: 'refuse', reasons: running ? [...refusals, `${running}: it is left alone, nothing new is started`] : refusals };
  if (running) return { action: 'attach', reasons: [`${running}: attach to it, start none`] };
  if (twin?.role === 'replica' && twin.streaming === true) return { action: 'skip', reasons: [`${target} ${name} already streams as a replica`] };
  const what = twin ? `${target} is ${twin.role}${twin.writable ? ' (writable, a stale copy)' : ''}` : `${target} state not observed`;
  return { action: 'restore', reasons: [`the ${source} stack is active: ${what}; replace it with a backup of the ${source} stack's primary`] };
}
