import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../../functions/core/command.ts';
import { InvalidInputError } from '../../../../../functions/core/errors.ts';
import type { Database, Host } from '../../../../../functions/core/model.ts';
import type { DatabaseEngine, DatabaseSecrets, DatabaseStatus } from '../../../../../functions/core/engines/database-engine.ts';
import { mariadbEngine, mysqlEngine } from '../../../../../functions/core/engines/mysql/mysql.engine.ts';
import { divergenceFunctions, MYSQL_SCRIPTS, positionFunction } from '../../../../../functions/core/engines/mysql/mysql-scripts.ts';
import { mysqlSettingsSchema, type MysqlDialect } from '../../../../../functions/core/engines/mysql/mysql-settings.ts';
import { serverIdOf } from '../../../../../functions/core/engines/mysql/mysql-arguments.ts';
import type { MysqlDatabaseStatus, MysqlFacts } from '../../../../../functions/core/engines/mysql/parse-mysql-status.ts';

const SECRETS: DatabaseSecrets = { replicationPassword: `r3pl-'q' "d" $x \\ %s`, appPassword: `app-'q' "d" $y \\ %d` };
const PRIMARY: Host = { name: 'db', address: '10.0.1.5', sshPort: 22, user: 'ubuntu', hostKey: `SHA256:${'A'.repeat(43)}` };
const TWIN: Host = { ...PRIMARY, address: '10.0.2.7' };
/** The new primary as a rejoin observes it just before. */
const NEW_PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0-2-120' };

function database(dialect: MysqlDialect, mode: 'async' | 'sync' = 'sync'): Database {
  return { name: 'main', engine: dialect, host: 'db', port: 3306, replication: { mode, maxLag: 100 }, mysql: mysqlSettingsSchema(dialect).parse({}) };
}

function commands(engine: DatabaseEngine, dialect: MysqlDialect): { name: string; command: () => RemoteCommand; script: string }[] {
  const db = database(dialect);
  const t = { database: db, host: PRIMARY };
  const r = { database: db, host: TWIN, primaryHost: PRIMARY, replicaName: engine.replicaName(db, 'twin', TWIN) };
  const s = MYSQL_SCRIPTS[dialect];
  return [
    { name: 'preparePrimary', command: () => engine.preparePrimary({ ...t, replicaName: r.replicaName, replicaAddress: TWIN.address }, SECRETS), script: s.preparePrimary },
    { name: 'restoreReplica', command: () => engine.restoreReplica(r, SECRETS), script: s.restoreReplica },
    { name: 'startReplication', command: () => engine.startReplication(r, SECRETS), script: s.startReplication },
    { name: 'status', command: () => engine.status(t), script: s.status },
    { name: 'fence', command: () => engine.fence(t), script: s.fence },
    { name: 'promote', command: () => engine.promote(t), script: s.promote },
    { name: 'setSynchronousReplicas', command: () => engine.setSynchronousReplicas(t, [r.replicaName]), script: s.setSynchronousReplicas },
    { name: 'demote', command: () => engine.demote(t), script: s.demote },
    { name: 'undoDemote', command: () => engine.undoDemote(t), script: s.undoDemote },
    // The old primary (PRIMARY) rejoins the new one (TWIN).
    { name: 'rejoin', command: () => engine.rejoin({ database: db, host: PRIMARY, primaryHost: TWIN, replicaName: engine.replicaName(db, 'main', PRIMARY), primaryStatus: NEW_PRIMARY }, SECRETS), script: s.rejoin },
  ];
}

const ALL = [...commands(mariadbEngine, 'mariadb').map((c) => ({ ...c, dialect: 'mariadb' })), ...commands(mysqlEngine, 'mysql').map((c) => ({ ...c, dialect: 'mysql' }))];

