/**
 * RejoinDatabase: make one old primary (on the stack other than `source`) a replica of
 * the new primary (on `source`, default the active stack). Used as the last database
 * step of a switchover and by the rejoin workflow.
 *
 * Invariants:
 * - planRejoin (core/decisions) refuses, with RejoinRefusedError and nothing changed, an
 *   old primary that is a writable, un-fenced, un-demoted primary, and a new primary that
 *   is not a writable primary;
 * - the new primary is prepared for its new replica first (users, access rules for the old
 *   host; idempotent), always asynchronously: a replica that never streams must not block
 *   the new primary's writes. In `sync` mode the new primary's synchronous replicas are set
 *   to the rejoined node only once it is seen streaming (bounded wait); otherwise the
 *   result says so and a re-run sets them;
 * - `engine.rejoin` counts and saves divergent writes before it discards anything, and is
 *   idempotent (`already-replica` on a re-run), so this step is too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RejoinMethod } from '../core/engines/database-engine.ts';
import type { LagUnit } from '../core/engines/lag-unit.ts';
import { planRejoin } from '../core/decisions/plan-rejoin.ts';
import { RejoinRefusedError } from '../core/errors.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import type { ReplicationStepInput } from './deps/database-step-input.ts';
import { engineOf } from './deps/engine-of.ts';
import { readStatus } from './deps/observe-database.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import { replicationDirection } from './deps/step-direction.ts';
import { findDatabase, loadGroup, loadSecrets } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** How often, and how many times, a sync-mode rejoin reads the rejoined node before it gives up setting it synchronous. */
export const STREAMING_CHECK_INTERVAL_MS = 500;
export const STREAMING_CHECKS = 10;

export interface RejoinDatabaseResult {
  readonly database: string;
  readonly method: RejoinMethod;
  /** Writes the old primary held that the new one never had, in the engine's lag unit (0: nothing diverged). */
  readonly divergent: { readonly amount: number; readonly unit: LagUnit; readonly savedTo?: string; readonly transactions?: readonly string[] };
  /** What an operator must read: the plan's reasons, then the engine's. */
  readonly detail: readonly string[];
  /** `sync` mode only: the new primary's synchronous replicas once set (absent: not set, see `detail`). */
  readonly synchronousReplicas?: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: ReplicationStepInput): Promise<RejoinDatabaseResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const secrets = await loadSecrets(deps.params, group.name, database.name);
    const { from, to } = await replicationDirection(deps.params, group.name, event);
    const newStack = stackOf(group, from);
    const oldStack = stackOf(group, to);
    const primaryHost = databaseHost(newStack, database);
    const host = databaseHost(oldStack, database);
    const replicaName = replicaNameOf(engine, group, database, to);
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const [newPrimary, oldPrimary] = await Promise.all([readStatus(shell, engine, database, primaryHost), readStatus(shell, engine, database, host)]);
      const plan = planRejoin({ database: database.name, newStack: newStack.name, oldStack: oldStack.name, newPrimary, oldPrimary });
      if (plan.action === 'refuse') throw new RejoinRefusedError(`rejoin of ${database.name} refused: ${plan.reasons.join('; ')}`);
      const asynchronous = { ...database, replication: { ...database.replication, mode: 'async' as const } };
      const replicaAddress = (to === 'twin' ? database.replication.sourceAddress : undefined) ?? host.address;
      await runCommand(shell, primaryHost, engine.preparePrimary({ database: asynchronous, host: primaryHost, replicaName, replicaAddress }, secrets));
      const rejoined = engine.parseRejoin(await runCommand(shell, host, engine.rejoin({ database, host, primaryHost, replicaName, primaryStatus: newPrimary }, secrets)));
      deps.logger.info('old primary rejoined', { group: group.name, database: database.name, method: rejoined.method, divergent: rejoined.divergent.amount });
      const detail = [...plan.reasons, ...rejoined.detail];
      const result = {
        database: database.name,
        method: rejoined.method,
        divergent: { ...rejoined.divergent, unit: engine.lagUnit },
      };
      if (database.replication.mode !== 'sync' || rejoined.method === 'needs-restore') return { ...result, detail };
      for (let check = 0; check < STREAMING_CHECKS; check += 1) {
        const status = await readStatus(shell, engine, database, host);
        if (status.role === 'replica' && status.streaming === true) {
          await runCommand(shell, primaryHost, engine.setSynchronousReplicas({ database, host: primaryHost }, [replicaName]));
          return { ...result, detail: [...detail, `${database.name} on ${newStack.name} now waits for ${replicaName} (sync mode)`], synchronousReplicas: [replicaName] };
        }
        await sleep(STREAMING_CHECK_INTERVAL_MS);
      }
      const waited = `${(STREAMING_CHECKS * STREAMING_CHECK_INTERVAL_MS) / 1000} s`;
      return { ...result, detail: [...detail, `${replicaName} was not streaming within ${waited}: ${database.name} on ${newStack.name} stays asynchronous until RejoinDatabase runs again`] };
    });
  };
}

export const handler = awsSshEntry(createHandler);
