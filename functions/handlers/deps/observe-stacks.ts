/**
 * Observe a group in one direction: what DNS answers, both stacks' health, and every
 * database on both stacks (`primary` = the copy on `from`, `twin` = the copy on `to`),
 * shared by AssessFailover and AssessSwitchover. Never throws for an unreachable side
 * or an unobservable DNS: those are recorded for the decision to weigh.
 */
import type { Direction } from '../../core/decisions/direction.ts';
import { toDatabaseObservation } from '../../core/decisions/database-observation.ts';
import type { DatabaseObservation } from '../../core/decisions/failover-snapshot.ts';
import { stackPointedAt } from '../../core/decisions/stack-pointed-at.ts';
import type { PrimaryObservation } from '../../core/group-state.ts';
import type { DnsTarget, FailoverGroup, StackRole } from '../../core/model.ts';
import { databaseHost, stackOf } from '../../core/model.ts';
import { loadObservation } from '../stores/primary-observations.ts';
import { engineOf } from './engine-of.ts';
import { describeError, observeStatus } from './observe-database.ts';
import { replicaNameOf } from './replica-name.ts';
import { withShell } from './run-command.ts';
import type { StepDeps } from './step-deps.ts';

export const HEALTH_TIMEOUT_MS = 3_000;

export interface StacksObservation {
  readonly dnsAnswer?: DnsTarget;
  readonly dnsPointsAt?: StackRole;
  readonly fromHealth: { readonly healthy: boolean; readonly detail: string };
  readonly toHealth: { readonly healthy: boolean; readonly detail: string };
  readonly databases: readonly DatabaseObservation[];
}

/** The last observation of the `from` stack's primary; one stored about the other stack's says nothing about it. */
async function lastSeenOf(deps: StepDeps, group: FailoverGroup, database: string, from: StackRole): Promise<PrimaryObservation | undefined> {
  const seen = await loadObservation(deps.params, group.name, database);
  return seen && (seen.stack ?? 'primary') === from ? seen : undefined;
}

export async function observeStacks(deps: StepDeps, group: FailoverGroup, { from, to }: Direction): Promise<StacksObservation> {
  const dnsAnswer = await deps.dns.current(group.dns).catch((error: unknown) => {
    deps.logger.warn('DNS not observable', { group: group.name, error: describeError(error) });
    return undefined;
  });
  const probe = (url: string) => deps.health.check(url, HEALTH_TIMEOUT_MS).catch((error: unknown) => ({ healthy: false, detail: describeError(error) }));
  const lastSeen = Object.fromEntries(await Promise.all(group.databases.map(async (db) => [db.name, await lastSeenOf(deps, group, db.name, from)] as const)));
  const [fromHealth, toHealth, databases] = await Promise.all([
    probe(stackOf(group, from).healthUrl),
    probe(stackOf(group, to).healthUrl),
    withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all(
        group.databases.map(async (database): Promise<DatabaseObservation> => {
          const engine = engineOf(deps, database.engine);
          const [primary, twin] = await Promise.all([
            observeStatus(shell, engine, database, databaseHost(stackOf(group, from), database)),
            observeStatus(shell, engine, database, databaseHost(stackOf(group, to), database)),
          ]);
          return toDatabaseObservation({ database, engine, replicaName: replicaNameOf(engine, group, database, to), primary, twin, lastSeen: lastSeen[database.name] });
        }),
      ),
    ),
  ]);
  const dnsPointsAt = stackPointedAt(group, dnsAnswer);
  return { ...(dnsAnswer ? { dnsAnswer } : {}), ...(dnsPointsAt ? { dnsPointsAt } : {}), fromHealth, toHealth, databases };
}
