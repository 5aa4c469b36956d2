/**
 * Detached jobs on a host: a long command (a full backup → restore) that outlives the
 * step that starts it, the SSH command that starts it and the SSH connection. Pure:
 * builds the start and status commands, parses their output; a RemoteShell runs them.
 *
 * On the host a job is a directory (0700, the SSH user's), by default
 * `$HOME/.twinstack/jobs/<name>`:
 *
 * | file         | what                                                                 |
 * | ---          | ---                                                                  |
 * | `token`      | the run token of the current (or last) run, written before it starts |
 * | `lock`       | `flock`ed by the job's runner for its whole life: held ⇔ running     |
 * | `start.lock` | held for milliseconds by a start or a status read (serialises them)  |
 * | `exit`       | `<token> <exit code>`, written atomically (rename) when the command ends |
 * | `log`        | the command's stdout + stderr; `log.previous` is the run before      |
 * | `pid`        | the runner's pid = its session id (`pkill -s <pid>` stops the job)   |
 *
 * Invariants:
 * - one run at a time per job: a start while the lock is held attaches (reports the
 *   running token) and starts nothing; a start with the token of a run that already
 *   ended reports that run and never runs it again;
 * - the job is its own session (`setsid`), stdin `/dev/null`, stdout+stderr the log: it
 *   is not in the process group the remote `timeout` of the SSH wrapper signals, and
 *   holds nothing of the SSH channel, so the start command returns in milliseconds;
 * - the lock fd is closed for the inner command (`9>&-`): servers the job starts (a
 *   postmaster) never inherit the lock, so the job's end always frees it;
 * - secrets travel only in `secretEnv`: the SSH wrapper exports them and the job
 *   inherits them from its environment; they are never an argument (so never in `ps`),
 *   never in the job directory, and the inner command must not print them;
 * - every job is bounded: the inner command runs under coreutils `timeout`
 *   (`maxRunSeconds`, default one day);
 * - status: no token → absent; lock held → running; lock free with this token's exit
 *   status → succeeded (0) / failed; lock free without one → failed (killed, rebooted).
 *
 * Progress: the inner command prints `twinstack-progress <bytesDone> <bytesTotal>` lines
 * (total 0 = unknown); the status reports the last one.
 */
import type { CommandResult, RemoteCommand } from '../command.ts';
import { redact } from '../command.ts';
import { InvalidInputError, UnexpectedOutputError } from '../errors.ts';