describe('mysql-family engine commands', () => {
  it.each(ALL)('$dialect $name runs its fixed script with the node arguments', ({ command, script, dialect }) => {
    // Act
    const c = command();

    // Assess
    expect(c.argv.slice(0, 4)).toEqual(['sh', '-c', script, 'sh']);
    expect(c.argv.slice(4, 12)).toEqual(['/usr/bin', dialect === 'mariadb' ? '/usr/sbin/mariadbd' : '/usr/sbin/mysqld', dialect === 'mariadb' ? '/etc/mysql/mariadb.cnf' : '/etc/mysql/my.cnf', '/var/lib/mysql', '/run/mysqld/mysqld.sock', '3306', 'root', '0.0.0.0']);
    expect(c.timeoutMs).toBeGreaterThan(0);
  });

  it.each(ALL)('$dialect $name keeps secrets out of argv, stdin, env and description', ({ command }) => {
    // Act
    const c = command();

    // Assess
    const visible = [c.description, ...c.argv, c.stdin ?? '', ...Object.values(c.env ?? {})].join('\n');
    for (const secret of Object.values(SECRETS)) expect(visible).not.toContain(secret);
    for (const value of Object.values(c.secretEnv ?? {})) expect(c.redact).toContain(value);
  });

  it.each(ALL)('$dialect $name script never passes a password on a command line', ({ script }) => {
    expect(script).not.toMatch(/MYSQL_PWD/);
    expect(script).not.toMatch(/"\$(CLIENT|MADMIN|BACKUP)"[^\n]*\s(-p|--password)/);
    expect(script).not.toMatch(/--password[= ]/);
    expect(script).not.toMatch(/PASSWORD\s*=\s*\$[0-9]/);
  });

  it.each([
    { dialect: 'mariadb', name: 'restoreReplica', needs: [/CHANGE MASTER TO .*MASTER_USE_GTID = slave_pos/, /SET GLOBAL gtid_slave_pos/, /mariadb-backup|\$BACKUP/, /mbstream/] },
    { dialect: 'mysql', name: 'restoreReplica', needs: [/CHANGE REPLICATION SOURCE TO .*SOURCE_AUTO_POSITION = 1/, /SET GLOBAL gtid_purged/, /xbstream/], refuses: [/CHANGE MASTER/, /MASTER_USE_GTID/] },
    { dialect: 'mysql', name: 'startReplication', needs: [/WAIT_FOR_EXECUTED_GTID_SET/, /SHOW REPLICA STATUS/, /START REPLICA/] },
    { dialect: 'mariadb', name: 'startReplication', needs: [/MASTER_GTID_WAIT/, /SHOW SLAVE STATUS/] },
    { dialect: 'mysql', name: 'fence', needs: [/super_read_only = ON/, /KILL CONNECTION/] },
    { dialect: 'mariadb', name: 'fence', needs: [/innodb_read_only=ON/, /KILL CONNECTION/, /twinstack\.fenced/] },
    { dialect: 'mysql', name: 'promote', needs: [/STOP REPLICA/, /RESET REPLICA ALL/, /super_read_only = OFF/, /RESET PERSIST IF EXISTS super_read_only/] },
    { dialect: 'mariadb', name: 'promote', needs: [/STOP SLAVE/, /RESET SLAVE ALL/, /twinstack\.promoted/] },
    { dialect: 'mariadb', name: 'preparePrimary', needs: [/rpl_semi_sync_master_wait_point = .{0,6}AFTER_SYNC/] },
    { dialect: 'mysql', name: 'preparePrimary', needs: [/rpl_semi_sync_source_wait_point = .{0,6}AFTER_SYNC/, /semisync_source\.so/] },
    { dialect: 'mariadb', name: 'demote', needs: [/SET GLOBAL read_only = ON/, /read_only=ON/, /twinstack\.demoted/, /Binlog Dump/, /SELECT CONCAT\(@@gtid_binlog_pos, .{1,12}, @@gtid_slave_pos\)/, /position_of/, /KILL CONNECTION/], refuses: [/innodb_read_only=ON/, /SET PERSIST/] },
    { dialect: 'mysql', name: 'demote', needs: [/SET GLOBAL super_read_only = ON/, /SET PERSIST super_read_only = ON/, /twinstack\.demoted/, /SELECT @@gtid_executed/] },
    { dialect: 'mysql', name: 'undoDemote', needs: [/RESET PERSIST IF EXISTS super_read_only/, /super_read_only = OFF/, /twinstack\.demoted/] },
    { dialect: 'mariadb', name: 'undoDemote', needs: [/SET GLOBAL read_only = OFF/, /twinstack\.demoted/] },
    {
      dialect: 'mariadb',
      name: 'rejoin',
      needs: [/SET GLOBAL gtid_slave_pos = @twinstack_own_position/, /SET @twinstack_own_position = /, /CHANGE MASTER TO .*MASTER_USE_GTID = slave_pos/, /mariadb-binlog/, /@@gtid_binlog_state/, /twinstack-divergent-/, /umask 077/],
      refuses: [/RESET MASTER/, /gtid_slave_pos = @@gtid_binlog_pos/],
    },
    {
      dialect: 'mysql',
      name: 'rejoin',
      needs: [/CHANGE REPLICATION SOURCE TO .*SOURCE_AUTO_POSITION = 1/, /GTID_SUBTRACT/, /--include-gtids/, /mysqlbinlog/, /START REPLICA/],
      // A rejoin keeps the old primary's history: wiping it (as a restore does) would hide divergence.
      refuses: [/RESET MASTER/, /gtid_purged/, /CHANGE MASTER/],
    },
    { dialect: 'mariadb', name: 'promote', needs: [/twinstack\.demoted.*undoDemote/] },
    // A killed, fenced server needs crash recovery, which its persisted innodb_read_only forbids: the rejoin's one start overrides it, socket only.
    { dialect: 'mariadb', name: 'rejoin', needs: [/start_node '--skip-networking' '--read-only=ON' '--innodb-read-only=OFF' '--skip-slave-start' '--event-scheduler=OFF'/, /@@skip_networking/] },
    { dialect: 'mysql', name: 'rejoin', needs: [/start_node '--skip-networking' '--read-only=ON' '--super-read-only=ON' '--skip-replica-start'/, /@@skip_networking/] },
    { dialect: 'mariadb', name: 'startReplication', needs: [/@@gtid_slave_pos/, /\| position_of/] },
  ] as const)('$dialect $name speaks its dialect', ({ dialect, name, needs, ...rest }) => {
    // Prepare
    const script = MYSQL_SCRIPTS[dialect][name];

    // Assess
    for (const pattern of needs) expect(script).toMatch(pattern);
    for (const pattern of ('refuses' in rest ? (rest.refuses ?? []) : [])) expect(script).not.toMatch(pattern);
  });

  it('delivers the passwords in secretEnv only', () => {
    // Act
    const prepare = commands(mariadbEngine, 'mariadb')[0]!.command();

    // Assess
    expect(prepare.secretEnv).toStrictEqual({ TWINSTACK_REPLICATION_PASSWORD: SECRETS.replicationPassword, TWINSTACK_APP_PASSWORD: SECRETS.appPassword });
  });

  it('refuses a password the scripts cannot quote', () => {
    const db = database('mariadb');
    expect(() => mariadbEngine.restoreReplica({ database: db, host: TWIN, primaryHost: PRIMARY, replicaName: '10.0.2.7:3306' }, { ...SECRETS, replicationPassword: 'a\nb' })).toThrow(InvalidInputError);
  });

  it.each([['10.0.2.7:3306; DROP'], ['$(id):3306'], ['host']])('refuses replica name %s', (name) => {
    const db = database('mariadb');
    expect(() => mariadbEngine.restoreReplica({ database: db, host: TWIN, primaryHost: PRIMARY, replicaName: name }, SECRETS)).toThrow(InvalidInputError);
  });
});

