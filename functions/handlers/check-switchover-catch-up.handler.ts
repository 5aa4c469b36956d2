/**
 * CheckSwitchoverCatchUp: has every replica (on `to`) applied its demoted primary's final
 * position (DemoteDatabase's token)? Compared by the engine's positionDiff exactly
 * (catchUpToToken). Reads only. To keep the window without writes short it re-reads a
 * little within one call (CATCH_UP_READS, CATCH_UP_READ_INTERVAL_MS) before it answers "not
 * yet"; the workflow then waits a second and asks again, bounded. `timedOut` once the
 * earliest demotion is older than `timeoutSeconds`: the workflow undoes the demotions.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { catchUpToToken } from '../core/decisions/switchover-catch-up.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { LagUnit } from '../core/engines/lag-unit.ts';
import { databaseHost, stackOf, type StackRole } from '../core/model.ts';
import type { RemoteShell } from '../core/ports.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { observeStatus } from './deps/observe-database.ts';
import { withShell } from './deps/run-command.ts';
import { stepDirection } from './deps/step-direction.ts';
import type { DemoteDatabaseResult } from './demote-database.handler.ts';
import { catchUpTimeoutOf } from './assess-switchover.handler.ts';
import { findDatabase, loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export const CATCH_UP_READS = 10;
export const CATCH_UP_READ_INTERVAL_MS = 100;

export interface CheckSwitchoverCatchUpInput {
  readonly group: string;
  readonly from?: StackRole;
  readonly to?: StackRole;
  /** DemoteDatabases' results, one per database. */
  readonly demoted: readonly DemoteDatabaseResult[];
  readonly timeoutSeconds?: number;
}

export interface DatabaseCatchUp {
  readonly database: string;
  readonly token: string;
  readonly demotedAt: string;
  readonly caughtUp: boolean;
  readonly behind: number | null;
  readonly lagUnit: LagUnit;
  readonly position?: string;
  /** When it was seen caught up (ISO). */
  readonly caughtUpAt?: string;
  readonly reason: string;
}

export interface CheckSwitchoverCatchUpResult {
  readonly caughtUp: boolean;
  readonly timedOut: boolean;
  readonly databases: readonly DatabaseCatchUp[];
  readonly reasons: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: CheckSwitchoverCatchUpInput): Promise<CheckSwitchoverCatchUpResult> => {
    const group = await loadGroup(deps.params, event.group);
    const demoted: readonly DemoteDatabaseResult[] = Array.isArray(event.demoted) ? event.demoted : [];
    if (demoted.length === 0) throw new InvalidInputError('CheckSwitchoverCatchUp needs "demoted": the results of DemoteDatabase, one per database');
    const timeoutSeconds = catchUpTimeoutOf(event.timeoutSeconds);
    const { to } = await stepDirection(deps.params, group.name, event);
    const stack = stackOf(group, to);
    const targets = demoted.map((d) => {
      const database = findDatabase(group, d.database);
      if (typeof d.token !== 'string' || d.token === '') throw new InvalidInputError(`"demoted" entry of ${database.name} has no token`);
      return { database, engine: engineOf(deps, database.engine), host: databaseHost(stack, database), demotion: d };
    });
    const check = async (shell: RemoteShell): Promise<DatabaseCatchUp[]> =>
      Promise.all(
        targets.map(async ({ database, engine, host, demotion }): Promise<DatabaseCatchUp> => {
          const observed = await observeStatus(shell, engine, database, host);
          const base = { database: database.name, token: demotion.token, demotedAt: demotion.demotedAt, lagUnit: engine.lagUnit };
          if (!observed.status) return { ...base, caughtUp: false, behind: null, reason: `${to} of ${database.name} not observed: ${observed.error}` };
          const verdict = catchUpToToken(demotion.token, observed.status, (a, b) => engine.positionDiff(a, b), engine.lagUnit);
          const at = deps.clock.now().toISOString();
          return {
            ...base,
            caughtUp: verdict.caughtUp,
            behind: verdict.behind,
            ...(verdict.position !== undefined ? { position: verdict.position } : {}),
            ...(verdict.caughtUp ? { caughtUpAt: at } : {}),
            reason: `${to} of ${database.name}: ${verdict.reason}`,
          };
        }),
      );
    const databases = await withShell(() => deps.openShell(group.name), async (shell) => {
      let latest = await check(shell);
      for (let read = 1; read < CATCH_UP_READS && !latest.every((d) => d.caughtUp); read += 1) {
        await sleep(CATCH_UP_READ_INTERVAL_MS);
        latest = await check(shell);
      }
      return latest;
    });
    const caughtUp = databases.every((d) => d.caughtUp);
    const earliest = Math.min(...databases.map((d) => Date.parse(d.demotedAt)).filter((t) => !Number.isNaN(t)));
    const elapsedSeconds = Number.isFinite(earliest) ? (deps.clock.now().getTime() - earliest) / 1000 : 0;
    const timedOut = !caughtUp && elapsedSeconds >= timeoutSeconds;
    const summary = caughtUp
      ? `every ${to} replica has its primary's final position: promoting`
      : timedOut
        ? `the ${to} replicas did not reach their primaries' final positions within ${timeoutSeconds} s`
        : `waiting for the ${to} replicas (${Math.round(elapsedSeconds)} s of ${timeoutSeconds} s)`;
    return { caughtUp, timedOut, databases, reasons: [summary, ...databases.map((d) => d.reason)] };
  };
}

export const handler = awsSshEntry(createHandler);
