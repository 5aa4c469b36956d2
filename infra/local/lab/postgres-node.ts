/**
 * PostgreSQL servers of the lab, run as the lab user (PostgreSQL refuses root)
 * with the node convention of functions/core/model.ts: per-node settings (port,
 * listen address, socket directory) only on the pg_ctl command line.
 *
 * The lab initialises the PRIMARY only; the twin's cluster is created by the
 * engine's restoreReplica from a base backup (the lab only prepares its parent
 * directory and socket directory, owned by the user).
 *
 * Invariants: a postmaster is signalled only by the PID in its own
 * postmaster.pid, and only while that PID's command line names this data dir;
 * a postmaster.pid left by a dead process is removed, so a crashed run never
 * blocks the next one.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { Host, PostgresSettings } from '../../../functions/core/model.ts';
import { POSTGRES_LOG_SUFFIX } from '../../../functions/core/model.ts';
import { LabError } from './lab-error.ts';
import { isProcessRunning, registerProcess, unregisterProcess, waitForExit } from './process-registry.ts';
import { runLocal, runLocalChecked } from './run-local-command.ts';
import { POSTGRES_BIN_DIR } from './system-requirements.ts';

/** The OS user a server runs as. */
export interface LabUserRef {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface PostgresNodeOptions {
  /** The lab host; its `address` is the listen address for `listenOn: host-address`. */
  readonly host: Pick<Host, 'address'>;
  /** Absolute; its log is `<dataDir>.log`. */
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly user: LabUserRef;
  readonly listenOn: PostgresSettings['listenOn'];
  /** @default /usr/lib/postgresql/15/bin */
  readonly binDir?: string;
}

export interface PostgresPrimaryOptions extends PostgresNodeOptions {
  /** Bootstrap superuser role (PostgresSettings.superuser). @default user.name */
  readonly superuser?: string;
}

export interface PostgresNode {
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  /** PID of the postmaster. */
  readonly pid: number;
}

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

function assertSafePath(what: string, path: string): void {
  if (!isAbsolute(path) || !SAFE_PATH.test(path) || path.includes('..') || path.endsWith('/')) {
    throw new LabError(`${what} must be an absolute path of [A-Za-z0-9_./-] without '..' or trailing '/', got ${JSON.stringify(path)}`);
  }
}

/** The postmaster PID recorded in `<dataDir>/postmaster.pid`, if that process still runs on this data dir. */
export function runningPostmasterPid(dataDir: string): number | undefined {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]?.trim());
  return isProcessRunning(pid, dataDir) ? pid : undefined;
}

/** Remove a postmaster.pid whose process is gone (a crashed run); true when one was removed. */
export function clearStalePostmasterPid(dataDir: string): boolean {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile) || runningPostmasterPid(dataDir) !== undefined) return false;
  rmSync(pidFile, { force: true });
  return true;
}

/** Create `dir` (and parents) and give it to the lab user with `mode`. */
export function ensureUserDir(dir: string, user: LabUserRef, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, mode);
}

function asUser(user: LabUserRef, cwd: string) {
  return {
    uid: user.uid,
    gid: user.gid,
    cwd,
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: cwd, USER: user.name, LOGNAME: user.name },
  };
}

/**
 * Start an existing cluster with the node convention (idempotent: a running
 * postmaster on this data dir is kept). Registers it for stop-on-exit.
 */
export async function startPostgresNode(options: PostgresNodeOptions): Promise<PostgresNode> {
  const { dataDir, port, socketDir, user } = options;
  assertSafePath('dataDir', dataDir);
  assertSafePath('socketDir', socketDir);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new LabError(`invalid PostgreSQL port ${port}`);
  const binDir = options.binDir ?? POSTGRES_BIN_DIR;
  const running = runningPostmasterPid(dataDir);
  if (running !== undefined) return { dataDir, port, socketDir, pid: running };
  clearStalePostmasterPid(dataDir);
  ensureUserDir(socketDir, user, 0o755);
  const listen = options.listenOn === 'host-address' ? options.host.address : '*';
  const serverOptions = `-c port=${port} -c listen_addresses=${listen} -c unix_socket_directories=${socketDir}`;
  await runLocalChecked(
    [`${binDir}/pg_ctl`, '-D', dataDir, '-l', `${dataDir}${POSTGRES_LOG_SUFFIX}`, '-w', '-t', '60', '-o', serverOptions, 'start'],
    { ...asUser(user, dirname(dataDir)), timeoutMs: 90_000 },
  );
  const pid = runningPostmasterPid(dataDir);
  if (pid === undefined) throw new LabError(`PostgreSQL on ${dataDir} reported started but no postmaster runs`);
  registerProcess({ pid, label: `postgres ${dataDir}`, marker: dataDir, signal: 'SIGQUIT' });
  return { dataDir, port, socketDir, pid };
}

/**
 * Create a FRESH primary cluster at `dataDir` (anything there before is stopped
 * and removed), initialised as the lab user with local trust and scram-sha-256
 * over TCP, data checksums on (pg_rewind works without wal_log_hints), and start it.
 */
export async function initPostgresPrimary(options: PostgresPrimaryOptions): Promise<PostgresNode> {
  const { dataDir, user } = options;
  assertSafePath('dataDir', dataDir);
  const binDir = options.binDir ?? POSTGRES_BIN_DIR;
  await destroyPostgres(dataDir);
  ensureUserDir(dirname(dataDir), user, 0o750);
  await runLocalChecked(
    [
      `${binDir}/initdb`,
      '-D', dataDir,
      '-U', options.superuser ?? user.name,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--data-checksums',
      '--no-sync',
    ],
    { ...asUser(user, dirname(dataDir)), timeoutMs: 120_000 },
  );
  return startPostgresNode(options);
}

/**
 * Stop the server on `dataDir` at once, like a crash (immediate shutdown:
 * SIGQUIT to its postmaster, SIGKILL if it lingers). No-op when nothing runs;
 * a stale postmaster.pid is removed. Used by the drill to make the primary die.
 */
export async function killPostgres(dataDir: string): Promise<void> {
  assertSafePath('dataDir', dataDir);
  const pid = runningPostmasterPid(dataDir);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    const gone = await waitForExit(pid, dataDir, 10_000);
    unregisterProcess(pid);
    if (!gone) throw new LabError(`PostgreSQL postmaster ${pid} on ${dataDir} did not stop`);
  }
  clearStalePostmasterPid(dataDir);
}

/** Stop (immediately) and remove the cluster at `dataDir` and its log. Idempotent. */
export async function destroyPostgres(dataDir: string): Promise<void> {
  assertSafePath('dataDir', dataDir);
  await killPostgres(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}${POSTGRES_LOG_SUFFIX}`, { force: true });
}

/** `SELECT …` through the node's socket as `role` (trust): for lab checks, not for the engine. */
export async function queryLocal(node: Pick<PostgresNode, 'port' | 'socketDir'>, user: LabUserRef, role: string, sql: string, database = 'postgres'): Promise<string> {
  const result = await runLocal(
    [`${POSTGRES_BIN_DIR}/psql`, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', node.socketDir, '-p', String(node.port), '-U', role, '-d', database, '-c', sql],
    { ...asUser(user, '/'), timeoutMs: 30_000 },
  );
  if (result.exitCode !== 0) throw new LabError(`psql ${sql}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}