describe('mysql-family engine', () => {
  it('names a replica report_host:report_port and gives distinct server ids per address', () => {
    expect(mariadbEngine.replicaName(database('mariadb'), 'twin', TWIN)).toBe('10.0.2.7:3306');
    expect(serverIdOf('127.0.21.1')).toBe(2130711809);
    expect(serverIdOf('127.0.22.1')).not.toBe(serverIdOf('127.0.21.1'));
    expect(serverIdOf('db.example.com')).toBeGreaterThan(0);
  });

  it('publishes a mysql:// URL with the url-encoded app password', () => {
    const c = mariadbEngine.connection({ database: database('mariadb'), host: PRIMARY }, { ...SECRETS, appPassword: 'p@ss/w:rd' });
    expect(c).toEqual({ address: '10.0.1.5:3306', url: 'mysql://app:p%40ss%2Fw%3Ard@10.0.1.5:3306/app' });
  });

  it('measures lag in transactions', () => {
    expect(mariadbEngine.lagUnit).toBe('transactions');
    expect(mariadbEngine.positionDiff('0-1-10', '0-1-4')).toBe(6);
    expect(mysqlEngine.positionDiff('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10', '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9')).toBe(1);
  });
});

describe('compatibilityProblems', () => {
  const facts = (f: Partial<MysqlFacts> = {}): MysqlFacts => ({ dialect: 'mariadb', series: '10.11', serverId: 1, logBin: true, gtidEnforced: true, logReplicaUpdates: true, semiSyncActive: false, semiSyncClients: 0, ...f });
  const st = (f: Partial<MysqlFacts> = {}, more: Partial<DatabaseStatus> = {}): MysqlDatabaseStatus => ({ role: 'primary', writable: true, fenced: false, version: f.dialect === 'mysql' ? '8.0.36' : '10.11.6-MariaDB', mysql: facts(f), ...more });

  it.each([
    { name: 'compatible', primary: st(), twin: st({ serverId: 2 }), problem: undefined },
    { name: 'mixed dialects', primary: st({ dialect: 'mysql', series: '8.0' }), twin: st({ serverId: 2 }), problem: /runs MySQL .* configured as engine mariadb: set `engine: mysql`/ },
    { name: 'mixed major versions', primary: st(), twin: st({ serverId: 2, series: '10.6' }), problem: /10\.11 and the twin 10\.6: .* same release series/ },
    { name: 'binary logging off', primary: st({ logBin: false }), twin: st({ serverId: 2 }), problem: /binary logging is off on the primary: set log_bin/ },
    { name: 'GTID strict mode off', primary: st({ gtidEnforced: false }), twin: st({ serverId: 2 }), problem: /gtid_strict_mode is off/ },
    // A clone sharing the server_id, or a twin with errant GTIDs, is what a restore fixes: no refusal
    // here (errant GTIDs reach the failover decision through errantTransactions).
    { name: 'same server id (a clone: the restore gives it its own)', primary: st(), twin: st(), problem: undefined },
    { name: 'errant transactions (decided from errantTransactions)', primary: st(), twin: st({ serverId: 2 }, { role: 'replica', errantTransactions: ['0-2-18'] }), problem: undefined },
  ])('$name', ({ primary, twin, problem }) => {
    // Act
    const problems = mariadbEngine.compatibilityProblems(primary, twin);

    // Assess
    if (problem === undefined) expect(problems).toEqual([]);
    else expect(problems.join('\n')).toMatch(problem);
  });

  it('judges nothing it was not told (a stopped twin)', () => {
    expect(mariadbEngine.compatibilityProblems(st(), { role: 'stopped', writable: false, fenced: false })).toEqual([]);
  });
});

