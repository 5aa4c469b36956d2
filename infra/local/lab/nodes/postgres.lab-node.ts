/**
 * PostgreSQL servers of the lab, run as the lab user (PostgreSQL refuses root)
 * with the node convention of functions/core/model.ts: per-node settings (port,
 * listen address, socket directory) only on the pg_ctl command line.
 *
 * The lab initialises the PRIMARY only; the twin's cluster is created by the
 * engine's restoreReplica from a base backup (the lab only prepares its parent
 * directory and socket directory, owned by the user).
 *
 * Paths: with `namespacePid` (the sshd PID of a lab host with private mounts),
 * `dataDir` and `socketDir` are paths AS THAT HOST SEES THEM; initdb/pg_ctl run
 * inside its mount namespace (nsenter), and files are reached from here through
 * `/proc/<pid>/root/…`. Without it, paths are plain paths of this machine.
 *
 * Invariants: a postmaster is signalled only by the PID in its own
 * postmaster.pid, and only while that PID runs in this data directory (same
 * device and inode as its working directory); a postmaster.pid left by a dead
 * process is removed, so a crashed run never blocks the next one.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { POSTGRES_LOG_SUFFIX, postgresSettings, type PostgresSettings } from '../../../../functions/core/engines/postgres/postgres-settings.ts';
import type { Host } from '../../../../functions/core/model.ts';
import type { LabDatabaseNode, LabUserRef } from '../lab-database-node.ts';
import { LabError } from '../lab-error.ts';
import { assertSafePath, ensureUserDir, hostView } from '../lab-files.ts';
import { asLabUser, clearStalePidFile, dirsUnder, serverOf } from '../lab-servers.ts';
import { cwdIdentityOf, isProcessRunning, registerProcess, signalProcess, unregisterProcess, waitForExit, waitForExitSync } from '../process-registry.ts';
import { runLocal, runLocalChecked } from '../run-local-command.ts';
import type { SystemRequirement } from '../system-requirements.ts';

/** Directory of the PostgreSQL 15 server binaries on Debian/Ubuntu. */
export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const POSTMASTER_PID = 'postmaster.pid';

const POSTGRES_REQUIREMENTS: readonly SystemRequirement[] = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup', 'pg_rewind', 'psql', 'pg_controldata'].map((bin) => ({
  paths: [`${POSTGRES_BIN_DIR}/${bin}`],
  debianPackage: 'postgresql-15',
}));

export interface PostgresNodeOptions {
  /** The lab host; its `address` is the listen address for `listenOn: host-address`. */
  readonly host: Pick<Host, 'address'>;
  /** Absolute (as the host sees it); its log is `<dataDir>.log`. */
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  /** The lab user, by name or resolved. */
  readonly user: string | LabUserRef;
  readonly listenOn: PostgresSettings['listenOn'];
  /** PID of a process in the host's mount namespace (its sshd) when the host has private mounts. */
  readonly namespacePid?: number;
  /** @default /usr/lib/postgresql/15/bin */
  readonly binDir?: string;
}

export interface PostgresPrimaryOptions extends PostgresNodeOptions {
  /** Bootstrap superuser role (PostgresSettings.superuser). @default the user's name */
  readonly superuser?: string;
}

export interface PostgresNode {
  readonly dataDir: string;
  readonly port: number;
  readonly socketDir: string;
  /** PID of the postmaster. */
  readonly pid: number;
}

/** A data directory to stop or remove: a plain path, or a path as a namespaced host sees it. */
export type DataDirTarget = string | { readonly dataDir: string; readonly namespacePid?: number };



function targetOf(target: DataDirTarget): { dataDir: string; view: string } {
  const dataDir = typeof target === 'string' ? target : target.dataDir;
  assertSafePath('dataDir', dataDir);
  const namespacePid = typeof target === 'string' ? undefined : target.namespacePid;
  return { dataDir, view: hostView(dataDir, namespacePid) };
}

async function resolveUser(user: string | LabUserRef): Promise<LabUserRef> {
  if (typeof user !== 'string') return user;
  const result = await runLocal(['getent', 'passwd', user], { timeoutMs: 10_000 });
  const fields = result.stdout.trim().split(':');
  if (result.exitCode !== 0 || fields.length < 7) throw new LabError(`no such user ${user}: run ensureLabUser first`);
  return { name: user, uid: Number(fields[2]), gid: Number(fields[3]) };
}