/** Job names: directory-safe, e.g. `restore-shop-main`. */
export const JOB_NAME = /^[a-z][a-z0-9_-]{0,159}$/;
/** Run tokens: Step Functions execution names (letters, digits, `-`, `_`, ≤ 80) and UUIDs. */
export const JOB_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
/** A job directory: absolute, or relative to the SSH user's `$HOME`; plain segments only. */
const JOB_DIRECTORY = /^\/?[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;

/** Default `maxRunSeconds`: one day. */
export const DEFAULT_JOB_MAX_RUN_SECONDS = 86_400;
/** Grace between the job's TERM and KILL when `maxRunSeconds` is reached. */
export const JOB_KILL_AFTER_SECONDS = 60;
/** Start and status take milliseconds; this bounds them (start.lock waits ≤ 10 s). */
export const JOB_COMMAND_TIMEOUT_MS = 30_000;
/** The status reports at most this many log lines (the last ones, progress lines left out). */
export const JOB_LOG_TAIL_LINES = 30;

export interface JobSpec {
  /** Validated job name (JOB_NAME): one job directory per name and host. */
  readonly name: string;
  /** Validated run token (JOB_TOKEN), e.g. the workflow's execution name. */
  readonly token: string;
  /**
   * The job directory on the host: absolute, or relative to the SSH user's `$HOME`.
   * @default `.twinstack/jobs/<name>` (that is, `$HOME/.twinstack/jobs/<name>`)
   */
  readonly directory?: string;
  /** The inner command is stopped (TERM, then KILL 60 s later) after this long. @default 86400 */
  readonly maxRunSeconds?: number;
}

export interface JobProgress {
  readonly bytesDone: number;
  /** 0 when the total is unknown. */
  readonly bytesTotal: number;
}

export type JobState = 'absent' | 'running' | 'succeeded' | 'failed';

export interface JobStatus {
  readonly state: JobState;
  /** The token of the run the directory holds (absent: none). */
  readonly token?: string;
  /** Set when the run ended with an exit status. */
  readonly exitCode?: number;
  /** The last `twinstack-progress` line of the log. */
  readonly progress?: JobProgress;
  /** The last lines of the log (progress lines left out), as the shell returned them (redacted). */
  readonly logTail: readonly string[];
  /** Why the job is failed or absent, in words. */
  readonly reason?: string;
}

/** What a start did: started a new run, found one running (attached), or found this token's run already ended. */
export interface JobStart {
  readonly outcome: 'started' | 'attached' | 'finished';
  /** The token of the run started, attached to, or found ended. */
  readonly token: string;
  /** `finished` only: the run's exit status (absent: it ended without one). */
  readonly exitCode?: number;
}

/** The job directory as given to the scripts (relative paths are resolved against `$HOME` there). */
export function jobDirectoryOf(spec: Pick<JobSpec, 'name' | 'directory'>): string {
  checkJobName(spec.name);
  const directory = spec.directory ?? `.twinstack/jobs/${spec.name}`;
  if (!JOB_DIRECTORY.test(directory) || directory.split('/').some((s) => s === '.' || s === '..') || directory === '/') {
    throw new InvalidInputError(`invalid job directory ${JSON.stringify(directory)}: an absolute path or one relative to $HOME, plain segments only`);
  }
  return directory;
}

export function checkJobName(name: string): string {
  if (typeof name !== 'string' || !JOB_NAME.test(name)) throw new InvalidInputError(`invalid job name ${JSON.stringify(name)} (expected ${JOB_NAME.source})`);
  return name;
}

export function checkJobToken(token: string): string {
  if (typeof token !== 'string' || !JOB_TOKEN.test(token)) throw new InvalidInputError(`invalid job run token ${JSON.stringify(token)} (expected ${JOB_TOKEN.source})`);
  return token;
}

function maxRunSecondsOf(spec: JobSpec): number {
  const seconds = spec.maxRunSeconds ?? DEFAULT_JOB_MAX_RUN_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 7 * 86_400) throw new InvalidInputError(`job ${spec.name}: maxRunSeconds must be a whole number of seconds from 1 to 604800, got ${seconds}`);
  return seconds;
}

/** Shared by both scripts: resolve the directory, take the start lock (≤ 10 s). */
const OPEN_JOB_DIR = String.raw`case $DIR in /*) ;; *) DIR=$HOME/$DIR ;; esac
umask 077`;
const TAKE_START_LOCK = String.raw`exec 8>>"$DIR/start.lock"
flock -w 10 8 || { echo "twinstack-job: the start lock of $DIR was held for 10 s" >&2; exit 75; }`;

/**
 * Runs in the background, in its own session, holding the job lock (fd 9) until it
 * exits. Args: dir, token, inner argv. No single quote in it (it is one quoted word of
 * START_JOB_SCRIPT).
 */
const JOB_RUNNER = String.raw`DIR=$1; TOKEN=$2; shift 2
echo "$$" > "$DIR/pid"
"$@" 9>&-
CODE=$?
printf "%s %s\n" "$TOKEN" "$CODE" > "$DIR/exit.tmp" && mv -f "$DIR/exit.tmp" "$DIR/exit"`;

/**
 * `sh -c START_JOB_SCRIPT sh <dir> <token> <inner argv…>`. Prints one line:
 * `twinstack-job started|attached <token>` or `twinstack-job finished <token> [<exit code>]`.
 */
export const START_JOB_SCRIPT = String.raw`set -eu
DIR=$1; TOKEN=$2; shift 2
[ "$#" -gt 0 ] || { echo "twinstack-job: no command to run" >&2; exit 64; }
${OPEN_JOB_DIR}
mkdir -p "$DIR"
chmod 700 "$DIR"
${TAKE_START_LOCK}
exec 9>>"$DIR/lock"
if ! flock -n 9; then
  printf 'twinstack-job attached %s\n' "$(cat "$DIR/token" 2>/dev/null || true)"
  exit 0
fi
if [ -f "$DIR/token" ] && [ "$(cat "$DIR/token")" = "$TOKEN" ]; then
  if [ -f "$DIR/exit" ] && read -r T CODE < "$DIR/exit" && [ "$T" = "$TOKEN" ]; then
    printf 'twinstack-job finished %s %s\n' "$TOKEN" "$CODE"
  else
    printf 'twinstack-job finished %s\n' "$TOKEN"
  fi
  exit 0
fi
rm -f "$DIR/exit" "$DIR/exit.tmp" "$DIR/pid"
[ ! -f "$DIR/log" ] || mv -f "$DIR/log" "$DIR/log.previous"
printf '%s\n' "$TOKEN" > "$DIR/token.tmp"
mv -f "$DIR/token.tmp" "$DIR/token"
RUNNER='${JOB_RUNNER}'
setsid sh -c "$RUNNER" sh "$DIR" "$TOKEN" "$@" </dev/null >"$DIR/log" 2>&1 8>&- &
printf 'twinstack-job started %s\n' "$TOKEN"
`;

