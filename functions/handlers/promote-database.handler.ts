/**
 * PromoteDatabase: promote the copy of one database on the stack moved to (`to`, as the
 * workflow's assess step observed it; absent: the stack other than the active one) and
 * verify it accepts writes. planPromotion only decides refuse vs go; on go the engine's promote
 * command always runs: it is idempotent (no second timeline on a primary) and it
 * also repairs what a re-run must repair, e.g. a synchronous_standby_names copied
 * by the base backup that would block every write of a promoted primary.
 */
import { planPromotion } from '../core/decisions/plan-promotion.ts';
import { PromotionError } from '../core/errors.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup } from './stores/load-group.ts';
import { readStatus } from './deps/observe-database.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import type { MoveStepInput } from './deps/database-step-input.ts';
import { stepDirection } from './deps/step-direction.ts';

export interface PromoteDatabaseResult {
  readonly database: string;
  readonly action: 'promoted' | 'already-primary';
  readonly position?: string;
  readonly reasons: readonly string[];
  /** When it was verified a writable primary (ISO; the switchover's timings). */
  readonly promotedAt: string;
}

export function createHandler(deps: StepDeps) {
  return async (event: MoveStepInput): Promise<PromoteDatabaseResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const { to } = await stepDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, to), database);
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const before = await readStatus(shell, engine, database, host);
      const plan = planPromotion(before);
      if (plan.action === 'refuse') throw new PromotionError(`${to} ${database.name} cannot be promoted: ${plan.reasons.join('; ')}`);
      const promoted = await runCommand(shell, host, engine.promote({ database, host }));
      const after = await readStatus(shell, engine, database, host);
      if (after.role !== 'primary' || !after.writable) {
        throw new PromotionError(`${to} ${database.name} on ${host.name} is ${after.role}${after.writable ? '' : ' (read-only)'} after promotion`);
      }
      deps.logger.info('database promoted', { group: group.name, database: database.name, action: plan.action });
      return {
        database: database.name,
        action: plan.action === 'promote' ? 'promoted' : 'already-primary',
        ...(after.position !== undefined ? { position: after.position } : {}),
        reasons: [...plan.reasons, ...(engine.describePromotion?.(promoted) ?? [])],
        promotedAt: deps.clock.now().toISOString(),
      };
    });
  };
}

export const handler = awsSshEntry(createHandler);