/** PID of the postmaster running on `target`, if one runs. */
export function runningPostmasterPid(target: DataDirTarget): number | undefined {
  return postmasterOf(targetOf(target).view)?.pid;
}

/** Remove a postmaster.pid whose process is gone (a crashed run); true when one was removed. */
export function clearStalePostmasterPid(target: DataDirTarget): boolean {
  return clearStalePidFile(targetOf(target).view, POSTMASTER_PID);
}



/**
 * Start an existing cluster with the node convention (idempotent: a running
 * postmaster on this data dir is kept). Registers it for stop-on-exit.
 */
export async function startPostgresNode(options: PostgresNodeOptions): Promise<PostgresNode> {
  const { dataDir, port, socketDir, namespacePid } = options;
  assertSafePath('dataDir', dataDir);
  assertSafePath('socketDir', socketDir);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new LabError(`invalid PostgreSQL port ${port}`);
  const user = await resolveUser(options.user);
  const binDir = options.binDir ?? POSTGRES_BIN_DIR;
  const view = hostView(dataDir, namespacePid);
  const running = postmasterOf(view);
  if (running) return { dataDir, port, socketDir, pid: running.pid };
  clearStalePostmasterPid(view);
  ensureUserDir(hostView(socketDir, namespacePid), user, 0o755);
  const listen = options.listenOn === 'host-address' ? options.host.address : '*';
  const serverOptions = `-c port=${port} -c listen_addresses=${listen} -c unix_socket_directories=${socketDir}`;
  // pg_ctl -w returns as soon as the postmaster exits (it watches its PID), not after the 60 s: the failure then carries the server log's last lines.
  const logFile = `${dataDir}${POSTGRES_LOG_SUFFIX}`;
  const [argv, runOptions] = asLabUser([`${binDir}/pg_ctl`, '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start'], user, namespacePid);
  const result = await runLocal(argv, { ...runOptions, timeoutMs: 90_000 });
  if (result.exitCode !== 0) {
    const log = (() => {
      try {
        return readFileSync(hostView(logFile, namespacePid), 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        return '(no log)';
      }
    })();
    throw new LabError(`PostgreSQL on ${dataDir} did not start (pg_ctl exit ${result.exitCode}: ${result.stderr.trim().slice(-500)}): ${log}`);
  }
  const started = postmasterOf(view);
  if (!started) throw new LabError(`PostgreSQL on ${dataDir} reported started but no postmaster runs there`);
  registerProcess({ pid: started.pid, label: `postgres ${dataDir}`, marker: started.identity, signal: 'SIGQUIT' });
  return { dataDir, port, socketDir, pid: started.pid };
}

/**
 * Create a FRESH primary cluster at `dataDir` (anything there before is stopped
 * and removed), initialised as the lab user with local trust and scram-sha-256
 * over TCP, data checksums on (pg_rewind works without wal_log_hints), and start it.
 */
export async function initPostgresPrimary(options: PostgresPrimaryOptions): Promise<PostgresNode> {
  const { dataDir, namespacePid } = options;
  assertSafePath('dataDir', dataDir);
  const user = await resolveUser(options.user);
  const binDir = options.binDir ?? POSTGRES_BIN_DIR;
  destroyPostgres({ dataDir, namespacePid, remove: true });
  ensureUserDir(hostView(dirname(dataDir), namespacePid), user, 0o750);
  const initdb = [
    `${binDir}/initdb`,
    '-D', dataDir,
    '-U', options.superuser ?? user.name,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--data-checksums',
    '--no-sync',
  ];
  const [argv, runOptions] = asLabUser(initdb, user, namespacePid);
  await runLocalChecked(argv, { ...runOptions, timeoutMs: 120_000 });
  return startPostgresNode({ ...options, user });
}

/**
 * Stop the server on `target` at once, like a crash (immediate shutdown:
 * SIGQUIT to its postmaster, SIGKILL if it lingers). No-op when nothing runs;
 * a stale postmaster.pid is removed. Used by the drill to make the primary die.
 */
export async function killPostgres(target: DataDirTarget): Promise<void> {
  const { dataDir, view } = targetOf(target);
  const running = postmasterOf(view);
  if (running) {
    try {
      process.kill(running.pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    const gone = await waitForExit(running.pid, running.identity, 10_000);
    unregisterProcess(running.pid);
    if (!gone) throw new LabError(`PostgreSQL postmaster ${running.pid} on ${dataDir} did not stop`);
  }
  clearStalePostmasterPid(view);
}

/**
 * Stop (immediately) the cluster on `target` and, unless `remove: false`, delete
 * it and its log. Synchronous (usable in cleanup paths); idempotent.
 */
export function destroyPostgres(target: string | { readonly dataDir: string; readonly namespacePid?: number; readonly remove?: boolean }): void {
  const { dataDir, view } = targetOf(target);
  const remove = typeof target === 'string' ? true : (target.remove ?? true);
  const running = postmasterOf(view);
  if (running) {
    try {
      process.kill(running.pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    const gone = waitForExitSync(running.pid, running.identity, 10_000);
    unregisterProcess(running.pid);
    if (!gone) throw new LabError(`PostgreSQL postmaster ${running.pid} on ${dataDir} did not stop`);
  }
  if (remove) {
    rmSync(view, { recursive: true, force: true });
    rmSync(`${view}${POSTGRES_LOG_SUFFIX}`, { force: true });
  } else if (existsSync(view)) {
    clearStalePostmasterPid(view);
  }
}


/** The running postmaster of a data directory (seen here at `view`) and its identity, if any. */
const postmasterOf = (view: string) => serverOf(view, POSTMASTER_PID);
/** Directories under `dir` that hold a postmaster.pid: data directories that may run. */
const clusterDirsUnder = (dir: string) => dirsUnder(dir, (files) => files.has(POSTMASTER_PID));

/**
 * PostgreSQL as a lab node: data at `<mountPoint>/pg/<database>`, the socket in
 * `<mountPoint>/run`, listening on the host's address only (lab hosts share ports).
 */
export const postgresLabNode: LabDatabaseNode = {
  engine: 'postgres',
  defaultPort: 15432,
  requirements: POSTGRES_REQUIREMENTS,

  databaseConfig(spec) {
    return {
      name: spec.name,
      engine: 'postgres',
      host: spec.host,
      port: spec.port,
      // Lab hosts share one machine's loopback: replication connections come from 127.0.0.1.
      replication: { mode: spec.mode, maxLag: '16MiB', sourceAddress: '127.0.0.1' },
      postgres: {
        dataDir: `${spec.mountPoint}/pg/${spec.name}`,
        binDir: POSTGRES_BIN_DIR,
        socketDir: `${spec.mountPoint}/run`,
        superuser: spec.user,
        database: 'app',
        appUser: 'app',
        replicationUser: 'twinstack_replicator',
        listenOn: 'host-address',
      },
    };
  },

  async initPrimary(host, database) {
    const settings = postgresSettings(database);
    await initPostgresPrimary({
      host: host.host,
      namespacePid: host.namespacePid,
      dataDir: settings.dataDir,
      port: database.port,
      socketDir: settings.socketDir,
      user: host.user,
      listenOn: settings.listenOn,
      superuser: settings.superuser,
    });
  },

  prepareTwin(host, database) {
    const settings = postgresSettings(database);
    // restoreReplica creates the cluster from a base backup: only its parent and socket directories are needed.
    ensureUserDir(host.realPath(dirname(settings.dataDir)), host.user, 0o750);
    ensureUserDir(host.realPath(settings.socketDir), host.user, 0o755);
    destroyPostgres({ dataDir: settings.dataDir, namespacePid: host.namespacePid, remove: true });
    return Promise.resolve();
  },

  async start(host, database) {
    const settings = postgresSettings(database);
    await startPostgresNode({ host: host.host, namespacePid: host.namespacePid, dataDir: settings.dataDir, port: database.port, socketDir: settings.socketDir, user: host.user, listenOn: settings.listenOn });
  },

  kill(host, database) {
    return killPostgres(host.realPath(postgresSettings(database).dataDir));
  },

  dataLocation(database) {
    return postgresSettings(database).dataDir;
  },

  stopAllUnder(dir) {
    for (const dataDir of clusterDirsUnder(dir)) {
      const identity = cwdIdentityOf(dataDir);
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (identity && isProcessRunning(pid, identity)) {
        signalProcess(pid, identity, 'SIGQUIT');
        waitForExitSync(pid, identity, 10_000);
        unregisterProcess(pid);
      }
      clearStalePostmasterPid(dataDir);
    }
  },

  async readWrittenIds(url) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, query_timeout: 10_000 });
    await client.connect();
    try {
      const result = await client.query<{ id: string }>('SELECT id FROM drill_writes ORDER BY id');
      return result.rows.map((row) => Number(row.id));
    } finally {
      await client.end();
    }
  },
};
