/**
 * May the twin's data be replaced by a fresh backup of the primary?
 * Invariant: never over the copy that holds the group's live data: a twin that is
 * the active stack (group state or DNS), or a writable primary that a failover
 * moved traffic to, is refused. A twin that is a stale clone (e.g. a standalone
 * primary copied from the primary's image) is restored.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';
import type { GroupState } from '../group-state.ts';
import type { StackRole } from '../model.ts';

export interface RestorePlan {
  readonly action: 'restore' | 'refuse';
  readonly reasons: readonly string[];
}

export interface RestoreContext {
  readonly state: GroupState;
  /** The twin database as observed now; undefined when it could not be observed. */
  readonly twin: DatabaseStatus | undefined;
  /** Which stack DNS points at now, when known. */
  readonly dnsPointsAt?: StackRole;
}

export function planRestore({ state, twin, dnsPointsAt }: RestoreContext): RestorePlan {
  const refusals: string[] = [];
  if (state.active === 'twin') refusals.push('the twin is the active stack of the group: restoring would destroy live data');
  if (dnsPointsAt === 'twin') refusals.push('DNS points at the twin: restoring would destroy the data it serves');
  const lastMove = state.history?.at(-1);
  if (twin?.role === 'primary' && twin.writable && lastMove?.to === 'twin') {
    refusals.push(`the twin is a writable primary promoted by the failover at ${lastMove.at}: it holds data written since`);
  }
  if (refusals.length > 0) return { action: 'refuse', reasons: refusals };
  const what = twin ? `twin is ${twin.role}${twin.writable ? ' (writable, a stale copy)' : ''}` : 'twin state not observed';
  return { action: 'restore', reasons: [`the primary stack is active: ${what}; replace it with a backup of the primary`] };
}
