/**
 * PollRestoreReplica: read the replica's restore job (on the stack other than `source`,
 * default the active stack) (started or attached to by
 * RestoreReplica) and report its state and progress, for the workflow's Wait loop.
 * A failed job (non-zero exit, killed, host rebooted) or a job that is not there
 * throws RestoreJobFailedError with its reason and log tail, redacted of the
 * database's secrets; the workflow's Catch reports it. Reads only (re-running it is
 * free), but for one write: it renews the group lease this execution holds (`run`), so a
 * restore of many hours never outlives the lease (GROUP_LEASE_TTL_SECONDS is sized for
 * the gaps between polls, not for the whole restore); a lease taken by another
 * execution meanwhile is LeaseLostError, and nothing more is done.
 */
import { redact } from '../core/command.ts';
import { formatBytes } from '../core/decisions/format-bytes.ts';
import { InvalidInputError, LeaseLostError, RestoreJobFailedError } from '../core/errors.ts';
import { GROUP_LEASE_TTL_SECONDS, groupLeaseKey } from './acquire-group-lease.handler.ts';
import { leaseOf, validHolder } from './stores/group-lease.ts';
import { checkJobToken, parseJobStatus, type JobProgress, type JobStatus } from '../core/jobs/detached-job.ts';
import { restoreJobOf, restoreJobStatusCommand, type RestoreJobRef } from '../core/jobs/restore-job.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import type { ReplicationStepInput } from './deps/database-step-input.ts';
import { replicationDirection } from './deps/step-direction.ts';
import { findDatabase, loadGroup, loadSecrets } from './stores/load-group.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** `{group, database}` of the Map item, the execution (`run`, the group lease holder) and the job RestoreReplica returned. */
export interface PollRestoreReplicaInput extends ReplicationStepInput {
  readonly run: string;
  readonly job: RestoreJobRef;
}

export interface PollRestoreReplicaResult {
  readonly database: string;
  readonly state: 'running' | 'succeeded';
  readonly job: RestoreJobRef;
  readonly progress?: JobProgress;
  readonly reasons: readonly string[];
}

/** Log lines kept in a failure's message. */
const FAILURE_LOG_LINES = 15;

export function createHandler(deps: StepDeps) {
  return async (event: PollRestoreReplicaInput): Promise<PollRestoreReplicaResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    if (!event.job || typeof event.job !== 'object') throw new InvalidInputError('PollRestoreReplica needs the job RestoreReplica returned');
    const expected = checkJobToken(event.job.token);
    const job = restoreJobOf(group.name, database.name, expected);
    if (event.job.name !== job.name) throw new InvalidInputError(`job ${JSON.stringify(event.job.name)} is not the restore job of ${group.name}/${database.name}`);
    const holder = validHolder(event.run);
    if (!(await leaseOf(deps).acquire(groupLeaseKey(group.name), holder, GROUP_LEASE_TTL_SECONDS))) {
      throw new LeaseLostError(`the lease of group ${group.name} is held by another execution: run ${holder} stops polling its restore of ${database.name}`);
    }
    const secrets = await loadSecrets(deps.params, group.name, database.name);
    const { to } = await replicationDirection(deps.params, group.name, event);
    const host = databaseHost(stackOf(group, to), database);
    const status = await withShell(() => deps.openShell(group.name), async (shell) => parseJobStatus(await runCommand(shell, host, restoreJobStatusCommand(job, secrets))));
    const hidden = Object.values(secrets) as string[];
    const ref = { name: job.name, token: status.token ?? expected };
    const other = status.token !== undefined && status.token !== expected ? [`the job now belongs to run ${status.token} (started after run ${expected}): following it`] : [];
    if (status.state === 'running') {
      return { database: database.name, state: 'running', job: ref, ...(status.progress ? { progress: status.progress } : {}), reasons: [...other, `restore of ${database.name} on ${host.name} running: ${describeProgress(status.progress)}`] };
    }
    if (status.state === 'succeeded') {
      deps.logger.info('restore job succeeded', { group: group.name, database: database.name, job: job.name, token: ref.token });
      return { database: database.name, state: 'succeeded', job: ref, ...(status.progress ? { progress: status.progress } : {}), reasons: [...other, `restore of ${database.name} on ${host.name} finished (${describeProgress(status.progress)})`] };
    }
    throw new RestoreJobFailedError(redact(failureMessage(group.name, database.name, host.name, job.name, status, other), hidden));
  };
}

function describeProgress(progress: JobProgress | undefined): string {
  if (!progress) return 'no progress reported yet';
  if (progress.bytesTotal <= 0) return `${formatBytes(progress.bytesDone)} copied, total unknown`;
  const percent = Math.min(100, Math.floor((progress.bytesDone / progress.bytesTotal) * 100));
  return `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)} (${percent}%)`;
}

function failureMessage(group: string, database: string, host: string, job: string, status: JobStatus, other: readonly string[]): string {
  const why = status.state === 'absent' ? `no restore job ${job} on ${host}: its job directory is gone or it never started` : (status.reason ?? 'the job failed');
  const tail = status.logTail.slice(-FAILURE_LOG_LINES).join('\n').trim();
  return [`restore of ${group}/${database} on ${host} failed: ${why}`, ...other, ...(tail ? [`last log lines:\n${tail}`] : [])].join('; ');
}

export const handler = awsSshEntry(createHandler);
