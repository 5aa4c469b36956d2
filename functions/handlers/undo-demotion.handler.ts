/**
 * UndoDemotion: a switchover aborted before anything was promoted gives writes back to one
 * demoted primary (`from`). Invariants:
 * - never while the database on `to` is a writable primary: that would make two writable
 *   primaries (PromotionError, nothing changed; the operator decides);
 * - idempotent: a primary that is writable and not demoted (never demoted, or undone by an
 *   earlier try) is left alone (`not-demoted`);
 * - anything else (not a primary, read-only without a demotion) is not ours to make writable:
 *   PromotionError.
 */
import { PromotionError } from '../core/errors.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import type { MoveStepInput } from './deps/database-step-input.ts';
import { engineOf } from './deps/engine-of.ts';
import { observeStatus, readStatus } from './deps/observe-database.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import { stepDirection } from './deps/step-direction.ts';
import { findDatabase, loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface UndoDemotionResult {
  readonly database: string;
  readonly action: 'undone' | 'not-demoted';
  readonly reasons: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: MoveStepInput): Promise<UndoDemotionResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const { from, to } = await stepDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, from), database);
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const [old, other] = await Promise.all([readStatus(shell, engine, database, host), observeStatus(shell, engine, database, databaseHost(stackOf(group, to), database))]);
      if (old.role === 'primary' && old.writable && old.demoted !== true) {
        return { database: database.name, action: 'not-demoted', reasons: [`${from} of ${database.name} takes writes (not demoted): nothing to undo`] };
      }
      // Demoted, whatever its role now (a demoted PostgreSQL primary is shut down, a MariaDB one read-only).
      if (old.demoted !== true) {
        throw new PromotionError(`${from} of ${database.name} is ${old.role}${old.writable ? '' : ' (read-only)'} and not demoted by a switchover: its writes are not given back`);
      }
      // Writes go back only once the other copy is SEEN not to be a primary: an unobserved,
      // mid-promotion or not-yet-writable primary there could still become the second one.
      if (other.status === undefined) {
        throw new PromotionError(`${to} of ${database.name} cannot be observed (${'error' in other ? other.error : 'no status'}): writes are not given back to the ${from} until it is seen not to be a primary; nothing undone`);
      }
      if (other.status.role === 'primary' || other.status.role === 'unknown') {
        throw new PromotionError(`${to} of ${database.name} is ${other.status.role === 'primary' ? `a primary${other.status.writable ? '' : ' (not writable yet)'}` : 'in an unknown role'}: giving writes back to the ${from} could make two; nothing undone`);
      }
      await runCommand(shell, host, engine.undoDemote({ database, host }));
      const after = await readStatus(shell, engine, database, host);
      if (after.role !== 'primary' || !after.writable) throw new PromotionError(`${from} of ${database.name} on ${host.name} is still not writable after the undo`);
      deps.logger.info('demotion undone', { group: group.name, database: database.name });
      return { database: database.name, action: 'undone', reasons: [`${from} of ${database.name} takes writes again: nothing was promoted`] };
    });
  };
}

export const handler = awsSshEntry(createHandler);
