/**
 * AssessRejoin: observe both stacks into an immutable RejoinSnapshot (no secrets): the
 * active stack from GroupState, every database's status on both stacks, what DNS answers
 * and each stack's health. Read-only. Never throws for a side that cannot be observed: it
 * is recorded as an error string and decideRejoin weighs it. Throws only when the group
 * itself cannot be loaded (InvalidInputError) or its state cannot be read.
 */
import type { RejoinDatabaseObservation, RejoinSnapshot } from '../core/decisions/decide-rejoin.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import { databaseHost, stackOf, type FailoverGroup, type StackRole } from '../core/model.ts';
import type { RemoteShell } from '../core/ports.ts';
import { HEALTH_TIMEOUT_MS } from './assess-failover.handler.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { describeError, observeStatus } from './deps/observe-database.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { loadGroup, loadState } from './stores/load-group.ts';

/** The rejoin workflow's input. */
export interface RejoinInput { readonly group: string; readonly reason?: string }

export function createHandler(deps: StepDeps) {
  function observeDatabases(shell: RemoteShell, group: FailoverGroup, active: StackRole, standby: StackRole): Promise<RejoinDatabaseObservation[]> {
    const activeStack = stackOf(group, active);
    const standbyStack = stackOf(group, standby);
    return Promise.all(
      group.databases.map(async (database): Promise<RejoinDatabaseObservation> => {
        const engine = engineOf(deps, database.engine);
        const activeHost = databaseHost(activeStack, database);
        const standbyHost = databaseHost(standbyStack, database);
        const [activeSide, standbySide] = await Promise.all([observeStatus(shell, engine, database, activeHost), observeStatus(shell, engine, database, standbyHost)]);
        const incompatibilities = activeSide.status && standbySide.status ? engine.compatibilityProblems(activeSide.status, standbySide.status) : [];
        return {
          name: database.name,
          lagUnit: engine.lagUnit,
          activeAddress: `${activeHost.address}:${database.port}`,
          standbyReplicaName: replicaNameOf(engine, group, database, standby),
          active: activeSide,
          standby: standbySide,
          ...(incompatibilities.length > 0 ? { incompatibilities } : {}),
        };
      }),
    );
  }

  return async (event: RejoinInput): Promise<RejoinSnapshot> => {
    const group = await loadGroup(deps.params, event.group);
    const { active } = await loadState(deps.params, group.name);
    const standby: StackRole = active === 'primary' ? 'twin' : 'primary';
    const dnsAnswer = await deps.dns.current(group.dns).catch((error: unknown) => {
      deps.logger.warn('DNS not observable', { group: group.name, error: describeError(error) });
      return undefined;
    });
    const probe = (url: string) => deps.health.check(url, HEALTH_TIMEOUT_MS).catch((error: unknown) => ({ healthy: false, detail: describeError(error) }));
    const [activeHealth, standbyHealth, databases] = await Promise.all([
      probe(stackOf(group, active).healthUrl),
      probe(stackOf(group, standby).healthUrl),
      withShell(() => deps.openShell(group.name), (shell) => observeDatabases(shell, group, active, standby)),
    ]);
    const dnsPointsAt = stackPointedAt(group, dnsAnswer);
    return {
      group: group.name,
      observedAt: deps.clock.now().toISOString(),
      active,
      standby,
      ...(dnsAnswer ? { dnsAnswer } : {}),
      ...(dnsPointsAt ? { dnsPointsAt } : {}),
      activeHealth,
      standbyHealth,
      databases,
    };
  };
}

export const handler = awsSshEntry(createHandler);
