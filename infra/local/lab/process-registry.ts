/**
 * A registry of the long-running processes the lab started (sshd listeners,
 * PostgreSQL postmasters), so they are stopped when the process running the lab
 * exits, is interrupted (SIGINT/SIGTERM) or crashes.
 *
 * Invariant: a process is only ever signalled by its own PID, and only while it
 * still is the process we mean (its marker matches), so a recycled PID is never hit.
 * A marker is either a word of its command line (sshd: its config file) or the
 * identity (device, inode) of its working directory (a postmaster runs in its
 * data directory; the inode is the same seen from any mount namespace).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The directory a process must run in, by identity. */
export interface CwdIdentity {
  readonly dev: number;
  readonly ino: number;
}
export type ProcessMarker = string | CwdIdentity;

export interface RegisteredProcess {
  readonly pid: number;
  /** What it is, for logs: `sshd primary`, `postgres /var/tmp/…/pgdata`. */
  readonly label: string;
  readonly marker: ProcessMarker;
  /** Signal that stops it at once: SIGTERM for sshd, SIGQUIT (immediate shutdown) for a postmaster. */
  readonly signal: NodeJS.Signals;
}

const registry = new Map<number, RegisteredProcess>();
const syncCleanups = new Set<() => void>();
let handlersInstalled = false;

/** Identity of a directory, or undefined when it does not exist. */
export function cwdIdentityOf(path: string): CwdIdentity | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

function matches(pid: number, marker: ProcessMarker): boolean {
  if (typeof marker === 'string') {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // sshd rewrites its title into one string (`sshd: /usr/sbin/sshd -D -f <config> [listener] …`).
    return args.includes(marker) || ` ${args.join(' ')} `.includes(` ${marker} `);
  }
  const cwd = cwdIdentityOf(`/proc/${pid}/cwd`);
  return cwd !== undefined && cwd.dev === marker.dev && cwd.ino === marker.ino;
}

/** True when `pid` runs (not a zombie) and is the process `marker` designates. */
export function isProcessRunning(pid: number, marker: ProcessMarker): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // State field after the parenthesised command: a zombie has exited already.
    if (/\)\s+Z\s/.test(stat)) return false;
    return matches(pid, marker);
  } catch {
    return false;
  }
}

/** PIDs of running processes whose command line carries `marker` (scans /proc; for leftovers without a pid file). */
export function findProcessesByMarker(marker: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => isProcessRunning(pid, marker));
}

/** Send `signal` to `pid` if it is still the process `marker` designates; true when sent. */
export function signalProcess(pid: number, marker: ProcessMarker, signal: NodeJS.Signals): boolean {
  if (!isProcessRunning(pid, marker)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Wait (bounded) until the process is gone; escalate to SIGKILL at the deadline. True when it is gone. */
export async function waitForExit(pid: number, marker: ProcessMarker, timeoutMs = 10_000): Promise<boolean> {
  // Gone means gone from /proc (or a zombie): a process that is exiting has already
  // lost its command line, so the marker no longer matches while it still exists.
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processExists(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  signalProcess(pid, marker, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline) {
    if (!processExists(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !processExists(pid);
}

/** The PID exists and is not a zombie (whatever it runs). */
function processExists(pid: number): boolean {
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Synchronous `waitForExit` (blocks the thread; for synchronous cleanup paths only). */
export function waitForExitSync(pid: number, marker: ProcessMarker, timeoutMs = 10_000): boolean {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processExists(pid)) return true;
    Atomics.wait(sleeper, 0, 0, 20);
  }
  signalProcess(pid, marker, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline) {
    if (!processExists(pid)) return true;
    Atomics.wait(sleeper, 0, 0, 20);
  }
  return !processExists(pid);
}

/** Stop every registered process synchronously (signals only: usable in an `exit` handler). */
export function stopAllRegisteredSync(): void {
  for (const entry of registry.values()) signalProcess(entry.pid, entry.marker, entry.signal);
  registry.clear();
  for (const cleanup of syncCleanups) {
    try {
      cleanup();
    } catch {
      // best effort at exit
    }
  }
  syncCleanups.clear();
}

/**
 * Also run `cleanup` (synchronous, signals only) at exit: for processes the lab
 * did not start itself but owns, such as a replica postmaster started over SSH.
 * Returns a function that removes it.
 */
export function registerSyncCleanup(cleanup: () => void): () => void {
  installExitHook();
  syncCleanups.add(cleanup);
  return () => syncCleanups.delete(cleanup);
}

function onSignal(signal: NodeJS.Signals): void {
  stopAllRegisteredSync();
  uninstallHandlers();
  // Re-raise so the default behaviour (exit with 128+n) still happens when nobody else handles it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');

let exitHookInstalled = false;

function uninstallHandlers(): void {
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  handlersInstalled = false;
}

/** Stop the registered processes when this Node process exits (installed by the first registration). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', stopAllRegisteredSync);
}

/**
 * Also stop them on SIGINT/SIGTERM, then let the signal take its default course
 * when nobody else listens. Idempotent. Programs with their own signal handling
 * (the drill) need not call it: the exit hook still runs when they exit.
 */
export function installExitHandlers(): void {
  installExitHook();
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
}

export function registerProcess(entry: RegisteredProcess): void {
  installExitHook();
  registry.set(entry.pid, entry);
}

export function unregisterProcess(pid: number): void {
  registry.delete(pid);
}

/** The processes registered now (a copy). */
export function registeredProcesses(): RegisteredProcess[] {
  return [...registry.values()];
}
