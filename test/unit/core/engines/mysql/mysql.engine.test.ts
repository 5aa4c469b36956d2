import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../../functions/core/command.ts';
import { InvalidInputError } from '../../../../../functions/core/errors.ts';
import type { Database, Host } from '../../../../../functions/core/model.ts';
import type { DatabaseEngine, DatabaseSecrets, DatabaseStatus } from '../../../../../functions/core/engines/database-engine.ts';
import { mariadbEngine, mysqlEngine } from '../../../../../functions/core/engines/mysql/mysql.engine.ts';
import { MYSQL_SCRIPTS } from '../../../../../functions/core/engines/mysql/mysql-scripts.ts';
import { mysqlSettingsSchema, type MysqlDialect } from '../../../../../functions/core/engines/mysql/mysql-settings.ts';
import { serverIdOf } from '../../../../../functions/core/engines/mysql/mysql-arguments.ts';
import type { MysqlDatabaseStatus, MysqlFacts } from '../../../../../functions/core/engines/mysql/parse-mysql-status.ts';

const SECRETS: DatabaseSecrets = { replicationPassword: `r3pl-'q' "d" $x \\ %s`, appPassword: `app-'q' "d" $y \\ %d` };
const PRIMARY: Host = { name: 'db', address: '10.0.1.5', sshPort: 22, user: 'ubuntu', hostKey: `SHA256:${'A'.repeat(43)}` };
const TWIN: Host = { ...PRIMARY, address: '10.0.2.7' };

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
    { dialect: 'mysql', name: 'promote', needs: [/STOP REPLICA/, /RESET REPLICA ALL/, /super_read_only = OFF/] },
    { dialect: 'mariadb', name: 'promote', needs: [/STOP SLAVE/, /RESET SLAVE ALL/, /twinstack\.promoted/] },
    { dialect: 'mariadb', name: 'preparePrimary', needs: [/rpl_semi_sync_master_wait_point = .{0,6}AFTER_SYNC/] },
    { dialect: 'mysql', name: 'preparePrimary', needs: [/rpl_semi_sync_source_wait_point = .{0,6}AFTER_SYNC/, /semisync_source\.so/] },
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
