/**
 * A registry of the long-running processes the lab started (sshd listeners,
 * PostgreSQL postmasters), so they are stopped when the process running the lab
 * exits, is interrupted (SIGINT/SIGTERM) or crashes.
 *
 * Invariant: a process is only ever signalled by its own PID, and only while
 * /proc/<pid>/cmdline still contains its marker (its config path or data dir),
 * so a recycled PID is never hit.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface RegisteredProcess {
  readonly pid: number;
  /** What it is, for logs: `sshd primary`, `postgres /var/tmp/…/pg/main`. */
  readonly label: string;
  /** One of its command-line arguments, exactly (config file, data directory). */
  readonly marker: string;
  /** Signal that stops it at once: SIGTERM for sshd, SIGQUIT (immediate shutdown) for a postmaster. */
  readonly signal: NodeJS.Signals;
}

const registry = new Map<number, RegisteredProcess>();
let handlersInstalled = false;

/** True when `pid` runs (not a zombie) and one of its command-line words is exactly `marker`. */
export function isProcessRunning(pid: number, marker: string): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // sshd rewrites its title into one string (`sshd: /usr/sbin/sshd -D -f <config> [listener] …`).
    const title = ` ${args.join(' ')} `;
    if (!args.includes(marker) && !title.includes(` ${marker} `)) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // State field after the parenthesised command: a zombie has exited already.
    return !/\)\s+Z\s/.test(stat);
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
  return entries.filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => pid !== process.pid && isProcessRunning(pid, marker));
}

/** Send `signal` to `pid` if it is still the process carrying `marker`; true when sent. */
export function signalProcess(pid: number, marker: string, signal: NodeJS.Signals): boolean {
  if (!isProcessRunning(pid, marker)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Wait (bounded) until the process is gone; escalate to SIGKILL at the deadline. True when it is gone. */
export async function waitForExit(pid: number, marker: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessRunning(pid, marker)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  signalProcess(pid, marker, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline) {
    if (!isProcessRunning(pid, marker)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isProcessRunning(pid, marker);
}

const syncCleanups = new Set<() => void>();

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
  syncCleanups.add(cleanup);
  return () => syncCleanups.delete(cleanup);
}

function onSignal(signal: NodeJS.Signals): void {
  stopAllRegisteredSync();
  uninstallHandlers();
  // Re-raise so the default behaviour (exit with 128+n) still happens.
  process.kill(process.pid, signal);
}

const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');

function uninstallHandlers(): void {
  process.off('exit', stopAllRegisteredSync);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  handlersInstalled = false;
}

/** Stop the registered processes when this Node process exits or gets SIGINT/SIGTERM. Idempotent. */
export function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', stopAllRegisteredSync);
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
}

export function registerProcess(entry: RegisteredProcess): void {
  registry.set(entry.pid, entry);
}

export function unregisterProcess(pid: number): void {
  registry.delete(pid);
}

/** The processes registered now (a copy). */
export function registeredProcesses(): RegisteredProcess[] {
  return [...registry.values()];
}
