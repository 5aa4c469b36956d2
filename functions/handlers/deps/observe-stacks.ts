/**
 * Observe a group in one direction, one definition for every assess step (AssessFailover,
 * AssessSwitchover, AssessRejoin): what DNS answers, both stacks' health, and both copies
 * of every database (`from` = the copy on the active stack, `to` = the copy on the other).
 * Never throws for an unreachable side or an unobservable DNS: those are recorded for the
 * decision to weigh. Each assess step turns a database's two copies into the observation
 * its own decision reads.
 */
import { directionOf, type Direction } from '../../core/decisions/direction.ts';
import { toDatabaseObservation, type SideObservation } from '../../core/decisions/database-observation.ts';
import type { DatabaseObservation } from '../../core/decisions/failover-snapshot.ts';
import { stackPointedAt } from '../../core/decisions/stack-pointed-at.ts';
import type { DatabaseEngine } from '../../core/engines/database-engine.ts';
import type { GroupState, PrimaryObservation } from '../../core/group-state.ts';
import type { Database, DnsTarget, FailoverGroup, Host, StackRole } from '../../core/model.ts';
import { databaseHost, stackOf } from '../../core/model.ts';
import { loadGroup, loadState } from '../stores/load-group.ts';
import { loadObservation } from '../stores/primary-observations.ts';
import { engineOf } from './engine-of.ts';
import { describeError, observeStatus } from './observe-database.ts';
import { replicaNameOf } from './replica-name.ts';
import { withShell } from './run-command.ts';
import type { StepDeps } from './step-deps.ts';

export const HEALTH_TIMEOUT_MS = 3_000;

/** One database's two copies as read. */
export interface DatabaseSides {
  readonly database: Database;
  readonly engine: DatabaseEngine;
  readonly fromHost: Host;
  readonly toHost: Host;
  /** The identity the `to` copy replicates under (the engine's replicaName). */
  readonly replicaName: string;
  readonly from: SideObservation;
  readonly to: SideObservation;
}

/** What DNS answers for the group's name and which stack that is; either absent when unknown (spread into a snapshot as is). */
export interface DnsObservation {
  readonly dnsAnswer?: DnsTarget;
  readonly dnsPointsAt?: StackRole;
}

export interface GroupObservation<T> {
  readonly dns: DnsObservation;
  readonly fromHealth: { readonly healthy: boolean; readonly detail: string };
  readonly toHealth: { readonly healthy: boolean; readonly detail: string };
  readonly databases: readonly T[];
}

/** What the failover and switchover decisions read. */
export type StacksObservation = GroupObservation<DatabaseObservation>;

/** DNS, both stacks' health and every database's two copies (each made a `T` by `toObservation`), observed concurrently. */
export async function observeGroup<T>(deps: StepDeps, group: FailoverGroup, { from, to }: Direction, toObservation: (sides: DatabaseSides) => T): Promise<GroupObservation<T>> {
  const dnsAnswer = await deps.dns.current(group.dns).catch((error: unknown) => {
    deps.logger.warn('DNS not observable', { group: group.name, error: describeError(error) });
    return undefined;
  });
  const probe = (url: string) => deps.health.check(url, HEALTH_TIMEOUT_MS).catch((error: unknown) => ({ healthy: false, detail: describeError(error) }));
  const [fromHealth, toHealth, databases] = await Promise.all([
    probe(stackOf(group, from).healthUrl),
    probe(stackOf(group, to).healthUrl),
    withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all(
        group.databases.map(async (database): Promise<T> => {
          const engine = engineOf(deps, database.engine);
          const fromHost = databaseHost(stackOf(group, from), database);
          const toHost = databaseHost(stackOf(group, to), database);
          const [fromSide, toSide] = await Promise.all([observeStatus(shell, engine, database, fromHost), observeStatus(shell, engine, database, toHost)]);
          return toObservation({ database, engine, fromHost, toHost, replicaName: replicaNameOf(engine, group, database, to), from: fromSide, to: toSide });
        }),
      ),
    ),
  ]);
  const dnsPointsAt = stackPointedAt(group, dnsAnswer);
  return { dns: { ...(dnsAnswer ? { dnsAnswer } : {}), ...(dnsPointsAt ? { dnsPointsAt } : {}) }, fromHealth, toHealth, databases };
}

/** The last observation of the `from` stack's primary; one stored about the other stack's says nothing about it. */
async function lastSeenOf(deps: StepDeps, group: FailoverGroup, database: string, from: StackRole): Promise<PrimaryObservation | undefined> {
  const seen = await loadObservation(deps.params, group.name, database);
  return seen && (seen.stack ?? 'primary') === from ? seen : undefined;
}

/** observeGroup for the failover and switchover decisions: each database's lag, also against its primary's last observation. */
export async function observeStacks(deps: StepDeps, group: FailoverGroup, direction: Direction): Promise<StacksObservation> {
  const lastSeen = Object.fromEntries(await Promise.all(group.databases.map(async (db) => [db.name, await lastSeenOf(deps, group, db.name, direction.from)] as const)));
  return observeGroup(deps, group, direction, ({ database, engine, replicaName, from, to }) =>
    toDatabaseObservation({ database, engine, replicaName, primary: from, twin: to, lastSeen: lastSeen[database.name] }),
  );
}

/** An assess step's start: the group, its state and direction (from GroupState.active), and when it was observed. */
export interface AssessedGroup<T> {
  readonly group: FailoverGroup;
  readonly state: GroupState;
  readonly direction: Direction;
  readonly observedAt: string;
  readonly observed: GroupObservation<T>;
  /** The head of a move's snapshot (failover, switchover): the group, when, the active stack and the direction. */
  readonly moveHead: { readonly group: string; readonly observedAt: string; readonly activeStack: StackRole; readonly from: StackRole; readonly to: StackRole };
}

/** Load the group and its state, then observe it in its direction with `observe` (observeStacks, or observeGroup with a mapping). */
export async function assessGroup<T>(
  deps: StepDeps,
  groupName: string,
  observe: (group: FailoverGroup, direction: Direction) => Promise<GroupObservation<T>>,
): Promise<AssessedGroup<T>> {
  const group = await loadGroup(deps.params, groupName);
  const state = await loadState(deps.params, group.name);
  const direction = directionOf(state);
  const observed = await observe(group, direction);
  const observedAt = deps.clock.now().toISOString();
  return { group, state, direction, observedAt, observed, moveHead: { group: group.name, observedAt, activeStack: state.active, ...direction } };
}
