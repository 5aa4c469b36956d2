/**
 * MariaDB servers of the lab, run as the lab user with the node convention of
 * functions/core/engines/mysql/mysql-settings.ts: `mariadbd --defaults-file=<cnf>
 * --datadir … --pid-file=<dataDir>/mysqld.pid`, the option file holding binary
 * logging, GTID strict mode, server_id and log_slave_updates, listening on the
 * host's loopback address only.
 *
 * The lab initialises the PRIMARY only (mariadb-install-db as the lab user, whose
 * OS name is the admin account, by unix_socket); the twin gets its option file and
 * directories, and its data from the engine's restoreReplica.
 *
 * Invariants: a server is signalled only by the PID in its own pid file, and only
 * while that PID runs in its data directory (same device and inode as its working
 * directory: mariadbd chdirs into its datadir); a pid file left by a dead process
 * is removed; servers never run as root.
 */
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import mysql from 'mysql2/promise';
import type { Database } from '../../../../functions/core/model.ts';
import { serverIdOf } from '../../../../functions/core/engines/mysql/mysql-arguments.ts';
import { mysqlSettings, type MysqlSettings } from '../../../../functions/core/engines/mysql/mysql-settings.ts';
import { LabError } from '../lab-error.ts';
import { ensureUserDir } from '../lab-files.ts';
import { asLabUser, clearStalePidFile, dirsUnder, serverOf } from '../lab-servers.ts';
import type { LabDatabaseNode, LabDatabaseSpec, LabNodeHost } from '../lab-database-node.ts';
import { isProcessRunning, registerProcess, unregisterProcess, waitForExit, waitForExitSync } from '../process-registry.ts';
import { runLocal, runLocalChecked } from '../run-local-command.ts';

export const MARIADB_SERVER_BIN = '/usr/sbin/mariadbd';
export const MARIADB_PID_FILE = 'mysqld.pid';
const LAB_PORT = 3306;



/** A lab node's temporary directory: next to its data directory, owned by the lab user. */
function labTmpDir(s: MysqlSettings): string {
  return `${dirname(s.dataDir)}/mariadb-tmp`;
}

/** The option file of a lab node (the twin gets the same shape with its own address: a clone's file). */
export function labOptionFile(s: MysqlSettings, address: string, port: number): string {
  return [
    '[mysqld]',
    `datadir=${s.dataDir}`,
    `socket=${s.socket}`,
    `port=${port}`,
    `bind-address=${address}`,
    `pid-file=${s.dataDir}/${MARIADB_PID_FILE}`,
    // Its own temporary directory, not the machine's shared /tmp (a temp table deleted
    // under a server there once aborted mariadb-install-db: "Error on delete of '/tmp/#sql-temptable…'").
    `tmpdir=${labTmpDir(s)}`,
    'log_bin=mysql-bin',
    'binlog_format=ROW',
    `server_id=${serverIdOf(address)}`,
    'gtid_strict_mode=ON',
    'log_slave_updates=ON',
    'skip_name_resolve=ON',
    'innodb_buffer_pool_size=256M',
    'innodb_log_file_size=256M',
    'innodb_flush_log_at_trx_commit=1',
    'sync_binlog=1',
    '',
  ].join('\n');
}




function isBackupListener(pid: number, serveScript: string): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return basename(args[0] ?? '') === 'socat' && args.some((a) => a.startsWith('EXEC:') && a.includes(`/${serveScript} `));
  } catch {
    return false;
  }
}


/**
 * Until the server answers on its socket (bounded by `timeoutMs`), or at once when the
 * started process `server` has exited (e.g. a fenced node refusing to start): the error
 * then carries the server log's last lines, rather than a timeout a minute later.
 */
