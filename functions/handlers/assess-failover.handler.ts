/**
 * AssessFailover: observe both stacks into an immutable FailoverSnapshot (no secrets).
 * Never throws for an unreachable side: it is recorded as an error string, and the
 * decider weighs it. Throws only when the group itself cannot be loaded.
 */
import type { DatabaseObservation, FailoverSnapshot } from '../core/decisions/failover-snapshot.ts';
import type { PrimaryObservation } from '../core/group-state.ts';
import type { FailoverGroup } from '../core/model.ts';
import { databaseHost } from '../core/model.ts';
import type { RemoteShell } from '../core/ports.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { toDatabaseObservation } from '../core/decisions/database-observation.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { engineOf } from './deps/engine-of.ts';
import { loadGroup, loadState } from './stores/load-group.ts';
import { loadObservation } from './stores/primary-observations.ts';
import { describeError, observeStatus } from './deps/observe-database.ts';
import { withShell } from './deps/run-command.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface FailoverInput { readonly group: string; readonly force?: boolean; readonly reason?: string }

export const HEALTH_TIMEOUT_MS = 3_000;

export function createHandler(deps: StepDeps) {
  async function observeDatabases(
    shell: RemoteShell,
    group: FailoverGroup,
    lastObservations: Readonly<Record<string, PrimaryObservation | undefined>>,
  ): Promise<DatabaseObservation[]> {
    return Promise.all(
      group.databases.map(async (database): Promise<DatabaseObservation> => {
        const engine = engineOf(deps, database.engine);
        const [primary, twin] = await Promise.all([
          observeStatus(shell, engine, database, databaseHost(group.primary, database)),
          observeStatus(shell, engine, database, databaseHost(group.twin, database)),
        ]);
        return toDatabaseObservation({ database, engine, replicaName: replicaNameOf(engine, group, database), primary, twin, lastSeen: lastObservations[database.name] });
      }),
    );
  }

  return async (event: FailoverInput): Promise<FailoverSnapshot> => {
    const group = await loadGroup(deps.params, event.group);
    const state = await loadState(deps.params, group.name);
    const dnsAnswer = await deps.dns.current(group.dns).catch((error: unknown) => {
      deps.logger.warn('DNS not observable', { group: group.name, error: describeError(error) });
      return undefined;
    });
    const probe = (url: string) => deps.health.check(url, HEALTH_TIMEOUT_MS).catch((error: unknown) => ({ healthy: false, detail: describeError(error) }));
    const lastObservations = Object.fromEntries(
      await Promise.all(group.databases.map(async (db) => [db.name, await loadObservation(deps.params, group.name, db.name)] as const)),
    );
    const [primaryHealth, twinHealth, databases] = await Promise.all([
      probe(group.primary.healthUrl),
      probe(group.twin.healthUrl),
      withShell(() => deps.openShell(group.name), (shell) => observeDatabases(shell, group, lastObservations)),
    ]);
    const dnsPointsAt = stackPointedAt(group, dnsAnswer);
    return {
      group: group.name,
      observedAt: deps.clock.now().toISOString(),
      activeStack: state.active,
      ...(dnsAnswer ? { dnsAnswer } : {}),
      ...(dnsPointsAt ? { dnsPointsAt } : {}),
      primaryHealth,
      twinHealth,
      databases,
      ...(state.lastFailoverAt ? { lastFailoverAt: state.lastFailoverAt } : {}),
      cooldownSeconds: group.failover.cooldownSeconds,
      maxObservationAgeSeconds: group.failover.maxObservationAgeSeconds,
      force: event.force === true,
    };
  };
}

export const handler = awsSshEntry(createHandler);