describe('switchover and rejoin builders', () => {
  const db = database('mariadb');
  const rejoin = (primaryStatus: DatabaseStatus, replicaName = '10.0.1.5:3306') => () =>
    mariadbEngine.rejoin({ database: db, host: PRIMARY, primaryHost: TWIN, replicaName, primaryStatus }, SECRETS);

  it('passes the new primary, the replication user and the old primary\'s replica name as arguments, the password in secretEnv', () => {
    // Act
    const c = rejoin(NEW_PRIMARY)();

    // Assess
    expect(c.argv.slice(12)).toEqual(['10.0.2.7', 'twinstack_replicator', '10.0.1.5', '3306']);
    expect(c.secretEnv).toStrictEqual({ TWINSTACK_REPLICATION_PASSWORD: SECRETS.replicationPassword });
  });

  it.each<{ name: string; status: DatabaseStatus }>([
    { name: 'a replica', status: { role: 'replica', writable: false, fenced: false } },
    { name: 'a read-only primary', status: { role: 'primary', writable: false, fenced: false, demoted: true } },
    { name: 'a stopped server', status: { role: 'stopped', writable: false, fenced: true } },
  ])('refuses to rejoin to $name: the new primary must be a writable primary', ({ status }) => {
    expect(rejoin(status)).toThrow(/not the writable new primary: promote it/);
    expect(rejoin(status)).toThrow(InvalidInputError);
  });

  it('refuses a hostile replica name before building the rejoin', () => {
    expect(rejoin(NEW_PRIMARY, '10.0.1.5:3306 $(id)')).toThrow(InvalidInputError);
  });
});