async function waitForSocket(host: LabNodeHost, s: MysqlSettings, server: { readonly pid: number; readonly marker: string }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    const [argv, options] = asLabUser(['mariadb-admin', '--no-defaults', '-S', s.socket, '-u', host.user.name, '--connect-timeout=2', 'ping'], host.user, host.namespacePid);
    if ((await runLocal(argv, { ...options, timeoutMs: 5_000 })).exitCode === 0) return;
    if (!isProcessRunning(server.pid, server.marker)) throw new LabError(`MariaDB on ${s.dataDir} exited at start (PID ${server.pid}): ${tailOf(host.realPath(`${s.dataDir}.log`))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LabError(`MariaDB on ${s.dataDir} did not answer within ${timeoutMs} ms: ${tailOf(host.realPath(`${s.dataDir}.log`))}`);
}

function tailOf(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

async function start(host: LabNodeHost, database: Database): Promise<void> {
  const s = mysqlSettings(database);
  const view = host.realPath(s.dataDir);
  const running = serverOf(view, MARIADB_PID_FILE);
  if (running) return;
  clearStalePidFile(view, MARIADB_PID_FILE);
  ensureUserDir(host.realPath(dirname(s.socket)), host.user, 0o755);
  const listen = host.host.address;
  const server = [s.serverBin, `--defaults-file=${s.configFile}`, `--datadir=${s.dataDir}`, `--socket=${s.socket}`, `--port=${database.port}`, `--bind-address=${listen}`, `--pid-file=${s.dataDir}/${MARIADB_PID_FILE}`];
  // Detached (its own session), output to `<dataDir>.log`, like the engine's start_node; its PID printed (setsid execs the server in it).
  const [argv, options] = asLabUser(['sh', '-c', 'log=$1; shift; setsid "$@" >>"$log" 2>&1 </dev/null & echo "$!"', 'sh', `${s.dataDir}.log`, ...server], host.user, host.namespacePid);
  const launched = await runLocalChecked(argv, { ...options, timeoutMs: 10_000 });
  const pid = Number(launched.stdout.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new LabError(`MariaDB on ${s.dataDir}: the start printed no PID (${JSON.stringify(launched.stdout.trim())})`);
  // Its `--datadir=` argument marks the process (a recycled PID does not carry it).
  await waitForSocket(host, s, { pid, marker: `--datadir=${s.dataDir}` }, 60_000);
  const started = serverOf(view, MARIADB_PID_FILE);
  if (!started) throw new LabError(`MariaDB on ${s.dataDir} answers but its pid file names no server running there`);
  registerProcess({ pid: started.pid, label: `mariadbd ${s.dataDir}`, marker: started.identity, signal: 'SIGKILL' });
}

async function kill(host: LabNodeHost, database: Database): Promise<void> {
  const view = host.realPath(mysqlSettings(database).dataDir);
  const running = serverOf(view, MARIADB_PID_FILE);
  if (running) {
    try {
      process.kill(running.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const gone = await waitForExit(running.pid, running.identity, 10_000);
    unregisterProcess(running.pid);
    if (!gone) throw new LabError(`mariadbd ${running.pid} did not die`);
  }
  clearStalePidFile(view, MARIADB_PID_FILE);
}

function writeOptionFile(host: LabNodeHost, database: Database): void {
  const s = mysqlSettings(database);
  const dir = host.realPath(dirname(s.dataDir));
  ensureUserDir(dir, host.user, 0o750);
  ensureUserDir(host.realPath(dirname(s.socket)), host.user, 0o755);
  ensureUserDir(host.realPath(labTmpDir(s)), host.user, 0o700);
  const file = host.realPath(s.configFile);
  writeFileSync(file, labOptionFile(s, host.host.address, database.port), { mode: 0o640 });
  chownSync(file, host.user.uid, host.user.gid);
  // A fresh node: no twinstack settings from an earlier life.
  rmSync(host.realPath(`${s.dataDir}.twinstack.cnf`), { force: true });
}

export const mariadbLabNode: LabDatabaseNode = {
  engine: 'mariadb',
  defaultPort: LAB_PORT,
  requirements: [
    // Each entry: any one of its paths satisfies it.
    { paths: [MARIADB_SERVER_BIN], debianPackage: 'mariadb-server' },
    { paths: ['/usr/bin/mariadb-install-db'], debianPackage: 'mariadb-server' },
    { paths: ['/usr/bin/mariadb'], debianPackage: 'mariadb-client' },
    // A rejoin reads the old primary's binary logs to list and save its errant transactions.
    { paths: ['/usr/bin/mariadb-binlog'], debianPackage: 'mariadb-client' },
    { paths: ['/usr/bin/mariadb-backup'], debianPackage: 'mariadb-backup' },
    { paths: ['/usr/bin/mbstream'], debianPackage: 'mariadb-backup' },
    // The primary serves its physical backup to the twin through a one-shot socat listener.
    { paths: ['/usr/bin/socat'], debianPackage: 'socat' },
  ],

  databaseConfig(spec: LabDatabaseSpec) {
    const base = `${spec.mountPoint}/mysql/${spec.name}`;
    return {
      name: spec.name,
      engine: 'mariadb',
      host: spec.host,
      port: spec.port,
      // Lab hosts share one machine's loopback: replication connections come from 127.0.0.1.
      replication: { mode: spec.mode, sourceAddress: '127.0.0.1' },
      mysql: {
        dataDir: base,
        configFile: `${base}.cnf`,
        binDir: '/usr/bin',
        serverBin: MARIADB_SERVER_BIN,
        socket: `${spec.mountPoint}/run/mariadb-${spec.name}.sock`,
        adminUser: spec.user,
        listenOn: 'host-address',
        backupPort: spec.port + 1000 > 65535 ? 4444 : spec.port + 1000,
      },
    };
  },

  async initPrimary(host, database) {
    const s = mysqlSettings(database);
    const view = host.realPath(s.dataDir);
    await kill(host, database);
    rmSync(view, { recursive: true, force: true });
    rmSync(`${view}.log`, { force: true });
    rmSync(`${view}.backup`, { recursive: true, force: true });
    writeOptionFile(host, database);
    const [argv, options] = asLabUser(
      ['mariadb-install-db', `--defaults-file=${s.configFile}`, `--user=${host.user.name}`, '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve'],
      host.user,
      host.namespacePid,
    );
    await runLocalChecked(argv, { ...options, timeoutMs: 120_000 });
    await start(host, database);
  },

  async prepareTwin(host, database) {
    const s = mysqlSettings(database);
    await kill(host, database);
    const view = host.realPath(s.dataDir);
    rmSync(view, { recursive: true, force: true });
    rmSync(`${view}.backup`, { recursive: true, force: true });
    writeOptionFile(host, database);
    ensureUserDir(view, host.user, 0o750);
  },

  start,
  kill,

  dataLocation(database) {
    return mysqlSettings(database).dataDir;
  },

  stopAllUnder(dir) {
    for (const backupDir of dirsUnder(dir, (files, at) => at.endsWith('.backup') && files.has('listener.pid'))) {
      const pid = Number(readFileSync(join(backupDir, 'listener.pid'), 'utf8').trim());
      // Proven by its pid file AND its command line (socat EXEC naming this directory's serve script, as the host sees it).
      if (isBackupListener(pid, `${basename(backupDir)}/serve.sh`)) {
        process.kill(pid, 'SIGKILL');
        waitForExitSync(pid, { dev: -1, ino: -1 }, 5_000);
      }
      rmSync(join(backupDir, 'listener.pid'), { force: true });
    }
    for (const dataDir of dirsUnder(dir, (files) => files.has(MARIADB_PID_FILE))) {
      const running = serverOf(dataDir, MARIADB_PID_FILE);
      if (running) {
        try {
          process.kill(running.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        waitForExitSync(running.pid, running.identity, 10_000);
        unregisterProcess(running.pid);
      }
      clearStalePidFile(dataDir, MARIADB_PID_FILE);
    }
  },

  async readWrittenIds(url) {
    const connection = await mysql.createConnection({ uri: url, connectTimeout: 5_000 });
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT id FROM drill_writes ORDER BY id');
      return rows.map((r) => Number(r.id));
    } finally {
      await connection.end();
    }
  },
};
