/**
 * CheckReplication: observe both copies of one database, report whether the twin
 * has caught up, and remember the primary's position (GroupState.lastPrimaryPositions)
 * for loss estimates once the primary is gone.
 */
import { databaseHost } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup, loadState, saveState } from './deps/load-group.ts';
import { readStatus } from './deps/observe-database.ts';
import { withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { assessCatchUp } from './deps/decisions.ts';

export interface CheckReplicationInput { readonly group: string; readonly database: string }
export interface CheckReplicationResult {
  readonly database: string;
  readonly caughtUp: boolean;
  readonly lagBytes: number | null;
  readonly primaryPosition?: string;
  readonly reasons: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: CheckReplicationInput): Promise<CheckReplicationResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const [primary, twin] = await withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all([
        readStatus(shell, engine, database, databaseHost(group.primary, database)),
        readStatus(shell, engine, database, databaseHost(group.twin, database)),
      ]),
    );
    const verdict = assessCatchUp(primary, twin, (to, from) => engine.positionDiff(to, from));
    if (primary.position !== undefined) {
      const state = await loadState(deps.params, group.name);
      if (state.lastPrimaryPositions?.[database.name] !== primary.position) {
        await saveState(deps.params, group.name, { ...state, lastPrimaryPositions: { ...state.lastPrimaryPositions, [database.name]: primary.position } });
      }
    }
    return { database: database.name, caughtUp: verdict.caughtUp, lagBytes: verdict.lagBytes, primaryPosition: primary.position, reasons: verdict.reasons };
  };
}

export const handler = awsEntry(createHandler);
