/**
 * MariaDB switchover and rejoin against two real mariadbd over real SSH (a lab of
 * its own: root, mount point, addresses and port apart from every other lab). One
 * ordered scenario: demote / undo → switchover there and back with zero rows lost,
 * each old primary re-pointed in place → a failover with divergence: the old
 * primary's errant transactions counted, saved aside, and a full restore after → a
 * failover of a killed (`kill -9`) primary: fenced dead, it still rejoins (its crash
 * recovery in an isolated start) → a restored server switched over before any write
 * (empty gtid_binlog_pos): the token and the rejoin's resume position name what it holds.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, RemoteCommand } from '../../functions/core/command.ts';
import type { DatabaseSecrets, DatabaseStatus, EngineTarget, RejoinTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { mariadbEngine } from '../../functions/core/engines/mysql/mysql.engine.ts';
import { mysqlSettingsSchema } from '../../functions/core/engines/mysql/mysql-settings.ts';
import { parseMysqlFence, parseMysqlPromote, parseMysqlStartReplication, parseMysqlUndoDemote, type MysqlDatabaseStatus } from '../../functions/core/engines/mysql/parse-mysql-status.ts';
import type { Database, Host } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import type { LabNodeHost } from '../../infra/local/lab/lab-database-node.ts';
import { mariadbLabNode } from '../../infra/local/lab/nodes/mariadb.lab-node.ts';
import { assertLabCanRun } from './it-lab.fixture.ts';
import { eventually } from './eventually.ts';

const LAB_ROOT = '/var/tmp/twinstack-it-mariadb-switch';
const MOUNT_POINT = '/srv/twinstack-it-mariadb-switch';
const PRIMARY = { name: 'primary', address: '127.0.25.1' } as const;
const TWIN = { name: 'twin', address: '127.0.26.1' } as const;
const PORT = 13316;
// Loopback connections leave from 127.0.0.1 whatever address they go to: each side sees the other's replication user from there.
const SOURCE_ADDRESS = '127.0.0.1';
const SECRETS: DatabaseSecrets = {
  replicationPassword: `repl-'q' "d" $x \\ % ${process.pid}`,
  appPassword: `app-'q' "d" $y \\ % ${process.pid}`,
};
/** Set MARIADB_IT_RECORD=dir to save raw outputs as unit-test fixtures. */
const RECORD_DIR = process.env.MARIADB_IT_RECORD;

function recorded(name: string, result: CommandResult): CommandResult {
  if (RECORD_DIR) writeFileSync(`${RECORD_DIR}/${name}.json`, JSON.stringify({ exitCode: result.exitCode, stdout: result.stdout, stderr: '', durationMs: 0 }, null, 2));
  return result;
}