/**
 * `sh -c JOB_STATUS_SCRIPT sh <dir>`. Prints `twinstack-job absent|running|exited|vanished
 * [<token> [<code>]]`, then the last progress line if any, then `twinstack-job-log` and
 * the log's last lines (progress lines left out).
 */
export const JOB_STATUS_SCRIPT = String.raw`set -eu
DIR=$1
${OPEN_JOB_DIR}
if [ ! -f "$DIR/token" ]; then echo "twinstack-job absent"; exit 0; fi
${TAKE_START_LOCK}
TOKEN=$(cat "$DIR/token")
exec 9>>"$DIR/lock"
if ! flock -n 9; then
  echo "twinstack-job running $TOKEN"
elif [ -f "$DIR/exit" ] && read -r T CODE < "$DIR/exit" && [ "$T" = "$TOKEN" ]; then
  echo "twinstack-job exited $TOKEN $CODE"
else
  echo "twinstack-job vanished $TOKEN"
fi
exec 9>&-
P=$(tail -c 262144 "$DIR/log" 2>/dev/null | grep -a '^twinstack-progress [0-9][0-9]* [0-9][0-9]*$' | tail -n 1) || true
[ -z "$P" ] || printf '%s\n' "$P"
echo "twinstack-job-log"
tail -c 16384 "$DIR/log" 2>/dev/null | grep -av '^twinstack-progress ' | tail -n ${JOB_LOG_TAIL_LINES} || true
`;

/**
 * The command that starts `inner` as job `spec` (or attaches to its running run).
 * `inner.secretEnv` and `inner.env` become this command's (the SSH wrapper exports the
 * secrets; the job inherits them); `inner.timeoutMs` is replaced by `maxRunSeconds`.
 * InvalidInputError for an invalid spec, an inner command with stdin (a job reads
 * /dev/null), or a secret value that appears in the inner argv or env.
 */
export function startJobCommand(spec: JobSpec, inner: RemoteCommand): RemoteCommand {
  const directory = jobDirectoryOf(spec);
  const token = checkJobToken(spec.token);
  const maxRunSeconds = maxRunSecondsOf(spec);
  if (inner.argv.length === 0) throw new InvalidInputError(`job ${spec.name}: the inner command has an empty argv`);
  if (inner.stdin !== undefined && inner.stdin !== '') throw new InvalidInputError(`job ${spec.name}: a detached job reads no stdin (it runs with /dev/null); pass data as arguments or secretEnv`);
  const secrets = Object.values(inner.secretEnv ?? {}).filter((s) => s.length > 0);
  const visible = [...inner.argv, ...Object.values(inner.env ?? {}), inner.description];
  if (secrets.some((secret) => visible.some((word) => word.includes(secret)))) {
    throw new InvalidInputError(`job ${spec.name}: a secretEnv value appears in the inner command's argv, env or description`);
  }
  return {
    description: `start job ${spec.name} (run ${token}): ${redact(inner.description, secrets)}`,
    argv: ['sh', '-c', START_JOB_SCRIPT, 'sh', directory, token, 'timeout', '--signal=TERM', `--kill-after=${JOB_KILL_AFTER_SECONDS}`, String(maxRunSeconds), ...inner.argv],
    ...(inner.env ? { env: inner.env } : {}),
    ...(inner.secretEnv ? { secretEnv: inner.secretEnv } : {}),
    timeoutMs: JOB_COMMAND_TIMEOUT_MS,
    ...(inner.redact ? { redact: inner.redact } : {}),
  };
}

/** The inner argv of a command built by startJobCommand (for fakes and reports); undefined for any other command. */
export function innerArgvOf(command: RemoteCommand): readonly string[] | undefined {
  if (command.argv[0] !== 'sh' || command.argv[2] !== START_JOB_SCRIPT) return undefined;
  return command.argv.slice(10);
}

