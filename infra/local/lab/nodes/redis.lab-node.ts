/**
 * Redis servers of the lab, run as the lab user inside the lab host's mount
 * namespace, each from its own config file with the node convention of
 * functions/core/engines/redis/redis-settings.ts:
 *
 *   <mountPoint>/redis/<database>/            the server's `dir` (0700): dump.rdb, markers,
 *                                             twinstack.admin-auth, redis.log, redis.pid
 *   <mountPoint>/redis/<database>/redis.conf  its config file (0600; CONFIG REWRITE writes it)
 *
 * The server binds the host's loopback address only, `daemonize yes` with a pid file.
 * No RDB snapshots and no AOF (`save ""`, `appendonly no`): lab servers restart empty
 * after a kill, which is what a crashed cache-only Redis does; replication and the
 * fence (in the config file) do not depend on it.
 *
 * The twin: twinstack's restoreReplica is a replication full sync INTO A RUNNING
 * server (Redis has no offline restore; twinstack never starts redis-server on a real
 * host, whose service manager does). So `prepareTwin` writes the twin's config and
 * starts an EMPTY server, standing in for the redis-server a real twin host (a clone
 * of the primary's) already runs. It deviates from "starts nothing" in
 * lab-database-node.ts for that reason.
 *
 * Invariants: a server is signalled only by the PID in its own pid file, and only
 * while that PID runs in its data directory (Redis chdir()s to `dir`: same device and
 * inode as the process's working directory); a pid file left by a dead process is
 * removed; started servers are registered for stop-on-exit.
 */
import { chmodSync, chownSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createClient } from 'redis';
import type { Database } from '../../../../functions/core/model.ts';
import { redisSettings } from '../../../../functions/core/engines/redis/redis-settings.ts';
import type { LabDatabaseNode, LabDatabaseSpec, LabNodeHost } from '../lab-database-node.ts';
import { LabError } from '../lab-error.ts';
import { assertSafePath, ensureUserDir } from '../lab-files.ts';
import { asLabUser, clearStalePidFile, dirsUnder, serverOf } from '../lab-servers.ts';
import { registerProcess, signalProcess, unregisterProcess, waitForExit, waitForExitSync } from '../process-registry.ts';
import { runLocalChecked } from '../run-local-command.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const REDIS_LAB_PORT = 16379;
const PID_FILE = 'redis.pid';
const CONFIG_FILE = 'redis.conf';


/** The config file the lab gives a server (the engine reads it back through INFO config_file). */
export function redisLabConfig(options: { readonly address: string; readonly port: number; readonly dataDir: string }): string {
  const { address, port, dataDir } = options;
  return [
    `port ${port}`,
    `bind ${address}`,
    `dir ${dataDir}`,
    `logfile ${dataDir}/redis.log`,
    `pidfile ${dataDir}/${PID_FILE}`,
    'daemonize yes',
    'save ""',
    'appendonly no',
    'repl-diskless-sync yes',
    '',
  ].join('\n');
}





/** SIGKILL the server of `view` (a path of this process) and wait until it is gone. */
async function killAt(view: string): Promise<void> {
  const running = serverOf(view, PID_FILE);
  if (running) {
    signalProcess(running.pid, running.identity, 'SIGKILL');
    const gone = await waitForExit(running.pid, running.identity, 10_000);
    unregisterProcess(running.pid);
    if (!gone) throw new LabError(`redis-server ${running.pid} in ${view} did not stop`);
  }
  clearStalePidFile(view, PID_FILE);
}


