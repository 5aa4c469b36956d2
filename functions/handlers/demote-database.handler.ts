/**
 * DemoteDatabase: a switchover's first act on one database: the active primary (`from`)
 * refuses every write from now on, durably, and reports its exact final position: the
 * token the replica must reach before it may be promoted (CheckSwitchoverCatchUp).
 * Idempotent: the engine's demote reports the same position again on a demoted primary.
 * Nothing else is changed; UndoDemotion gives writes back if the switchover is aborted.
 */
import type { LagUnit } from '../core/engines/lag-unit.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import type { MoveStepInput } from './deps/database-step-input.ts';
import { engineOf } from './deps/engine-of.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import { stepDirection } from './deps/step-direction.ts';
import { findDatabase, loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface DemoteDatabaseResult {
  readonly database: string;
  /** The demoted primary's exact final position (the catch-up token), in the engine's notation. */
  readonly token: string;
  /** It took writes until this call (false: a repeated demote). */
  readonly wasWritable: boolean;
  readonly lagUnit: LagUnit;
  /** When the primary stopped taking writes (ISO; the start of the write-unavailability window). */
  readonly demotedAt: string;
}

export function createHandler(deps: StepDeps) {
  return async (event: MoveStepInput): Promise<DemoteDatabaseResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const { from } = await stepDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, from), database);
    const demotion = await withShell(() => deps.openShell(group.name), async (shell) => engine.parseDemotion(await runCommand(shell, host, engine.demote({ database, host }))));
    const demotedAt = deps.clock.now().toISOString();
    deps.logger.info('primary demoted', { group: group.name, database: database.name, token: demotion.position, wasWritable: demotion.wasWritable });
    return { database: database.name, token: demotion.position, wasWritable: demotion.wasWritable, lagUnit: engine.lagUnit, demotedAt };
  };
}

export const handler = awsSshEntry(createHandler);