/** The command that reads job `spec`'s status; `redact` masks e.g. database secrets in the log tail it returns. */
export function jobStatusCommand(spec: Pick<JobSpec, 'name' | 'directory'>, options: { readonly redact?: readonly string[] } = {}): RemoteCommand {
  const directory = jobDirectoryOf(spec);
  return {
    description: `status of job ${spec.name}`,
    argv: ['sh', '-c', JOB_STATUS_SCRIPT, 'sh', directory],
    timeoutMs: JOB_COMMAND_TIMEOUT_MS,
    ...(options.redact && options.redact.length > 0 ? { redact: options.redact } : {}),
  };
}

const START_LINE = /^twinstack-job (started|attached|finished) ([A-Za-z0-9_-]+)(?: (\d{1,3}))?$/;
const STATE_LINE = /^twinstack-job (absent|running|exited|vanished)(?: ([A-Za-z0-9_-]+)(?: (\d{1,3}))?)?$/;
const PROGRESS_LINE = /^twinstack-progress (\d{1,20}) (\d{1,20})$/;
const LOG_MARKER = 'twinstack-job-log';

function linesOf(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r+$/, ''));
}

function unexpected(what: string, result: CommandResult): UnexpectedOutputError {
  const sample = (result.stdout.trim() || result.stderr.trim()).slice(0, 200);
  return new UnexpectedOutputError(`${what}: exit code ${result.exitCode}, output ${JSON.stringify(sample)}`);
}

/** Parse what START_JOB_SCRIPT printed; UnexpectedOutputError for anything else. */
export function parseJobStart(result: CommandResult): JobStart {
  if (result.exitCode !== 0) throw unexpected('job start failed', result);
  const lines = linesOf(result.stdout).filter((l) => l.trim() !== '');
  const match = lines.length === 1 ? START_LINE.exec(lines[0] ?? '') : null;
  if (!match) throw unexpected('job start printed no start line', result);
  const [, outcome, token = '', code] = match;
  if (!JOB_TOKEN.test(token)) throw unexpected('job start reported an invalid token', result);
  if (code !== undefined && outcome !== 'finished') throw unexpected('job start reported an exit code for a run that did not end', result);
  return { outcome: outcome as JobStart['outcome'], token, ...(code !== undefined ? { exitCode: Number(code) } : {}) };
}

/** Parse what JOB_STATUS_SCRIPT printed; UnexpectedOutputError for anything else. */
export function parseJobStatus(result: CommandResult): JobStatus {
  if (result.exitCode !== 0) throw unexpected('job status failed', result);
  const lines = linesOf(result.stdout);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const match = STATE_LINE.exec(lines[0] ?? '');
  if (!match) throw unexpected('job status printed no state line', result);
  const [, state, token, code] = match;
  if (state === 'absent') {
    if (token !== undefined || lines.length > 1) throw unexpected('job status: an absent job with output', result);
    return { state: 'absent', logTail: [], reason: 'no job has run in this directory' };
  }
  if (token === undefined || !JOB_TOKEN.test(token)) throw unexpected('job status reported no valid token', result);
  if ((state === 'exited') !== (code !== undefined)) throw unexpected('job status: an exit code belongs to an exited job only', result);
  let rest = lines.slice(1);
  let progress: JobProgress | undefined;
  const progressMatch = PROGRESS_LINE.exec(rest[0] ?? '');
  if (progressMatch) {
    const bytesDone = Number(progressMatch[1]);
    const bytesTotal = Number(progressMatch[2]);
    if (!Number.isSafeInteger(bytesDone) || !Number.isSafeInteger(bytesTotal)) throw unexpected('job status: progress out of range', result);
    progress = { bytesDone, bytesTotal };
    rest = rest.slice(1);
  }
  if (rest[0] !== LOG_MARKER) throw unexpected('job status printed no log marker', result);
  const logTail = rest.slice(1);
  const base = { token, ...(progress ? { progress } : {}), logTail };
  if (state === 'running') return { state: 'running', ...base };
  if (state === 'vanished') return { state: 'failed', ...base, reason: 'job ended without an exit status: killed or host rebooted' };
  const exitCode = Number(code);
  if (exitCode === 0) return { state: 'succeeded', ...base, exitCode };
  return { state: 'failed', ...base, exitCode, reason: `job exited with code ${exitCode}${exitCode === 124 ? ' (its run time limit was reached)' : exitCode > 128 ? ` (killed by signal ${exitCode - 128})` : ''}` };
}