/** Start the server of an existing data directory (a running one is kept) and register it. */
async function startAt(host: LabNodeHost, database: Database): Promise<void> {
  const { dataDir, configFile } = redisSettings(database);
  assertSafePath('dataDir', dataDir);
  const view = host.realPath(dataDir);
  if (serverOf(view, PID_FILE)) return;
  clearStalePidFile(view, PID_FILE);
  if (!existsSync(host.realPath(configFile))) throw new LabError(`no Redis config file ${configFile} on ${host.host.name}: initPrimary/prepareTwin first`);
  const [argv, options] = asLabUser([REDIS_SERVER, configFile], host.user, host.namespacePid);
  await runLocalChecked(argv, { ...options, timeoutMs: 30_000 });
  // daemonize: the pid file appears once the server runs; bounded wait, then the PID is proven by its cwd.
  const deadline = Date.now() + 10_000;
  let started = serverOf(view, PID_FILE);
  while (!started && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    started = serverOf(view, PID_FILE);
  }
  if (!started) throw new LabError(`redis-server on ${host.host.name} (${configFile}) reported started but no server runs in ${dataDir}: see ${dataDir}/redis.log`);
  registerProcess({ pid: started.pid, label: `redis ${dataDir}`, marker: started.identity, signal: 'SIGKILL' });
}

/** A fresh, empty server of `database` on `host`: anything there before is killed and removed. */
async function initFresh(host: LabNodeHost, database: Database): Promise<void> {
  const { dataDir, configFile } = redisSettings(database);
  assertSafePath('dataDir', dataDir);
  assertSafePath('configFile', configFile);
  const view = host.realPath(dataDir);
  await killAt(view);
  rmSync(view, { recursive: true, force: true });
  ensureUserDir(host.realPath(dataDir.slice(0, dataDir.lastIndexOf('/'))), host.user, 0o750);
  ensureUserDir(view, host.user, 0o700);
  const configView = host.realPath(configFile);
  writeFileSync(configView, redisLabConfig({ address: host.host.address, port: database.port, dataDir }), { mode: 0o600 });
  chownSync(configView, host.user.uid, host.user.gid);
  chmodSync(configView, 0o600);
  await startAt(host, database);
}

/** The ids in `drill_writes` (a set or a sorted set of decimal ids), through the app's URL. */
async function readWrittenIds(url: string): Promise<number[]> {
  const client = createClient({ url, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const type = await client.type('drill_writes');
    const members = type === 'zset' ? await client.zRange('drill_writes', 0, -1) : type === 'set' ? await client.sMembers('drill_writes') : [];
    if (type !== 'zset' && type !== 'set' && type !== 'none') throw new LabError(`drill_writes is a ${type}, not a set or sorted set`);
    return members.map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  } finally {
    await client.quit().catch(() => client.destroy());
  }
}

export const redisLabNode: LabDatabaseNode = {
  engine: 'redis',
  defaultPort: REDIS_LAB_PORT,
  requirements: [
    { paths: [REDIS_SERVER], debianPackage: 'redis-server' },
    { paths: ['/usr/bin/redis-cli'], debianPackage: 'redis-tools' },
  ],

  databaseConfig(spec: LabDatabaseSpec) {
    const dataDir = `${spec.mountPoint}/redis/${spec.name}`;
    return {
      name: spec.name,
      engine: 'redis',
      host: spec.host,
      port: spec.port,
      replication: { mode: spec.mode },
      redis: { dataDir, configFile: `${dataDir}/${CONFIG_FILE}`, binDir: '/usr/bin', listenOn: 'host-address' },
    };
  },

  initPrimary: initFresh,

  // An empty running server: the full sync of restoreReplica needs one (see the file comment).
  prepareTwin: initFresh,

  start: startAt,

  async kill(host, database) {
    await killAt(host.realPath(redisSettings(database).dataDir));
  },

  dataLocation(database) {
    return redisSettings(database).dataDir;
  },

  stopAllUnder(dir) {
    for (const view of dirsUnder(dir, (files) => files.has(PID_FILE) && files.has(CONFIG_FILE))) {
      const running = serverOf(view, PID_FILE);
      if (running) {
        signalProcess(running.pid, running.identity, 'SIGKILL');
        waitForExitSync(running.pid, running.identity, 5_000);
        unregisterProcess(running.pid);
      }
      clearStalePidFile(view, PID_FILE);
    }
  },

  readWrittenIds,
};
