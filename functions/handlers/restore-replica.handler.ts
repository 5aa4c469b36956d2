/**
 * RestoreReplica: full backup of the primary restored onto the twin as a replica.
 * Decided by planRestore (never over live data: a twin that is active is refused,
 * and the refusal is returned as data for the workflow's Choice). Idempotent: a twin
 * that already streams as a replica is left alone (no second restore).
 */
import { databaseHost } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { planRestore } from './deps/decisions.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup, loadSecrets, loadState } from './deps/load-group.ts';
import { observeStatus } from './deps/observe-database.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface RestoreReplicaInput { readonly group: string; readonly database: string }
export interface RestoreReplicaResult { readonly database: string; readonly action: 'restored' | 'skipped' | 'refused'; readonly reasons: readonly string[] }

export function createHandler(deps: StepDeps) {
  return async (event: RestoreReplicaInput): Promise<RestoreReplicaResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const secrets = await loadSecrets(deps.params, group.name, database.name);
    const state = await loadState(deps.params, group.name);
    const host = databaseHost(group.twin, database);
    const primaryHost = databaseHost(group.primary, database);
    const target = { database, host, primaryHost, replicaName: replicaNameOf(group, database) };
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const observed = await observeStatus(shell, engine, database, host);
      const plan = planRestore({ state, twin: observed.status });
      if (plan.action === 'refuse') return { database: database.name, action: 'refused', reasons: plan.reasons };
      if (observed.status?.role === 'replica' && observed.status.streaming === true) {
        return { database: database.name, action: 'skipped', reasons: [`twin ${database.name} already streams as a replica`] };
      }
      await runCommand(shell, host, engine.restoreReplica(target, secrets));
      deps.logger.info('replica restored', { group: group.name, database: database.name });
      return { database: database.name, action: 'restored', reasons: plan.reasons };
    });
  };
}

export const handler = awsEntry(createHandler);
