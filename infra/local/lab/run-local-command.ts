/**
 * Runs a local program for the lab (never through a shell: argv only) with a
 * bounded time, optionally as another user, and captures its output.
 */
import { spawn } from 'node:child_process';
import { LabError } from './lab-error.ts';

export interface LocalCommandOptions {
  /** Run as this uid/gid (e.g. the lab user: PostgreSQL refuses root). */
  readonly uid?: number;
  readonly gid?: number;
  readonly cwd?: string;
  /** Full environment; defaults to a minimal PATH/LANG environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Killed (SIGKILL) after this long. @default 60_000 */
  readonly timeoutMs?: number;
}

export interface LocalCommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const DEFAULT_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

/** Run `argv` and resolve with its exit code and output (non-zero exit included; a timeout is exit code 124). */
export function runLocal(argv: readonly string[], options: LocalCommandOptions = {}): Promise<LocalCommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new LabError('runLocal: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? '/',
      env: { ...(options.env ?? DEFAULT_ENV) },
      uid: options.uid,
      gid: options.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new LabError(`cannot run ${file}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = timedOut ? 124 : (code ?? (signal ? 128 : 1));
      resolve({ exitCode, stdout, stderr: timedOut ? `${stderr}\n(timed out)` : stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Like `runLocal`, but a non-zero exit throws a LabError carrying the command and its stderr. */
export async function runLocalChecked(argv: readonly string[], options: LocalCommandOptions = {}): Promise<LocalCommandResult> {
  const result = await runLocal(argv, options);
  if (result.exitCode !== 0) {
    throw new LabError(`${argv.join(' ')} exited ${result.exitCode}: ${(result.stderr || result.stdout).trim().slice(-2000)}`);
  }
  return result;
}
