/**
 * RestoreReplica: full backup of the primary restored onto the twin as a replica.
 * Decided by planRestore over what is observed now (group state, the twin database,
 * and where DNS points), never over live data: a twin that is active, that DNS points
 * at, or that is a writable primary twinstack promoted (a failover that never got
 * recorded or switched) is refused, and the refusal is returned as data for the
 * workflow's Choice (RestoreRefused). A writable primary without that marker is a
 * stale clone and is restored. Idempotent: a twin that already streams as a replica
 * is left alone (no second restore).
 */
import { databaseHost } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { planRestore } from './deps/decisions.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup, loadSecrets, loadState } from './deps/load-group.ts';
import { observeStatus } from './deps/observe-database.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import { stackPointedAt } from './deps/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';
import type { DatabaseStepInput } from './deps/database-step-input.ts';

export interface RestoreReplicaResult { readonly database: string; readonly action: 'restored' | 'skipped' | 'refused'; readonly reasons: readonly string[] }

export function createHandler(deps: StepDeps) {
  return async (event: DatabaseStepInput): Promise<RestoreReplicaResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const secrets = await loadSecrets(deps.params, group.name, database.name);
    const state = await loadState(deps.params, group.name);
    const host = databaseHost(group.twin, database);
    const primaryHost = databaseHost(group.primary, database);
    const target = { database, host, primaryHost, replicaName: replicaNameOf(group, database) };
    // Where DNS points now: a read fault throws (retried, then reported): never restore blind.
    const dnsPointsAt = stackPointedAt(group, await deps.dns.current(group.dns));
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const observed = await observeStatus(shell, engine, database, host);
      const plan = planRestore({ state, twin: observed.status, ...(dnsPointsAt ? { dnsPointsAt } : {}) });
      const refusals = [...(plan.action === 'refuse' ? plan.reasons : [])];
      const twin = observed.status;
      if (twin?.role === 'primary' && twin.writable && twin.promotedByTwinstack === true && !refusals.some((r) => /writable primary/.test(r))) {
        refusals.push(`twin ${database.name} is a writable primary twinstack promoted: it holds data written since the promotion`);
      }
      if (refusals.length > 0) return { database: database.name, action: 'refused', reasons: refusals };
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