describe('mariadbEngine switchover and rejoin over real SSH', () => {
  let lab: Lab;
  let shell: Ssh2RemoteShell;
  let primary: LabHost;
  let twin: LabHost;
  let database: Database;
  let onPrimary: EngineTarget;
  let onTwin: EngineTarget;
  /** Every id written and acknowledged (committed) by the app so far. */
  const acknowledged: number[] = [];

  const nodeHost = (h: LabHost): LabNodeHost => ({ host: h.host, namespacePid: h.sshdPid, user: lab.user, mountPoint: MOUNT_POINT, realPath: (path) => h.realPath(path) });
  const run = (target: EngineTarget, command: RemoteCommand) => runChecked(shell, target.host, command);
  const status = async (target: EngineTarget): Promise<MysqlDatabaseStatus> => mariadbEngine.parseStatus(await run(target, mariadbEngine.status(target)));
  const replicaName = (host: Host) => mariadbEngine.replicaName(database, 'it', host);
  const restoreTarget = (replica: EngineTarget, from: EngineTarget): RestoreTarget => ({ ...replica, primaryHost: from.host, replicaName: replicaName(replica.host) });
  const rejoinTarget = (old: EngineTarget, newPrimary: EngineTarget, primaryStatus: DatabaseStatus): RejoinTarget => ({ ...restoreTarget(old, newPrimary), primaryStatus });
  /** preparePrimary as the workflow calls it, with the roles as they are now. */
  const prepare = (on: EngineTarget, replica: EngineTarget) => run(on, mariadbEngine.preparePrimary({ ...on, replicaName: replicaName(replica.host), replicaAddress: SOURCE_ADDRESS }, SECRETS));
  const admin = async (target: EngineTarget, sql: string): Promise<string> => {
    const s = (target.database as unknown as { mysql: { socket: string } }).mysql;
    const result = await runChecked(shell, target.host, { description: 'admin sql', argv: ['mariadb', '--no-defaults', '-S', s.socket, '-u', lab.user.name, '-N', '-B', '-e', sql], timeoutMs: 20_000 });
    return result.stdout.trim();
  };
  const connect = (host: Host) => mysql.createConnection({ host: host.address, port: PORT, user: 'app', password: SECRETS.appPassword, database: 'app', connectTimeout: 5_000 });
  const app = async <T>(host: Host, fn: (c: mysql.Connection) => Promise<T>): Promise<T> => {
    const c = await connect(host);
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  /** The app writes `ids` on `host`, one commit each; only acknowledged ones are remembered. */
  const write = (host: Host, ids: readonly number[], note: string) =>
    app(host, async (c) => {
      for (const id of ids) {
        await c.query('INSERT INTO drill_writes VALUES (?, ?)', [id, note]);
        acknowledged.push(id);
      }
    });
  const ids = async (host: Host): Promise<number[]> => app(host, async (c) => (await c.query<mysql.RowDataPacket[]>('SELECT id FROM drill_writes ORDER BY id'))[0].map((r) => Number(r.id)));
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  const dataDirOf = (h: LabHost) => h.realPath((database as unknown as { mysql: { dataDir: string } }).mysql.dataDir);
  const sorted = () => [...acknowledged].sort((a, b) => a - b);
  /** Until `primaryTarget` lists `replica` as a semi-sync (acknowledging) replica: probe writes acknowledged meanwhile are remembered. */
  const synchronousReplica = (primaryTarget: EngineTarget, replica: LabHost) =>
    eventually('the primary lists the replica as synchronous', async () => {
      await write(primaryTarget.host, [acknowledged.length + 1000], 'semi-sync probe');
      const p = await status(primaryTarget);
      return p.replicas?.find((r) => r.name === replicaName(replica.host) && r.synchronous);
    });
  /** The switchover's catch-up: wait until `replica` applied everything up to `token`. */
  const caughtUp = (replica: EngineTarget, token: string) =>
    eventually('the replica reached the final position', async () => {
      const r = await status(replica);
      return r.position !== undefined && mariadbEngine.positionDiff(token, r.position) <= 0 ? r : undefined;
    });

  beforeAll(async () => {
    assertLabCanRun();
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [PRIMARY, TWIN], install: false });
    mariadbLabNode.stopAllUnder(LAB_ROOT);
    primary = lab.host(PRIMARY.name);
    twin = lab.host(TWIN.name);
    const entry = mariadbLabNode.databaseConfig({ name: 'main', host: 'db', port: PORT, mode: 'sync', mountPoint: MOUNT_POINT, user: lab.user.name });
    database = { ...(entry as object), replication: { mode: 'sync', maxLag: 100 }, mysql: mysqlSettingsSchema('mariadb').parse({ ...(entry.mysql as object), semiSyncTimeoutMs: 2_000 }) } as unknown as Database;
    await mariadbLabNode.initPrimary(nodeHost(primary), database);
    await mariadbLabNode.prepareTwin(nodeHost(twin), database);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    onPrimary = { database, host: primary.host };
    onTwin = { database, host: twin.host };
    await prepare(onPrimary, onTwin);
    await app(primary.host, (c) => c.query('CREATE TABLE drill_writes (id INT PRIMARY KEY, note VARCHAR(64)) ENGINE=InnoDB'));
    await write(primary.host, range(1, 5), 'before the twin');
    await run(onTwin, mariadbEngine.restoreReplica(restoreTarget(onTwin, onPrimary), SECRETS));
    expect(parseMysqlStartReplication(await run(onTwin, mariadbEngine.startReplication(restoreTarget(onTwin, onPrimary), SECRETS))).caughtUp).toBe(true);
  });

  afterAll(async () => {
    await shell?.close();
    if (process.env.MARIADB_IT_KEEP) return;
    if (lab) mariadbLabNode.stopAllUnder(LAB_ROOT);
    await lab?.destroy({ removeData: true });
  });

  it('demotes the primary: app sessions killed, writes refused across a restart, the final position reported twice alike', async () => {
    // Prepare: an open transaction of the app that has not committed yet
    await write(primary.host, range(6, 5), 'before demote');
    const open = await connect(primary.host);
    open.on('error', () => undefined);
    await open.query('BEGIN');
    await open.query("INSERT INTO drill_writes VALUES (999, 'open at demote')");

    // Act
    const first = mariadbEngine.parseDemotion(recorded('mariadb-demote', await run(onPrimary, mariadbEngine.demote(onPrimary))));
    const second = mariadbEngine.parseDemotion(recorded('mariadb-demote-again', await run(onPrimary, mariadbEngine.demote(onPrimary))));

    // Assess
    expect(first.wasWritable).toBe(true);
    expect(second).toEqual({ position: first.position, wasWritable: false });
    await expect(open.query('COMMIT')).rejects.toThrow();
    await expect(write(primary.host, [11], 'after demote')).rejects.toThrow(/read.only/i);
    expect(mariadbEngine.parseStatus(recorded('mariadb-primary-demoted', await run(onPrimary, mariadbEngine.status(onPrimary))))).toMatchObject({ role: 'primary', writable: false, fenced: false, demoted: true, position: first.position });
    const replica = await caughtUp(onTwin, first.position);
    expect(mariadbEngine.positionDiff(first.position, replica.position!)).toBe(0);
    expect(await ids(twin.host)).toEqual(acknowledged);
    // Durable: a crash and restart comes back refusing writes.
    await mariadbLabNode.kill(nodeHost(primary), database);
    await mariadbLabNode.start(nodeHost(primary), database);
    await expect(write(primary.host, [12], 'after restart')).rejects.toThrow(/read.only/i);
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: false, demoted: true, position: first.position });
  });

  it('undoes the demotion: writes back; a second undo changes nothing; a replica is refused', async () => {
    // Act
    const undone = parseMysqlUndoDemote(await run(onPrimary, mariadbEngine.undoDemote(onPrimary)));
    const again = parseMysqlUndoDemote(await run(onPrimary, mariadbEngine.undoDemote(onPrimary)));
    const onReplica = await shell.exec(twin.host, mariadbEngine.undoDemote(onTwin));

    // Assess
    expect(undone).toEqual({ undone: true, writable: true });
    expect(again).toEqual({ undone: false, writable: true });
    expect(onReplica.exitCode).toBe(5);
    expect(onReplica.stderr).toMatch(/a replica/);
    await write(primary.host, range(11, 3), 'after undo');
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: true, demoted: false });
    // The twin reconnected after the restart above (its retry interval) and has every write.
    const p = await status(onPrimary);
    expect(await caughtUp(onTwin, p.position!)).toMatchObject({ role: 'replica', writable: false, streaming: true });
  });

  it('switches over to the twin with zero rows lost; the old primary is re-pointed in place and replicates new writes', async () => {
    // Prepare
    await write(primary.host, range(20, 5), 'before switchover');

    // Act
    const demoted = await run(onPrimary, mariadbEngine.demote(onPrimary));
    const demotion = mariadbEngine.parseDemotion(demoted);
    const waitStarted = Date.now();
    await caughtUp(onTwin, demotion.position);
    const waitedMs = Date.now() - waitStarted;
    const promoted = await run(onTwin, mariadbEngine.promote(onTwin));
    expect(parseMysqlPromote(promoted)).toEqual({ promoted: true, alreadyPrimary: false });
    await prepare(onTwin, onPrimary);
    const newPrimary = await status(onTwin);
    const rejoined = await run(onPrimary, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, newPrimary), SECRETS));
    const rejoin = mariadbEngine.parseRejoin(recorded('mariadb-rejoin-repointed', rejoined));
    // Figures for the report (never asserted): the write-refusal window is demote + catch-up + promote.
    console.info(`switchover: demote ${demoted.durationMs} ms, catch-up wait ${waitedMs} ms, promote ${promoted.durationMs} ms; rejoin ${rejoined.durationMs} ms`);
    const repeated = mariadbEngine.parseRejoin(recorded('mariadb-rejoin-already-replica', await run(onPrimary, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, newPrimary), SECRETS))));
    await write(twin.host, range(30, 5), 'on the new primary');

    // Assess
    expect(rejoin).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(repeated).toMatchObject({ method: 'already-replica', divergent: { amount: 0 } });
    expect(await ids(twin.host)).toEqual(acknowledged);
    const old = await eventually('the old primary applied the new writes', async () => {
      const [p, r] = [await status(onTwin), await status(onPrimary)];
      return mariadbEngine.positionDiff(p.position!, r.position!) === 0 ? r : undefined;
    });
    expect(old).toMatchObject({ role: 'replica', writable: false, streaming: true, fenced: false, upstream: `${TWIN.address}:${PORT}`, errantTransactions: [] });
    expect(old.demoted).toBeUndefined();
    expect(await ids(primary.host)).toEqual(acknowledged);
    await expect(write(primary.host, [40], 'on the old primary')).rejects.toThrow(/read.only/i);
    const attached = await eventually('the new primary lists the old one as a synchronous replica', async () => {
      await write(twin.host, [acknowledged.length + 1000], 'semi-sync probe');
      const p = await status(onTwin);
      return p.replicas?.find((r) => r.name === replicaName(primary.host) && r.synchronous);
    });
    expect(attached).toEqual({ name: `${PRIMARY.address}:${PORT}`, streaming: true, synchronous: true });
    expect(await admin(onPrimary, 'SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled')).toBe('0\t1');
    // Durable replica settings: a restart comes back a read-only replica under its own name, no fence, no semi-sync source.
    const settings = readFileSync(primary.realPath(`${(database as unknown as { mysql: { dataDir: string } }).mysql.dataDir}.twinstack.cnf`), 'utf8').split('\n');
    expect(settings).toEqual(expect.arrayContaining(['read_only=ON', `report_host=${PRIMARY.address}`, `report_port=${PORT}`, 'rpl_semi_sync_slave_enabled=ON']));
    expect(settings.filter((line) => /^(innodb_read_only|skip_slave_start|rpl_semi_sync_master_)/.test(line))).toEqual([]);
  });

  it('switches back to the original primary the same way, zero rows lost', async () => {
    // Act
    const demotion = mariadbEngine.parseDemotion(await run(onTwin, mariadbEngine.demote(onTwin)));
    await caughtUp(onPrimary, demotion.position);
    expect(parseMysqlPromote(await run(onPrimary, mariadbEngine.promote(onPrimary)))).toEqual({ promoted: true, alreadyPrimary: false });
    await prepare(onPrimary, onTwin);
    const rejoin = mariadbEngine.parseRejoin(await run(onTwin, mariadbEngine.rejoin(rejoinTarget(onTwin, onPrimary, await status(onPrimary)), SECRETS)));
    await write(primary.host, range(50, 5), 'back on the original primary');

    // Assess
    expect(rejoin.method).toBe('repointed');
    expect(await ids(primary.host)).toEqual([...acknowledged].sort((a, b) => a - b));
    await eventually('the twin replicates again', async () => {
      const [p, r] = [await status(onPrimary), await status(onTwin)];
      return r.role === 'replica' && r.streaming && mariadbEngine.positionDiff(p.position!, r.position!) === 0 ? r : undefined;
    });
    expect(await ids(twin.host)).toEqual([...acknowledged].sort((a, b) => a - b));
    const rejoined = await status(onTwin);
    expect(rejoined).toMatchObject({ role: 'replica', writable: false, promotedByTwinstack: false, errantTransactions: [] });
    expect(rejoined.demoted).toBeUndefined();
  });

  it('after a failover with divergence: refuses the un-fenced old primary, then counts its errant GTIDs exactly and saves them aside', async () => {
    // Prepare: the twin is promoted while the old primary still takes writes
    expect(parseMysqlPromote(await run(onTwin, mariadbEngine.promote(onTwin))).promoted).toBe(true);
    const errantIds = [701, 702, 703];
    for (const id of errantIds) await app(primary.host, (c) => c.query('INSERT INTO drill_writes VALUES (?, ?)', [id, `errant-${id}`]));
    await write(twin.host, range(60, 4), 'on the failed-over twin');
    const newPrimary = await status(onTwin);
    const oldBefore = await status(onPrimary);
    const primaryId = await admin(onPrimary, 'SELECT @@server_id');

    // Act: (d) an un-fenced, writable old primary is refused, and nothing changes
    const refused = await shell.exec(primary.host, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, newPrimary), SECRETS));
    const oldAfterRefusal = await status(onPrimary);
    await run(onPrimary, mariadbEngine.fence(onPrimary));
    const needsRestore = await run(onPrimary, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, newPrimary), SECRETS));
    const rejoin = mariadbEngine.parseRejoin(recorded('mariadb-rejoin-needs-restore', needsRestore));
    console.info(`rejoin with divergence (start the fenced server, read the binlogs, save, stop): ${needsRestore.durationMs} ms`);
    const repeated = mariadbEngine.parseRejoin(await run(onPrimary, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, newPrimary), SECRETS)));

    // Assess
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toMatch(/neither fenced nor demoted \(writable: 1\): refusing/);
    expect(oldAfterRefusal).toMatchObject({ role: 'primary', writable: true, fenced: false, position: oldBefore.position });
    expect(rejoin.method).toBe('needs-restore');
    expect(rejoin.divergent.amount).toBe(errantIds.length);
    expect(rejoin.divergent.transactions).toHaveLength(errantIds.length);
    for (const gtid of rejoin.divergent.transactions!) expect(gtid).toMatch(new RegExp(`^0-${primaryId}-\\d+$`));
    expect(repeated).toEqual(rejoin);
    const saved = primary.realPath(rejoin.divergent.savedTo!);
    expect(statSync(saved).mode & 0o777).toBe(0o700);
    expect(readFileSync(`${saved}/errant-gtids.txt`, 'utf8')).toBe(rejoin.divergent.transactions!.join(','));
    const events = readFileSync(`${saved}/errant-events.sql`, 'utf8');
    for (const id of errantIds) expect(events).toContain(`'errant-${id}'`);
    expect(events).not.toContain('on the failed-over twin');
    expect(events).not.toContain('back on the original primary');
    for (const file of readdirSync(saved)) expect(statSync(`${saved}/${file}`).mode & 0o077).toBe(0);
    expect(await status(onPrimary)).toMatchObject({ role: 'stopped', writable: false, fenced: true });
  });

  it('restores the old primary from the new one (the restore in the other direction): it replicates without the errant rows', async () => {
    // Act
    await prepare(onTwin, onPrimary);
    await run(onPrimary, mariadbEngine.restoreReplica(restoreTarget(onPrimary, onTwin), SECRETS));
    const started = parseMysqlStartReplication(await run(onPrimary, mariadbEngine.startReplication(restoreTarget(onPrimary, onTwin), SECRETS)));

    // Assess
    expect(started.caughtUp).toBe(true);
    expect(await status(onPrimary)).toMatchObject({ role: 'replica', streaming: true, fenced: false, errantTransactions: [], upstream: `${TWIN.address}:${PORT}` });
    expect(await ids(primary.host)).toEqual(await ids(twin.host));
    expect(await ids(primary.host)).not.toContain(701);
  });

  it('after a failover of a KILLED primary: the fence holds, promote and undoDemote refuse it, the rejoin recovers it isolated and re-points it', async () => {
    // Prepare: the twin is the primary, the old primary its semi-sync replica; writes, then kill -9 of mariadbd by PID
    expect(await synchronousReplica(onTwin, primary)).toMatchObject({ synchronous: true });
    await write(twin.host, range(80, 5), 'just before the kill');
    await mariadbLabNode.kill(nodeHost(twin), database);
    const logBefore = readFileSync(`${dataDirOf(twin)}.log`, 'utf8').length;

    // Act: failover to the surviving replica, fence the dead primary, new writes
    expect(parseMysqlPromote(await run(onPrimary, mariadbEngine.promote(onPrimary)))).toEqual({ promoted: true, alreadyPrimary: false });
    const fenced = parseMysqlFence(await run(onTwin, mariadbEngine.fence(onTwin)));
    const undo = await shell.exec(twin.host, mariadbEngine.undoDemote(onTwin));
    const promoteDead = await shell.exec(twin.host, mariadbEngine.promote(onTwin));
    const deadAfterRefusals = await status(onTwin);
    const fencedSettings = readFileSync(`${dataDirOf(twin)}.twinstack.cnf`, 'utf8').split('\n');
    await write(primary.host, range(90, 4), 'after the failover of the killed primary');
    await prepare(onPrimary, onTwin);
    const rejoined = await run(onTwin, mariadbEngine.rejoin(rejoinTarget(onTwin, onPrimary, await status(onPrimary)), SECRETS));
    const rejoin = mariadbEngine.parseRejoin(recorded('mariadb-rejoin-killed-repointed', rejoined));
    console.info(`rejoin of a killed, fenced primary (isolated start with crash recovery, compare, restart as replica, re-point): ${rejoined.durationMs} ms`);

    // Assess
    expect(fenced).toEqual({ fenced: true, wasRunning: false, killed: 0 });
    expect(undo.exitCode).not.toBe(0);
    expect(promoteDead.exitCode).not.toBe(0);
    expect(deadAfterRefusals).toMatchObject({ role: 'stopped', writable: false, fenced: true });
    expect(fencedSettings).toEqual(expect.arrayContaining(['read_only=ON', 'innodb_read_only=ON', 'skip_slave_start=ON']));
    // The condition of the bug: this start needed crash recovery, which innodb_read_only forbids.
    expect(readFileSync(`${dataDirOf(twin)}.log`, 'utf8').slice(logBefore)).toMatch(/crash recovery/i);
    expect(rejoin).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(await ids(primary.host)).toEqual(sorted());
    const old = await eventually('the killed old primary applied the new writes', async () => {
      const [p, r] = [await status(onPrimary), await status(onTwin)];
      return r.role === 'replica' && r.streaming && mariadbEngine.positionDiff(p.position!, r.position!) === 0 ? r : undefined;
    });
    expect(old).toMatchObject({ role: 'replica', writable: false, fenced: false, upstream: `${PRIMARY.address}:${PORT}`, errantTransactions: [] });
    expect(await ids(twin.host)).toEqual(sorted());
    await expect(write(twin.host, [95], 'on the rejoined old primary')).rejects.toThrow(/read.only/i);
    expect(await admin(onTwin, 'SELECT @@innodb_read_only, @@skip_networking, @@read_only')).toBe('0\t0\t1');
    expect(readFileSync(`${dataDirOf(twin)}.twinstack.cnf`, 'utf8').split('\n').filter((line) => /^(innodb_read_only|skip_slave_start|skip_networking)/.test(line))).toEqual([]);
  });

  it('a restored server switched over before any write (empty gtid_binlog_pos): its token and its rejoin resume from what it holds', async () => {
    // Prepare: the twin restored afresh from the primary; nothing written since, so its binary log is empty
    await prepare(onPrimary, onTwin);
    await run(onTwin, mariadbEngine.restoreReplica(restoreTarget(onTwin, onPrimary), SECRETS));
    expect(parseMysqlStartReplication(await run(onTwin, mariadbEngine.startReplication(restoreTarget(onTwin, onPrimary), SECRETS))).caughtUp).toBe(true);
    const there = mariadbEngine.parseDemotion(await run(onPrimary, mariadbEngine.demote(onPrimary)));
    await caughtUp(onTwin, there.position);
    expect(parseMysqlPromote(await run(onTwin, mariadbEngine.promote(onTwin))).promoted).toBe(true);
    await prepare(onTwin, onPrimary);
    expect(mariadbEngine.parseRejoin(await run(onPrimary, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, await status(onTwin)), SECRETS))).method).toBe('repointed');
    const holds = await status(onTwin);
    const binlogPos = await admin(onTwin, 'SELECT @@gtid_binlog_pos');

    // Act: switch back at once, then rejoin the twin, whose own binary log is still empty
    const back = mariadbEngine.parseDemotion(recorded('mariadb-demote-empty-binlog', await run(onTwin, mariadbEngine.demote(onTwin))));
    await caughtUp(onPrimary, back.position);
    expect(parseMysqlPromote(await run(onPrimary, mariadbEngine.promote(onPrimary))).promoted).toBe(true);
    await prepare(onPrimary, onTwin);
    const rejoin = mariadbEngine.parseRejoin(await run(onTwin, mariadbEngine.rejoin(rejoinTarget(onTwin, onPrimary, await status(onPrimary)), SECRETS)));
    const resumedFrom = await admin(onTwin, 'SELECT @@gtid_slave_pos');
    await write(primary.host, range(100, 3), 'after switching back');

    // Assess
    expect(binlogPos).toBe('');
    expect(back.position).not.toBe('');
    expect(back.position).toBe(holds.position);
    expect(mariadbEngine.positionDiff(there.position, back.position)).toBe(0);
    expect(rejoin).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(resumedFrom).toBe(back.position);
    const replica = await eventually('the twin replicates the writes after switching back', async () => {
      const [p, r] = [await status(onPrimary), await status(onTwin)];
      return r.role === 'replica' && r.streaming && mariadbEngine.positionDiff(p.position!, r.position!) === 0 ? r : undefined;
    });
    expect(replica.replicationError).toBeUndefined();
    expect(await ids(twin.host)).toEqual(sorted());
    expect(await ids(primary.host)).toEqual(sorted());
  });

  it('after a failover of a KILLED primary that took writes after the fork: the rejoin recovers it isolated, counts them and leaves it fenced', async () => {
    // Prepare: the twin is promoted while the primary still commits; then kill -9 of the primary's mariadbd
    expect(parseMysqlPromote(await run(onTwin, mariadbEngine.promote(onTwin))).promoted).toBe(true);
    const errantIds = [801, 802];
    for (const id of errantIds) await app(primary.host, (c) => c.query('INSERT INTO drill_writes VALUES (?, ?)', [id, `errant-${id}`]));
    await mariadbLabNode.kill(nodeHost(primary), database);
    await write(twin.host, range(110, 3), 'on the twin after the kill');

    // Act
    expect(parseMysqlFence(await run(onPrimary, mariadbEngine.fence(onPrimary)))).toEqual({ fenced: true, wasRunning: false, killed: 0 });
    await prepare(onTwin, onPrimary);
    const rejoin = mariadbEngine.parseRejoin(await run(onPrimary, mariadbEngine.rejoin(rejoinTarget(onPrimary, onTwin, await status(onTwin)), SECRETS)));

    // Assess
    expect(rejoin.method).toBe('needs-restore');
    expect(rejoin.divergent.amount).toBe(errantIds.length);
    const events = readFileSync(`${primary.realPath(rejoin.divergent.savedTo!)}/errant-events.sql`, 'utf8');
    for (const id of errantIds) expect(events).toContain(`'errant-${id}'`);
    expect(await status(onPrimary)).toMatchObject({ role: 'stopped', writable: false, fenced: true });
    expect(readFileSync(`${dataDirOf(primary)}.twinstack.cnf`, 'utf8').split('\n')).toEqual(expect.arrayContaining(['read_only=ON', 'innodb_read_only=ON']));
    expect(await ids(twin.host)).toEqual(sorted());
  });
});
