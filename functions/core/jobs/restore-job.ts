/**
 * The restore of one database onto the twin as a detached job: its name, its run token
 * and how its status is read. Pure.
 *
 * One job per group and database on the twin host: `restore-<group>-<database>`, in
 * the default job directory `$HOME/.twinstack/jobs/restore-<group>-<database>` of the
 * SSH user. The run token is the workflow's execution name (`$$.Execution.Name`), so a
 * retried step of the same execution never runs the restore twice, and another
 * execution attaches to a job that is still running.
 */
import type { RemoteCommand } from '../command.ts';
import type { DatabaseSecrets } from '../engines/database-engine.ts';
import { checkJobName, checkJobToken, jobStatusCommand, type JobSpec } from './detached-job.ts';

/** What the workflow passes from RestoreReplica to PollRestoreReplica. */
export interface RestoreJobRef {
  readonly name: string;
  readonly token: string;
}

/** The job spec of `database`'s restore in `group`, run `token`; InvalidInputError for an invalid token. */
export function restoreJobOf(group: string, database: string, token: string): JobSpec {
  return { name: checkJobName(`restore-${group}-${database}`), token: checkJobToken(token) };
}

/** Status of the restore job; the shell masks the database's secrets in the log tail it returns. */
export function restoreJobStatusCommand(job: Pick<JobSpec, 'name' | 'directory'>, secrets: DatabaseSecrets): RemoteCommand {
  return jobStatusCommand(job, { redact: Object.values(secrets) as string[] });
}
