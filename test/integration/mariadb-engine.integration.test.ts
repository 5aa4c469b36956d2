/**
 * The MariaDB engine against two real mariadbd over real SSH: two lab hosts of
 * its own (root, mount point, addresses and port apart from every other lab),
 * each seeing its own files at the same paths (a primary and its clone). One
 * ordered scenario: prepare → restore → replicate → errant GTID → fence → promote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../functions/core/command.ts';
import { decideFailover } from '../../functions/core/decisions/decide-failover.ts';
import type { DatabaseSecrets, EngineTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { mariadbEngine } from '../../functions/core/engines/mysql/mysql.engine.ts';
import { mysqlSettingsSchema } from '../../functions/core/engines/mysql/mysql-settings.ts';
import { parseMysqlFence, parseMysqlPromote, parseMysqlStartReplication, type MysqlDatabaseStatus } from '../../functions/core/engines/mysql/parse-mysql-status.ts';
import type { Database, Host } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import type { LabNodeHost } from '../../infra/local/lab/lab-database-node.ts';
import { mariadbLabNode } from '../../infra/local/lab/nodes/mariadb.lab-node.ts';
import { assertLabCanRun } from './it-lab.fixture.ts';
import { eventually } from './eventually.ts';

const LAB_ROOT = '/var/tmp/twinstack-it-mariadb';
const MOUNT_POINT = '/srv/twinstack-it-mariadb';
const PRIMARY = { name: 'primary', address: '127.0.21.1' } as const;
const TWIN = { name: 'twin', address: '127.0.22.1' } as const;
const PORT = 13306;
const TWIN_SOURCE_ADDRESS = '127.0.0.1';
const SECRETS: DatabaseSecrets = {
  replicationPassword: `repl-'q' "d" $x \\ % ${process.pid}`,
  appPassword: `app-'q' "d" $y \\ % ${process.pid}`,
};
/** Set MARIADB_IT_RECORD=dir to save the raw status outputs as unit-test fixtures. */
const RECORD_DIR = process.env.MARIADB_IT_RECORD;

function assertMariadbInstalled(): void {
  for (const bin of ['/usr/sbin/mariadbd', '/usr/bin/mariadb', '/usr/bin/mariadb-backup', '/usr/bin/mbstream', '/usr/bin/mariadb-install-db', '/usr/bin/socat']) {
    try {
      readFileSync(bin);
    } catch {
      throw new Error(`the MariaDB integration tests need ${bin}: run as root \`apt-get install -y mariadb-server mariadb-backup socat\``);
    }
  }
}


async function rowCount(c: mysql.Connection): Promise<number> {
  const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM drill_writes');
  return Number(rows[0]?.n);
}

