/** StartReplication: make sure the replica (on the stack other than `source`, default the active stack) streams from its primary (the engine command is a no-op when it does). */
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup, loadSecrets } from './stores/load-group.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import type { ReplicationStepInput } from './deps/database-step-input.ts';
import { replicationDirection } from './deps/step-direction.ts';

export interface StartReplicationResult { readonly database: string; readonly started: true }

export function createHandler(deps: StepDeps) {
  return async (event: ReplicationStepInput): Promise<StartReplicationResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const secrets = await loadSecrets(deps.params, group.name, database.name);
    const { from, to } = await replicationDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, to), database);
    const target = { database, host, primaryHost: databaseHost(stackOf(group, from), database), replicaName: replicaNameOf(engine, group, database, to) };
    await withShell(() => deps.openShell(group.name), (shell) => runCommand(shell, host, engine.startReplication(target, secrets)));
    return { database: database.name, started: true };
  };
}

export const handler = awsSshEntry(createHandler);