describe('MariaDB rejoin divergence rule (the shell function itself, run here with awk)', () => {
  /** GTIDs (one a line) the new primary does not hold, given its `binlog state/slave position`. */
  const notHeld = (newState: string, gtids: readonly string[]): string[] =>
    execFileSync('sh', ['-c', `${divergenceFunctions('mariadb')}\nnot_held`], { input: gtids.join('\n') + '\n', env: { NEW_STATE: newState, PATH: process.env.PATH ?? '/usr/bin:/bin' } })
      .toString()
      .split('\n')
      .filter((l) => l !== '');

  it.each([
    {
      name: 'a switchover: everything the old primary wrote reached the new one',
      state: '0-1-100,0-2-104/0-1-100',
      gtids: ['0-1-99', '0-1-100', '0-2-104'],
      errant: [],
    },
    {
      // Both wrote seq 101-103 after the fork, each under its own server id: sequence numbers alone would call them held.
      name: 'a failover: the same sequence numbers under different server ids are errant',
      state: '0-1-100,0-2-105/0-1-100',
      gtids: ['0-1-100', '0-1-101', '0-1-102', '0-1-103'],
      errant: ['0-1-101', '0-1-102', '0-1-103'],
    },
    {
      name: 'a restored twin promoted at once: its slave position alone holds the old history',
      state: '0-2-101/0-1-100',
      gtids: ['0-1-98', '0-1-100'],
      errant: [],
    },
    { name: 'another domain the new primary never had', state: '0-1-100/', gtids: ['0-1-100', '1-1-5'], errant: ['1-1-5'] },
  ])('$name', ({ state, gtids, errant }) => {
    expect(notHeld(state, gtids)).toEqual(errant);
  });
});

describe('position_of: the position a MariaDB server holds (the shell function itself, run here with awk)', () => {
  const positionOf = (dialect: MysqlDialect, answer: string): string =>
    execFileSync('sh', ['-c', `${positionFunction(dialect)}\nposition_of`], { input: `${answer}\n`, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }).toString().trim();

  it.each([
    { name: 'a primary that wrote since it was restored: its binlog is later', answer: '0-2-105,0-1-100', position: '0-2-105' },
    { name: 'a restored server switched over before any write: its binlog is empty, its slave position holds everything', answer: ',0-1-100', position: '0-1-100' },
    { name: 'a fresh server that never wrote nor replicated', answer: ',', position: '' },
    { name: 'an original primary that never replicated', answer: '0-1-42,', position: '0-1-42' },
    { name: 'several domains, each its later GTID, in domain order', answer: '1-2-9,0-1-50,0-2-40,1-1-3', position: '0-1-50,1-2-9' },
    { name: 'the same GTID in both', answer: '0-1-7,0-1-7', position: '0-1-7' },
  ])('MariaDB: $name', ({ answer, position }) => {
    expect(positionOf('mariadb', answer)).toBe(position);
  });

  it('MySQL: gtid_executed as it is, whitespace removed', () => {
    expect(positionOf('mysql', '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2')).toBe('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2');
  });
});
