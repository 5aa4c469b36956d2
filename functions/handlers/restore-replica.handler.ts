/**
 * RestoreReplica: start (or attach to) the detached job on the replica's host (the stack
 * other than `source`, default the active stack) that restores a full backup of the
 * source's primary as a replica; PollRestoreReplica follows it. Decided by
 * planRestore over what is observed now (group state, the twin database, its restore
 * job, and where DNS points), never over live data; a refusal is returned as data for
 * the workflow's Choice (RestoreRefused). This handler only acts on the plan.
 * Idempotent: a running job is attached to, a run token's job is never run twice, and
 * a twin that already streams as a replica is left alone (no second restore).
 */
import { databaseHost, stackOf } from '../core/model.ts';
import { parseJobStart, parseJobStatus, startJobCommand } from '../core/jobs/detached-job.ts';
import { restoreJobOf, restoreJobStatusCommand, type RestoreJobRef } from '../core/jobs/restore-job.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { planRestore } from '../core/decisions/plan-restore.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup, loadSecrets, loadState } from './stores/load-group.ts';
import { observeStatus } from './deps/observe-database.ts';
import { replicaNameOf } from './deps/replica-name.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { ReplicationStepInput } from './deps/database-step-input.ts';
import { replicationDirection } from './deps/step-direction.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** `{group, database, source?}` of the Map item, and the run token (`$$.Execution.Name`). */
export interface RestoreReplicaInput extends ReplicationStepInput {
  readonly run: string;
}

export interface RestoreReplicaResult {
  readonly database: string;
  readonly action: 'started' | 'attached' | 'skipped' | 'refused';
  /** The job to poll: its name and the token of the run started or attached to. */
  readonly job: RestoreJobRef;
  readonly reasons: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: RestoreReplicaInput): Promise<RestoreReplicaResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const job = restoreJobOf(group.name, database.name, event.run);
    const engine = engineOf(deps, database.engine);
    const secrets = await loadSecrets(deps.params, group.name, database.name);
    const state = await loadState(deps.params, group.name);
    const { from, to } = await replicationDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, to), database);
    const primaryHost = databaseHost(stackOf(group, from), database);
    const target = { database, host, primaryHost, replicaName: replicaNameOf(engine, group, database, to) };
    // Where DNS points now: a read fault throws (retried, then reported): never restore blind.
    const dnsPointsAt = stackPointedAt(group, await deps.dns.current(group.dns));
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const jobStatus = parseJobStatus(await runCommand(shell, host, restoreJobStatusCommand(job, secrets)));
      const observed = await observeStatus(shell, engine, database, host);
      const plan = planRestore({ state, target: to, twin: observed.status, job: jobStatus, database: database.name, ...(dnsPointsAt ? { dnsPointsAt } : {}) });
      const ref = { name: job.name, token: job.token };
      switch (plan.action) {
        case 'refuse':
          return { database: database.name, action: 'refused', job: ref, reasons: plan.reasons };
        case 'skip':
          return { database: database.name, action: 'skipped', job: ref, reasons: plan.reasons };
        case 'attach':
          return { database: database.name, action: 'attached', job: { name: job.name, token: jobStatus.token ?? job.token }, reasons: plan.reasons };
        case 'restore': {
          const started = parseJobStart(await runCommand(shell, host, startJobCommand(job, engine.restoreReplica(target, secrets))));
          deps.logger.info('restore job', { group: group.name, database: database.name, job: job.name, outcome: started.outcome, token: started.token });
          const said =
            started.outcome === 'started'
              ? `restore job ${job.name} started on ${host.name} (run ${started.token})`
              : started.outcome === 'attached'
                ? `restore job ${job.name} was already running on ${host.name} (run ${started.token}): attached, nothing new started`
                : `restore job ${job.name} already ran for run ${started.token}${started.exitCode !== undefined ? ` (exit code ${started.exitCode})` : ''}: not run again`;
          return {
            database: database.name,
            action: started.outcome === 'started' ? 'started' : 'attached',
            job: { name: job.name, token: started.token },
            reasons: [...plan.reasons, said],
          };
        }
      }
    });
  };
}

export const handler = awsSshEntry(createHandler);
