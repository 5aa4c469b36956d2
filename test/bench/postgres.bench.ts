/**
 * Benchmark: twinstack's PostgreSQL operations against the raw tools, measured on
 * the same run, on the same lab (two loopback hosts with sshd in private mount
 * namespaces, PostgreSQL 15 run as the lab user). It asserts nothing about time.
 *
 *   npx tsx test/bench/postgres.bench.ts [rounds=5] [pgbench-scale=5]   (as root: it starts sshd; scale 70 ≈ 1 GiB)
 *
 * Each round measures:
 * - restore: engine.restoreReplica over SSH (stop, wipe, pg_basebackup -R, start,
 *   wait ready) vs a raw `pg_basebackup -X stream -c fast` into a scratch directory;
 * - promote: engine.promote over SSH (pg_promote, reset sync names, verify
 *   writable) vs a raw `pg_ctl promote -w` on an equivalent replica (the twin is
 *   restored again, untimed, in between);
 * - status: engine.status + parseStatus over a reused SSH connection vs a raw
 *   local `psql -c 'select 1'`; plus SSH connect (first `true` on a fresh shell)
 *   and a `true` over a reused connection.
 *
 * Own lab root, mount point and addresses (127.0.51.1 primary, 127.0.52.1 twin):
 * never the drill's or the integration tests'. Everything started is stopped at
 * the end, on failure and on Ctrl-C.
 */
