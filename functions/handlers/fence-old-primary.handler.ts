/**
 * FenceOldPrimary: stop every database of the primary stack taking writes, before
 * anything is promoted. An unreachable primary is reported `isolated` (it cannot be
 * told, and the decider already accepted that); a reachable one that stays writable
 * after the fence is a FencingError (promoting now could make two writable primaries).
 */
import { planFence } from './deps/decisions.ts';
import { FencingError } from '../core/errors.ts';
import { databaseHost } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { loadGroup } from './deps/load-group.ts';
import { observeStatus, readStatus } from './deps/observe-database.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface FenceOldPrimaryInput { readonly group: string }
export interface FenceOutcome {
  readonly database: string;
  readonly outcome: 'fenced' | 'already-fenced' | 'isolated';
  readonly reasons: readonly string[];
}
export interface FenceOldPrimaryResult { readonly group: string; readonly databases: readonly FenceOutcome[] }

export function createHandler(deps: StepDeps) {
  return async (event: FenceOldPrimaryInput): Promise<FenceOldPrimaryResult> => {
    const group = await loadGroup(deps.params, event.group);
    const databases = await withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all(
        group.databases.map(async (database): Promise<FenceOutcome> => {
          const engine = engineOf(deps, database.engine);
          const host = databaseHost(group.primary, database);
          const observed = await observeStatus(shell, engine, database, host);
          const plan = planFence(observed.status, observed.error);
          if (plan.action === 'isolated') return { database: database.name, outcome: 'isolated', reasons: plan.reasons };
          if (plan.action === 'already-fenced') return { database: database.name, outcome: 'already-fenced', reasons: plan.reasons };
          await runCommand(shell, host, engine.fence({ database, host }));
          const after = await readStatus(shell, engine, database, host);
          if (after.writable) throw new FencingError(`primary ${database.name} on ${host.name} still accepts writes after fencing`);
          deps.logger.info('old primary fenced', { group: group.name, database: database.name });
          return { database: database.name, outcome: 'fenced', reasons: plan.reasons };
        }),
      ),
    );
    return { group: group.name, databases };
  };
}

export const handler = awsEntry(createHandler);