describe('mariadbEngine over real SSH', () => {
  let lab: Lab;
  let shell: Ssh2RemoteShell;
  let primary: LabHost;
  let twin: LabHost;
  let database: Database;
  let onPrimary: EngineTarget;
  let onTwin: RestoreTarget;
  let replicaName: string;

  const nodeHost = (h: LabHost): LabNodeHost => ({ host: h.host, namespacePid: h.sshdPid, user: lab.user, mountPoint: MOUNT_POINT, realPath: (path) => h.realPath(path) });
  const run = (target: EngineTarget, command: RemoteCommand) => runChecked(shell, target.host, command);
  const status = async (target: EngineTarget, record?: string): Promise<MysqlDatabaseStatus> => {
    const result = await run(target, mariadbEngine.status(target));
    if (RECORD_DIR && record) writeFileSync(`${RECORD_DIR}/${record}.json`, JSON.stringify({ exitCode: result.exitCode, stdout: result.stdout, stderr: '', durationMs: 0 }, null, 2));
    const parsed: MysqlDatabaseStatus = mariadbEngine.parseStatus(result);
    return parsed;
  };
  // Loopback connections leave from 127.0.0.1 whatever address they go to, and MariaDB's
  // replication client cannot bind a source address (no MASTER_BIND): the primary sees the twin as 127.0.0.1.
  const prepare = () => run(onPrimary, mariadbEngine.preparePrimary({ ...onPrimary, replicaName, replicaAddress: TWIN_SOURCE_ADDRESS }, SECRETS));
  /** SQL as the admin user (ALL PRIVILEGES, unix_socket) over the host's socket. */
  const admin = async (target: EngineTarget, sql: string): Promise<string> => {
    const s = (target.database as unknown as { mysql: { socket: string } }).mysql;
    const result = await runChecked(shell, target.host, {
      description: 'admin sql',
      argv: ['mariadb', '--no-defaults', '-S', s.socket, '-u', lab.user.name, '-N', '-B', '-e', sql],
      timeoutMs: 20_000,
    });
    return result.stdout.trim();
  };
  const adminMay = async (target: EngineTarget, sql: string) => {
    const s = (target.database as unknown as { mysql: { socket: string } }).mysql;
    return shell.exec(target.host, { description: 'admin sql', argv: ['mariadb', '--no-defaults', '-S', s.socket, '-u', lab.user.name, '-N', '-B', '-e', sql], timeoutMs: 20_000 });
  };
  const app = async <T>(host: Host, fn: (c: mysql.Connection) => Promise<T>): Promise<T> => {
    const c = await mysql.createConnection({ host: host.address, port: PORT, user: 'app', password: SECRETS.appPassword, database: 'app', connectTimeout: 5_000 });
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    assertLabCanRun();
    assertMariadbInstalled();
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [PRIMARY, TWIN], install: false });
    mariadbLabNode.stopAllUnder(LAB_ROOT);
    primary = lab.host(PRIMARY.name);
    twin = lab.host(TWIN.name);
    const entry = mariadbLabNode.databaseConfig({ name: 'main', host: 'db', port: PORT, mode: 'sync', mountPoint: MOUNT_POINT, user: lab.user.name });
    database = {
      ...(entry as object),
      replication: { mode: 'sync', maxLag: 100 },
      mysql: mysqlSettingsSchema('mariadb').parse(entry.mysql),
    } as unknown as Database;
    await mariadbLabNode.initPrimary(nodeHost(primary), database);
    await mariadbLabNode.prepareTwin(nodeHost(twin), database);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    onPrimary = { database, host: primary.host };
    replicaName = mariadbEngine.replicaName(database, 'twin', twin.host);
    onTwin = { database, host: twin.host, primaryHost: primary.host, replicaName };
  });

  afterAll(async () => {
    await shell?.close();
    if (process.env.MARIADB_IT_KEEP) return;
    if (lab) mariadbLabNode.stopAllUnder(LAB_ROOT);
    await lab?.destroy({ removeData: true });
  });

  it('prepares the primary: users, database, semi-sync; it stays a writable primary', async () => {
    // Act
    const out = await prepare();

    // Assess
    expect(out.stdout).toMatch(/semi-synchronous replication on \(AFTER_SYNC/);
    const s = await status(onPrimary, 'mariadb-primary-fresh');
    expect(s).toMatchObject({ role: 'primary', writable: true, fenced: false, promotedByTwinstack: false, replicas: [] });
    expect(s.version).toMatch(/MariaDB/);
    expect(await admin(onPrimary, 'SELECT @@rpl_semi_sync_master_wait_point')).toBe('AFTER_SYNC');
    expect(await app(primary.host, async (c) => String((await c.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS u'))[0][0]?.u))).toBe('app@%');
  });

  it('prepares the primary a second time without changing anything', async () => {
    // Prepare
    const users = await admin(onPrimary, 'SELECT COUNT(*) FROM mysql.user');
    const started = await admin(onPrimary, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'");

    // Act
    const again = await prepare();

    // Assess
    expect(again.stdout, again.stdout).toMatch(/backup listener already waits/);
    expect(await admin(onPrimary, 'SELECT COUNT(*) FROM mysql.user')).toBe(users);
    expect(Number(await admin(onPrimary, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'"))).toBeGreaterThanOrEqual(Number(started));
  });

  it('restores the twin from a physical backup stream and replicates by GTID, caught up exactly', async () => {
    // Prepare: data, and a privileged user with a specific grant that must arrive intact
    await app(primary.host, async (c) => {
      await c.query('CREATE TABLE drill_writes (id INT PRIMARY KEY, note VARCHAR(64)) ENGINE=InnoDB');
      await c.query("INSERT INTO drill_writes VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    });
    await admin(onPrimary, "CREATE USER ops@'%' IDENTIFIED BY 'ops-pw'; GRANT ALL PRIVILEGES ON *.* TO ops@'%' WITH GRANT OPTION; CREATE USER reporter@'10.0.0.0/255.0.0.0' IDENTIFIED BY 'r'; GRANT SELECT ON app.drill_writes TO reporter@'10.0.0.0/255.0.0.0'");

    // Act
    const restore = await run(onTwin, mariadbEngine.restoreReplica(onTwin, SECRETS));
    const started = parseMysqlStartReplication(await run(onTwin, mariadbEngine.startReplication(onTwin, SECRETS)));

    // Assess
    expect(restore.stdout).toMatch(/twinstack-progress \d+ \d+/);
    expect(started.caughtUp).toBe(true);
    const replica = await status(onTwin, 'mariadb-replica-streaming');
    expect(replica).toMatchObject({ role: 'replica', writable: false, streaming: true, fenced: false, upstream: `${PRIMARY.address}:${PORT}`, errantTransactions: [] });
    expect(replica.secondsBehind).toBe(0);
    // Semi-sync fell back to async while no replica acknowledged (the writes above waited its timeout):
    // attached but not acknowledged yet, the twin is reported asynchronous, honestly.
    const fallenBack = await status(onPrimary, 'mariadb-primary-semisync-fallen-back');
    expect(fallenBack.replicas).toEqual([{ name: replicaName, streaming: true, synchronous: false }]);
    // The next commit the twin acknowledges switches semi-sync back on.
    await admin(onPrimary, 'CREATE TABLE app.probe (id INT PRIMARY KEY) ENGINE=InnoDB');
    const attached = await eventually('the primary lists the twin as a synchronous replica', async () => {
      const p = await status(onPrimary, 'mariadb-primary-with-sync-replica');
      const r = p.replicas?.find((x) => x.name === replicaName);
      return r?.synchronous ? { p, r } : undefined;
    });
    expect(attached.r).toMatchObject({ name: `${TWIN.address}:${PORT}`, streaming: true, synchronous: true });
    const applied = await eventually('the twin applied the probe too', async () => {
      const r = await status(onTwin);
      return mariadbEngine.positionDiff(attached.p.position!, r.position!) === 0 ? r : undefined;
    });
    expect(mariadbEngine.positionDiff(attached.p.position!, replica.position!)).toBe(1);
    expect(mariadbEngine.compatibilityProblems(attached.p, applied)).toEqual([]);
  });

  it('restores users and privileges intact on the twin', async () => {
    // Act
    const grants = await Promise.all([onPrimary, onTwin].map((t) => admin(t, "SHOW GRANTS FOR ops@'%'; SHOW GRANTS FOR reporter@'10.0.0.0/255.0.0.0'; SHOW GRANTS FOR app@'%'")));

    // Assess
    expect(grants[1]).toBe(grants[0]);
    expect(grants[1]).toMatch(/GRANT SELECT ON `app`.`drill_writes` TO `reporter`/);
    expect(await app(twin.host, rowCount)).toBe(3);
  });

  it('counts lag in transactions and reports a replica that stopped streaming', async () => {
    // Prepare
    await admin(onTwin, 'STOP SLAVE SQL_THREAD');

    // Act
    await app(primary.host, async (c) => {
      for (const id of [4, 5, 6]) await c.query('INSERT INTO drill_writes VALUES (?, ?)', [id, 'lagging']);
    });
    const p = await status(onPrimary);
    const r = await eventually('the twin received the three', async () => {
      const s = await status(onTwin, 'mariadb-replica-sql-stopped');
      return s.receivedPosition && mariadbEngine.positionDiff(p.position!, s.receivedPosition) === 0 ? s : undefined;
    });

    // Assess
    expect(r.streaming).toBe(false);
    expect(mariadbEngine.positionDiff(p.position!, r.position!)).toBe(3);
    const resumed = parseMysqlStartReplication(await run(onTwin, mariadbEngine.startReplication(onTwin, SECRETS)));
    expect(resumed).toMatchObject({ started: true, caughtUp: true });
  });

  it('names errant GTIDs of a stray write on the twin, and an unforced failover holds on them', async () => {
    // Prepare: the admin bypasses read_only (READ ONLY ADMIN) and writes on the replica
    await admin(onTwin, "INSERT INTO app.drill_writes VALUES (100, 'stray')");
    const twinId = await admin(onTwin, 'SELECT @@server_id');

    // Act
    const r = await status(onTwin, 'mariadb-replica-errant');
    const p = await status(onPrimary);
    const decision = decideFailover(
      {
        group: 'it',
        observedAt: new Date().toISOString(),
        activeStack: 'primary',
        primaryHealth: { healthy: false, detail: 'test: primary declared down' },
        twinHealth: { healthy: true, detail: 'test' },
        databases: [{ name: 'main', mode: 'async', maxLag: 100, lagUnit: mariadbEngine.lagUnit, replicaName: 'twin', twin: r, primaryError: 'HOST_UNREACHABLE: test', primaryErrorKind: 'unreachable', lag: 0, lagBound: 'lower-bound', lastPrimaryObservation: { at: new Date().toISOString(), position: p.position ?? '', syncReplicas: [] } }],
        cooldownSeconds: 0,
        maxObservationAgeSeconds: 60,
        force: false,
      },
      new Date(),
    );

    // Assess: named in the status and the hold; not an incompatibility (a restore clears it, next test)
    expect(r.errantTransactions).toEqual([expect.stringMatching(new RegExp(`^0-${twinId}-\\d+$`))]);
    expect(decision.action).toBe('hold');
    expect(decision.reasons.join('\n')).toContain(r.errantTransactions![0]);
    expect(mariadbEngine.compatibilityProblems(p, r)).toEqual([]);
  });

  it('restores the twin again (a re-run), which clears the errant transaction', async () => {
    // Act
    await prepare();
    await run(onTwin, mariadbEngine.restoreReplica(onTwin, SECRETS));
    const started = parseMysqlStartReplication(await run(onTwin, mariadbEngine.startReplication(onTwin, SECRETS)));

    // Assess
    expect(started.caughtUp).toBe(true);
    expect(await status(onTwin)).toMatchObject({ role: 'replica', streaming: true, errantTransactions: [] });
    expect(await app(twin.host, rowCount)).toBe(6);
  });

  it('refuses to promote a primary twinstack did not promote: nothing changes', async () => {
    // Act
    const result = await shell.exec(primary.host, mariadbEngine.promote(onPrimary));

    // Assess
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toMatch(/refusing to adopt/);
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: true, promotedByTwinstack: false });
  });

  it('fences the primary: sessions killed, stopped; a restart stays fenced and even a privileged user cannot write', async () => {
    // Prepare: an open session of a privileged user
    const ops = await mysql.createConnection({ host: PRIMARY.address, port: PORT, user: 'ops', password: 'ops-pw', database: 'app' });
    ops.on('error', () => undefined);

    // Act
    const fence = parseMysqlFence(await run(onPrimary, mariadbEngine.fence(onPrimary)));
    const stopped = await status(onPrimary, 'mariadb-stopped-fenced');
    await mariadbLabNode.start(nodeHost(primary), database);
    const restarted = await status(onPrimary, 'mariadb-fenced-restarted');

    // Assess
    expect(fence).toMatchObject({ fenced: true, wasRunning: true });
    expect(fence.killed).toBeGreaterThanOrEqual(1);
    await expect(ops.query('SELECT 1')).rejects.toThrow();
    expect(stopped).toStrictEqual({ role: 'stopped', writable: false, fenced: true, promotedByTwinstack: false });
    expect(restarted).toMatchObject({ role: 'primary', writable: false, fenced: true });
    const privileged = await adminMay(onPrimary, "INSERT INTO app.drill_writes VALUES (200, 'after fence')");
    expect(privileged.exitCode).not.toBe(0);
    expect(privileged.stderr).toMatch(/read-only|READ.ONLY/i);
    await expect(app(primary.host, (c) => c.query("INSERT INTO drill_writes VALUES (201, 'app after fence')"))).rejects.toThrow(/read.only/i);
  });

  it('promotes the twin: writable, marked, no longer replicating; a second promote is a no-op', async () => {
    // Act
    const first = parseMysqlPromote(await run(onTwin, mariadbEngine.promote(onTwin)));
    const promoted = await status(onTwin, 'mariadb-promoted');
    const second = parseMysqlPromote(await run(onTwin, mariadbEngine.promote(onTwin)));

    // Assess
    expect(first).toEqual({ promoted: true, alreadyPrimary: false });
    expect(second).toEqual({ promoted: false, alreadyPrimary: true });
    expect(promoted).toMatchObject({ role: 'primary', writable: true, fenced: false, promotedByTwinstack: true, replicas: [] });
    await app(twin.host, (c) => c.query("INSERT INTO drill_writes VALUES (300, 'on the promoted twin')"));
    expect(await app(twin.host, rowCount)).toBe(7);
    expect(await admin(onTwin, 'SELECT @@rpl_semi_sync_master_enabled')).toBe('0');
  });

  it('reports a killed server as stopped (status still exits 0)', async () => {
    // Act
    await mariadbLabNode.kill(nodeHost(twin), database);
    const result = await run(onTwin, mariadbEngine.status(onTwin));

    // Assess
    expect(result.exitCode).toBe(0);
    expect(mariadbEngine.parseStatus(result)).toMatchObject({ role: 'stopped', writable: false, promotedByTwinstack: true });
  });

  it('keeps secrets out of the servers\' environment', async () => {
    // Prepare
    await mariadbLabNode.start(nodeHost(twin), database);
    const pids = [primary, twin].map((h) => Number(readFileSync(h.realPath(`${MOUNT_POINT}/mysql/main/mysqld.pid`), 'utf8').trim()));

    // Act
    const environments = pids.map((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8'));

    // Assess
    for (const environment of environments) {
      expect(environment).not.toContain(SECRETS.replicationPassword);
      expect(environment).not.toMatch(/TWINSTACK_|MYSQL_PWD/);
    }
  });
});
