/**
 * Detached jobs in the fake world: FakeWorld hands every command built by
 * `startJobCommand` / `jobStatusCommand` to FakeJobs, which answers in the exact output
 * format of the real scripts (so the real parsers run) and plays a job's inner command
 * through the world once, when the job ends. By default a job ends as it starts (the
 * inner command runs then); tests make jobs run for some status reads, or fail.
 */
import type { CommandResult, RemoteCommand } from '../../../../functions/core/command.ts';
import { innerArgvOf, JOB_STATUS_SCRIPT, START_JOB_SCRIPT } from '../../../../functions/core/jobs/detached-job.ts';

export interface FakeJob {
  readonly host: string;
  readonly directory: string;
  token: string;
  state: 'running' | 'exited' | 'vanished';
  exitCode?: number;
  /** Status reads left before a running job ends. */
  readsLeft: number;
  readonly log: string[];
  readonly inner: RemoteCommand;
  readonly outcome?: FakeJobOutcome;
}

/** How a job ends instead of running its inner command. */
export interface FakeJobOutcome {
  /** Exit code; absent with `vanish`. */
  readonly exitCode?: number;
  /** The job dies without an exit status (killed, host rebooted). */
  readonly vanish?: boolean;
  readonly log: readonly string[];
}

export interface FakeJobRun { readonly host: string; readonly directory: string; readonly token: string; readonly argv: readonly string[] }

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });

export class FakeJobs {
  /** `<address>:<directory>` → the job there. */
  readonly jobs = new Map<string, FakeJob>();
  /** Every run actually started (a start that attaches or finds its run ended adds none). */
  readonly runs: FakeJobRun[] = [];
  /** Jobs started from now on report `running` for this many status reads, then end at the next one (0: a job ends as it starts). */
  runningReads = 0;
  /** Total bytes running jobs report (progress grows by total / (runningReads + 1) a read); 0: no progress lines. */
  progressTotal = 0;
  /** The next job started ends this way (its inner command never runs). */
  nextOutcome: FakeJobOutcome | undefined;

  /** Answers a job command; undefined for any other command. `exec` plays an inner command in the world. */
  play(host: string, command: RemoteCommand, exec: (inner: RemoteCommand) => CommandResult): CommandResult | undefined {
    if (command.argv[0] !== 'sh' || command.argv[1] !== '-c') return undefined;
    if (command.argv[2] === START_JOB_SCRIPT) return this.start(host, command, exec);
    if (command.argv[2] === JOB_STATUS_SCRIPT) return this.status(host, command.argv[4] ?? '', exec);
    return undefined;
  }

  job(host: string, directory: string): FakeJob | undefined {
    return this.jobs.get(`${host}:${directory}`);
  }

  private start(host: string, command: RemoteCommand, exec: (inner: RemoteCommand) => CommandResult): CommandResult {
    const directory = command.argv[4] ?? '';
    const token = command.argv[5] ?? '';
    const existing = this.job(host, directory);
    if (existing?.state === 'running') return ok(`twinstack-job attached ${existing.token}\n`);
    if (existing?.token === token) return ok(`twinstack-job finished ${token}${existing.exitCode !== undefined ? ` ${existing.exitCode}` : ''}\n`);
    const inner: RemoteCommand = {
      description: command.description,
      argv: innerArgvOf(command) ?? [],
      ...(command.env ? { env: command.env } : {}),
      ...(command.secretEnv ? { secretEnv: command.secretEnv } : {}),
      timeoutMs: command.timeoutMs,
    };
    const outcome = this.nextOutcome;
    this.nextOutcome = undefined;
    const job: FakeJob = { host, directory, token, state: 'running', readsLeft: this.runningReads, log: [], inner, ...(outcome ? { outcome } : {}) };
    this.jobs.set(`${host}:${directory}`, job);
    this.runs.push({ host, directory, token, argv: inner.argv });
    // runningReads 0: the job is over before anyone looks (its inner command runs now).
    if (job.readsLeft === 0) this.end(job, exec);
    return ok(`twinstack-job started ${token}\n`);
  }

  private status(host: string, directory: string, exec: (inner: RemoteCommand) => CommandResult): CommandResult {
    const job = this.job(host, directory);
    if (!job) return ok('twinstack-job absent\n');
    if (job.state === 'running') {
      if (job.readsLeft > 0) {
        job.readsLeft -= 1;
        if (this.progressTotal > 0) {
          const step = Math.floor(this.progressTotal / (this.runningReads + 1));
          job.log.push(`twinstack-progress ${step * (this.runningReads - job.readsLeft)} ${this.progressTotal}`);
        }
      } else {
        this.end(job, exec);
      }
    }
    const progress = [...job.log].reverse().find((l) => l.startsWith('twinstack-progress '));
    const state = job.state === 'running' ? `running ${job.token}` : job.state === 'exited' ? `exited ${job.token} ${job.exitCode ?? 0}` : `vanished ${job.token}`;
    const tail = job.log.filter((l) => !l.startsWith('twinstack-progress ')).slice(-30);
    return ok([`twinstack-job ${state}`, ...(progress ? [progress] : []), 'twinstack-job-log', ...tail, ''].join('\n'));
  }

  private end(job: FakeJob, exec: (inner: RemoteCommand) => CommandResult): void {
    if (job.outcome) {
      job.log.push(...job.outcome.log);
      if (job.outcome.vanish) job.state = 'vanished';
      else Object.assign(job, { state: 'exited', exitCode: job.outcome.exitCode ?? 1 });
      return;
    }
    const result = exec(job.inner);
    job.log.push(...`${result.stdout}${result.stderr}`.split('\n').filter((l) => l !== ''));
    if (this.progressTotal > 0) job.log.push(`twinstack-progress ${this.progressTotal} ${this.progressTotal}`);
    Object.assign(job, { state: 'exited', exitCode: result.exitCode });
  }
}
