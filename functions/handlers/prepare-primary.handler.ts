/**
 * PreparePrimary: roles, settings and access rules for replication on the primary of
 * `source` (default the active stack), for its replica on the other stack (engine
 * commands are idempotent). First the engine judges both servers as they are
 * (compatibilityProblems): a twin that cannot replicate from this primary (mixed
 * dialects or major versions, binary logging off …) is refused before anything changes.
 */
import { IncompatibleReplicaError } from '../core/errors.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { observeStatus, readStatus } from './deps/observe-database.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, getOrCreateSecrets, loadGroup } from './stores/load-group.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import type { ReplicationStepInput } from './deps/database-step-input.ts';
import { replicationDirection } from './deps/step-direction.ts';

export interface PreparePrimaryResult { readonly database: string; readonly prepared: true; readonly replicaName: string }

export function createHandler(deps: StepDeps) {
  return async (event: ReplicationStepInput): Promise<PreparePrimaryResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const secrets = await getOrCreateSecrets(deps.params, group.name, database.name);
    const { from, to } = await replicationDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, from), database);
    const replicaHost = databaseHost(stackOf(group, to), database);
    const replicaName = replicaNameOf(engine, group, database, to);
    // Where the replica's connections come from, as the primary sees them (sourceAddress: the twin's, behind NAT).
    const replicaAddress = (to === 'twin' ? database.replication.sourceAddress : undefined) ?? replicaHost.address;
    await withShell(() => deps.openShell(group.name), async (shell) => {
      const primary = await readStatus(shell, engine, database, host);
      // The twin may not run yet (a fresh host): only what is observed is judged.
      const twin = await observeStatus(shell, engine, database, replicaHost);
      const problems = twin.status ? engine.compatibilityProblems(primary, twin.status) : [];
      if (problems.length > 0) throw new IncompatibleReplicaError(`database ${database.name}: ${problems.join('; ')}`);
      await runCommand(shell, host, engine.preparePrimary({ database, host, replicaName, replicaAddress }, secrets));
    });
    deps.logger.info('primary prepared', { group: group.name, database: database.name, source: from });
    return { database: database.name, prepared: true, replicaName };
  };
}

export const handler = awsSshEntry(createHandler);
