/**
 * FenceOldPrimary: stop every database of the stack failed over from (`from`, as the
 * workflow's assess step observed it; absent: the active stack) taking writes, before
 * anything is promoted. Invariants:
 * - nothing is promoted after this step unless every old primary database is fenced,
 *   already fenced, or `isolated` (its host cannot be reached at all);
 * - an observation fault (host key mismatch, authentication, a timed-out or failing
 *   status command…) means the host answered and the server may be running, and an
 *   isolated primary whose stack still answers its health URL is not dead, only cut off
 *   from us: planFence and planStackFence (functions/core/decisions) refuse, and this
 *   step throws FencingError before fencing anything;
 * - a reachable one that stays writable after the fence is a FencingError (promoting
 *   now could make two writable primaries).
 */
import { planFence } from '../core/decisions/plan-fence.ts';
import { needsHealth, planStackFence } from '../core/decisions/plan-stack-fence.ts';
import { FencingError } from '../core/errors.ts';
import { databaseHost, stackOf, type StackRole } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { loadGroup } from './stores/load-group.ts';
import { describeError, observeStatus, readStatus } from './deps/observe-database.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { stepDirection } from './deps/step-direction.ts';

/** How long the primary's health URL gets to answer when its databases are unreachable over SSH. */
export const ISOLATION_HEALTH_TIMEOUT_MS = 3_000;

export interface FenceOldPrimaryInput { readonly group: string; readonly from?: StackRole; readonly to?: StackRole }
export interface FenceOutcome {
  readonly database: string;
  readonly outcome: 'fenced' | 'already-fenced' | 'isolated';
  readonly reasons: readonly string[];
}
export interface FenceOldPrimaryResult { readonly group: string; readonly databases: readonly FenceOutcome[] }

export function createHandler(deps: StepDeps) {
  return async (event: FenceOldPrimaryInput): Promise<FenceOldPrimaryResult> => {
    const group = await loadGroup(deps.params, event.group);
    const oldStack = stackOf(group, (await stepDirection(deps.params, group.name, event)).from);
    const databases = await withShell(() => deps.openShell(group.name), async (shell) => {
      // Observe and plan every database first: a refusal or a still-serving primary stops the step before anything is fenced.
      const planned = await Promise.all(
        group.databases.map(async (database) => {
          const engine = engineOf(deps, database.engine);
          const host = databaseHost(oldStack, database);
          const observed = await observeStatus(shell, engine, database, host);
          return { database, engine, host, plan: planFence(observed.status, observed.error, observed.errorKind) };
        }),
      );
      const plans = planned.map((p) => ({ database: p.database.name, host: p.host.name, plan: p.plan }));
      const health = needsHealth(plans)
        ? await deps.health.check(oldStack.healthUrl, ISOLATION_HEALTH_TIMEOUT_MS).catch((error: unknown) => ({ healthy: false, detail: describeError(error) }))
        : undefined;
      const stackPlan = planStackFence(plans, { stack: oldStack.name, healthUrl: oldStack.healthUrl, ...(health ? { health } : {}) });
      if (stackPlan.action === 'refuse') throw new FencingError(stackPlan.reasons.join(' | '));
      return Promise.all(
        planned.map(async ({ database, engine, host, plan }): Promise<FenceOutcome> => {
          if (plan.action === 'isolated') return { database: database.name, outcome: 'isolated', reasons: plan.reasons };
          if (plan.action === 'already-fenced') return { database: database.name, outcome: 'already-fenced', reasons: plan.reasons };
          await runCommand(shell, host, engine.fence({ database, host }));
          const after = await readStatus(shell, engine, database, host);
          if (after.writable) throw new FencingError(`primary ${database.name} on ${host.name} still accepts writes after fencing`);
          deps.logger.info('old primary fenced', { group: group.name, database: database.name });
          return { database: database.name, outcome: 'fenced', reasons: plan.reasons };
        }),
      );
    });
    return { group: group.name, databases };
  };
}

export const handler = awsSshEntry(createHandler);