import type { PostgresDatabase } from '../../functions/core/engines/postgres/postgres-settings.ts';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { DatabaseSecrets, EngineTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { postgresEngine } from '../../functions/core/engines/postgres/postgres.engine.ts';
import type { Host } from '../../functions/core/model.ts';
import type { RemoteCommand } from '../../functions/core/command.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import { runLocalChecked, type LocalCommandOptions } from '../../infra/local/lab/run-local-command.ts';
import { POSTGRES_BIN_DIR } from '../../infra/local/lab/nodes/postgres.lab-node.ts';
import { checkSystemRequirements, INSTALL_SCRIPT } from '../../infra/local/lab/system-requirements.ts';

const ROUNDS = Math.min(50, Math.max(1, Math.floor(Number(process.argv[2] ?? 5)) || 5));
/** Samples per round of the fast operations (status, psql, ssh `true`). */
const FAST_SAMPLES = 5;
/** pgbench scale of the primary's data (1 ≈ 15 MB; 70 ≈ 1 GiB). */
const PGBENCH_SCALE = Math.min(1000, Math.max(1, Math.floor(Number(process.argv[3] ?? 5)) || 5));

const LAB_ROOT = '/var/tmp/twinstack-bench';
const MOUNT_POINT = '/srv/twinstack-bench';
const PRIMARY = { name: 'primary', address: '127.0.51.1' } as const;
const TWIN = { name: 'twin', address: '127.0.52.1' } as const;
const PG_PORT = 25432;
const REPLICA_NAME = 'twin_main';
const SECRETS: DatabaseSecrets = { replicationPassword: `bench-repl-${process.pid}`, appPassword: `bench-app-${process.pid}` };

type RowKey = 'restoreTwinstack' | 'restoreRaw' | 'promoteTwinstack' | 'promoteRaw' | 'sshConnect' | 'sshReused' | 'statusTwinstack' | 'statusRaw';

const ROWS: readonly { key: RowKey; label: string; meaning: string }[] = [
  { key: 'restoreTwinstack', label: 'restore  twinstack', meaning: 'engine.restoreReplica over SSH: stop twin, wipe, pg_basebackup -R -X stream -c fast, start, wait ready' },
  { key: 'restoreRaw', label: 'restore  raw', meaning: 'pg_basebackup -X stream -c fast as the lab user into a scratch dir on the twin disk (no SSH, no start)' },
  { key: 'promoteTwinstack', label: 'promote  twinstack', meaning: 'engine.promote over a reused SSH connection: pg_promote(wait), reset sync names, poll until writable' },
  { key: 'promoteRaw', label: 'promote  raw', meaning: 'pg_ctl promote -w run locally as the lab user on an equivalent replica' },
  { key: 'sshConnect', label: 'ssh      connect', meaning: 'first `true` on a fresh Ssh2RemoteShell: TCP + handshake + auth + exec' },
  { key: 'sshReused', label: 'ssh      reused', meaning: '`true` over an already open SSH connection: the per-command SSH cost' },
  { key: 'statusTwinstack', label: 'status   twinstack', meaning: 'engine.status + parseStatus of the primary over a reused SSH connection' },
  { key: 'statusRaw', label: 'status   raw', meaning: "psql -XAtq -c 'select 1' locally over the primary's unix socket" },
];

const samples: Record<RowKey, number[]> = {
  restoreTwinstack: [],
  restoreRaw: [],
  promoteTwinstack: [],
  promoteRaw: [],
  sshConnect: [],
  sshReused: [],
  statusTwinstack: [],
  statusRaw: [],
};

function databaseFor(superuser: string): PostgresDatabase {
  return {
    name: 'main',
    engine: 'postgres',
    host: 'db',
    port: PG_PORT,
    // Async: no synchronous replica to wait for while the twin is being re-created.
    replication: { mode: 'async', maxLag: 16 * 1024 * 1024 },
    postgres: {
      dataDir: `${MOUNT_POINT}/pg/main`,
      binDir: POSTGRES_BIN_DIR,
      socketDir: `${MOUNT_POINT}/run`,
      superuser,
      database: 'app',
      appUser: 'app',
      replicationUser: 'twinstack_replicator',
      listenOn: 'host-address',
    },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
function median(xs: readonly number[]): number {
  const s = sorted(xs);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
const round1 = (x: number): number => Math.round(x * 10) / 10;
const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-').padStart(9);

function assertCanRun(): void {
  if (process.getuid?.() !== 0) throw new Error('the bench starts sshd and PostgreSQL as a dedicated user: run it as root');
  const report = checkSystemRequirements();
  if (report.missing.length > 0) throw new Error(`missing system packages (${report.missing.join(', ')}): run as root \`sh ${INSTALL_SCRIPT}\` once`);
}

const log = (line: string): void => console.log(`[bench] ${line}`);

async function main(): Promise<void> {
  assertCanRun();
  let lab: Lab | undefined;
  let shell: Ssh2RemoteShell | undefined;
  let scratchDir: string | undefined;
  let cleaning: Promise<void> | undefined;
  let interrupted = false;
  /** Idempotent: close SSH, remove the scratch dir, stop every sshd and postmaster, remove the lab's data. */
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await shell?.close().catch(() => undefined);
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
      await lab?.destroy({ removeData: true });
      if (interrupted && lab) {
        // A remote pg_basebackup cut off mid-copy may write a few more files before it notices its
        // primary is gone: give it a moment, then remove the hosts' files again (the processes are gone).
        await new Promise((r) => setTimeout(r, 1_000));
        for (const host of lab.hosts) rmSync(host.paths.srvDir, { recursive: true, force: true });
      }
    })());

  // Our own SIGINT/SIGTERM handler (the lab's handlers have already signalled its processes synchronously).
  const onSignal = (signal: NodeJS.Signals): void => {
    // tsx relays the terminal's SIGINT to this process, which got it from the terminal too: act once.
    if (interrupted) return;
    interrupted = true;
    console.error(`[bench] ${signal}: stopping the lab`);
    setTimeout(() => process.exit(130), 15_000).unref();
    void cleanup()
      .then(() => console.error('[bench] lab stopped'))
      .catch((error: unknown) => console.error(`[bench] cleanup failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  const checkInterrupted = (): void => {
    if (interrupted) throw new Error('interrupted');
  };

  try {
    const started = performance.now();
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [PRIMARY, TWIN], install: false, log });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const user = lab.user;
    const primary: LabHost = lab.host(PRIMARY.name);
    const twin: LabHost = lab.host(TWIN.name);
    const database = databaseFor(user.name);
    const pg = database.postgres;
    const onPrimary: EngineTarget = { database, host: primary.host };
    const onTwin: RestoreTarget = { database, host: twin.host, primaryHost: primary.host, replicaName: REPLICA_NAME };
    const asLabUser = (extraEnv: Record<string, string> = {}, timeoutMs = 300_000): LocalCommandOptions => ({
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: '/', USER: user.name, LOGNAME: user.name, ...extraEnv },
      timeoutMs,
    });

    await lab.initPrimary(PRIMARY.name, database);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    const ssh = shell;
    const on = (host: Host, command: RemoteCommand) => runChecked(ssh, host, command);
    const psqlOn = (host: Host, sql: string, db = 'postgres'): RemoteCommand => ({
      description: `psql on ${host.name}`,
      argv: [`${pg.binDir}/psql`, '-h', pg.socketDir, '-p', String(PG_PORT), '-U', pg.superuser, '-d', db, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      timeoutMs: 30_000,
    });

    await on(primary.host, postgresEngine.preparePrimary({ ...onPrimary, replicaName: REPLICA_NAME, replicaAddress: twin.host.address }, SECRETS));
    log(`loading data: pgbench -i -s ${PGBENCH_SCALE} into database ${pg.database}`);
    await on(primary.host, {
      description: 'pgbench -i',
      argv: [`${pg.binDir}/pgbench`, '-i', '-q', '-s', String(PGBENCH_SCALE), '-h', pg.socketDir, '-p', String(PG_PORT), '-U', pg.superuser, pg.database],
      timeoutMs: 300_000,
    });
    await on(primary.host, psqlOn(primary.host, 'CHECKPOINT'));
    const sizes = (await on(primary.host, psqlOn(primary.host, "SELECT pg_database_size('app') || ' ' || (SELECT sum(pg_database_size(datname)) FROM pg_database)"))).stdout.trim().split(' ');
    const appBytes = Number(sizes[0]);
    const clusterBytes = Number(sizes[1]);
    const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;
    log(`database size: app ${mib(appBytes)}, all databases ${mib(clusterBytes)} (what a base backup copies, plus WAL)`);

    const twinDataReal = twin.realPath(pg.dataDir);
    const primarySocketReal = primary.realPath(pg.socketDir);
    scratchDir = twin.realPath(`${MOUNT_POINT}/bench-scratch`);
    const scratch = scratchDir;

    const twinstackRestore = () => on(twin.host, postgresEngine.restoreReplica(onTwin, SECRETS));
    const twinstackPromote = async () => {
      const result = await on(twin.host, postgresEngine.promote(onTwin));
      if (!result.stdout.includes('"promoted":true')) throw new Error(`twinstack promote did not promote: ${result.stdout.trim()}`);
    };
    const rawBasebackup = async () => {
      rmSync(scratch, { recursive: true, force: true });
      await runLocalChecked(
        [
          `${pg.binDir}/pg_basebackup`,
          '-D', scratch,
          '-d', `host=${primary.host.address} port=${PG_PORT} user=${pg.replicationUser} application_name=bench_raw connect_timeout=10`,
          '-X', 'stream', '-c', 'fast', '-w',
        ],
        asLabUser({ PGPASSWORD: SECRETS.replicationPassword }),
      );
    };
    const rawPromote = () => runLocalChecked([`${pg.binDir}/pg_ctl`, 'promote', '-w', '-t', '60', '-D', twinDataReal], asLabUser({}, 90_000));
    const rawSelect = () =>
      runLocalChecked([`${pg.binDir}/psql`, '-h', primarySocketReal, '-p', String(PG_PORT), '-U', pg.superuser, '-d', 'postgres', '-XAtq', '-c', 'select 1'], asLabUser({}, 30_000));
    const twinstackStatus = async () => {
      const status = postgresEngine.parseStatus(await on(primary.host, postgresEngine.status(onPrimary)));
      if (status.role !== 'primary') throw new Error(`unexpected status of the primary: ${JSON.stringify(status)}`);
    };
    const trueCommand: RemoteCommand = { description: 'true', argv: ['true'], timeoutMs: 10_000 };

    // Warm-up (untimed): first restore (nothing to stop yet), page cache, psql, SSH connection.
    log('warm-up round (not measured)');
    await twinstackRestore();
    await rawBasebackup();
    rmSync(scratch, { recursive: true, force: true });
    await rawPromote();
    await twinstackStatus();
    await rawSelect();
    await on(twin.host, trueCommand);

    for (let round = 1; round <= ROUNDS; round++) {
      checkInterrupted();
      // Restore: the twin runs (a promoted primary of the last round) and is stopped, wiped, restored.
      // Alternate which one goes first so neither always meets a warmer cache.
      const restoreTwinstack = async () => samples.restoreTwinstack.push(await timed(twinstackRestore));
      const restoreRaw = async () => {
        samples.restoreRaw.push(await timed(rawBasebackup));
        rmSync(scratch, { recursive: true, force: true });
      };
      if (round % 2 === 1) {
        await restoreTwinstack();
        await restoreRaw();
      } else {
        await restoreRaw();
        await restoreTwinstack();
      }
      checkInterrupted();

      // Fast operations: SSH connect, reused SSH, status vs psql.
      const fresh = new Ssh2RemoteShell({ privateKey: lab.privateKey });
      try {
        samples.sshConnect.push(await timed(() => runChecked(fresh, twin.host, trueCommand)));
      } finally {
        await fresh.close();
      }
      for (let i = 0; i < FAST_SAMPLES; i++) {
        samples.sshReused.push(await timed(() => on(twin.host, trueCommand)));
        samples.statusTwinstack.push(await timed(twinstackStatus));
        samples.statusRaw.push(await timed(rawSelect));
      }
      checkInterrupted();

      // Promote: twinstack on the fresh replica; then restore again (untimed) and promote raw.
      samples.promoteTwinstack.push(await timed(twinstackPromote));
      await twinstackRestore();
      samples.promoteRaw.push(await timed(rawPromote));

      const last = (key: RowKey): string => (samples[key].at(-1) ?? Number.NaN).toFixed(0);
      log(
        `round ${round}/${ROUNDS}: restore ${last('restoreTwinstack')} vs ${last('restoreRaw')} ms, promote ${last('promoteTwinstack')} vs ${last('promoteRaw')} ms, ` +
          `ssh connect ${last('sshConnect')} ms`,
      );
    }

    // Report.
    const stats = Object.fromEntries(
      ROWS.map(({ key }) => {
        const xs = samples[key];
        return [key, { n: xs.length, medianMs: round1(median(xs)), minMs: round1(Math.min(...xs)), maxMs: round1(Math.max(...xs)) }];
      }),
    ) as Record<RowKey, { n: number; medianMs: number; minMs: number; maxMs: number }>;
    const overhead = {
      restoreMs: round1(stats.restoreTwinstack.medianMs - stats.restoreRaw.medianMs),
      promoteMs: round1(stats.promoteTwinstack.medianMs - stats.promoteRaw.medianMs),
      statusMs: round1(stats.statusTwinstack.medianMs - stats.statusRaw.medianMs),
    };

    console.log('');
    console.log(`postgres bench: ${ROUNDS} rounds (+1 warm-up), PostgreSQL 15, pgbench scale ${PGBENCH_SCALE}: app ${mib(appBytes)}, cluster ${mib(clusterBytes)}; wall-clock ms`);
    console.log(`${'operation'.padEnd(20)}${'n'.padStart(4)}${'median'.padStart(9)}${'min'.padStart(9)}${'max'.padStart(9)}  meaning`);
    for (const { key, label, meaning } of ROWS) {
      const s = stats[key];
      console.log(`${label.padEnd(20)}${String(s.n).padStart(4)}${fmt(s.medianMs)}${fmt(s.minMs)}${fmt(s.maxMs)}  ${meaning}`);
    }
    console.log('');
    console.log(`twinstack overhead (median difference): restore ${overhead.restoreMs} ms (SSH, stop/wipe, start + wait ready), promote ${overhead.promoteMs} ms (SSH, psql round trips, writable check), status ${overhead.statusMs} ms (SSH exec + status script)`);
    console.log(
      JSON.stringify({
        bench: 'postgres',
        rounds: ROUNDS,
        pgbenchScale: PGBENCH_SCALE,
        appDatabaseBytes: appBytes,
        clusterBytes,
        rows: stats,
        overheadMs: overhead,
        totalMs: Math.round(performance.now() - started),
      }),
    );
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (error) {
  console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
