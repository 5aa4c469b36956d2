/**
 * The MySQL-family engine, one implementation for two dialects: MariaDB 10.6+
 * (`mariadb`, live-tested against 10.11) and MySQL 8.0+ (`mysql`, command text and
 * documented outputs only). It builds the commands of DatabaseEngine and parses
 * their output; it runs nothing.
 *
 * Every command is `sh -c '<fixed script>' sh <validated args…>` (mysql-scripts.ts).
 * Secrets travel only in `secretEnv` (listed in `redact`); descriptions never hold them.
 *
 * Backup → restore is physical: preparePrimary opens a one-shot listener on the
 * primary (socat, the twin's address only, 900 s to connect, token = hash of the
 * replication password) that streams `mariadb-backup --backup --stream=xbstream`
 * (`xtrabackup` for MySQL); restoreReplica, on the twin, pulls it into `mbstream -x`,
 * prepares it, sets gtid_slave_pos / gtid_purged from xtrabackup_binlog_info and
 * starts GTID replication. Users and privileges come with the copy (the mysql schema
 * is in it).
 *
 * Switchover and rejoin: demote refuses writes durably (read_only in the included option
 * file, MySQL also SET PERSIST; marker twinstack.demoted) and reports the final GTID
 * position; rejoin compares the old primary's history with the new primary's GTIDs
 * (read from it as the replication user) and either re-points it in place or, when it
 * holds errant transactions, saves them aside and fences it for a restore. No
 * `forkPosition` here: GTIDs name their origin, so divergence is a set difference.
 */
import type { CommandResult } from '../../command.ts';
import type { Database, Host } from '../../model.ts';
import { InvalidInputError } from '../../errors.ts';
import type { DatabaseEngine, DatabaseSecrets, DatabaseStatus, EngineTarget, PrepareTarget, RejoinTarget, RestoreTarget } from '../database-engine.ts';
import { scriptCommandBuilder } from '../script-command.ts';
import { checkHostAddress, checkIdentifier, checkIpv4, checkPort, checkRemovableDataDir } from '../remote-arguments.ts';
import { gtidDiff } from './gtid-set.ts';
import { checkReplicaName, checkSecret, nodeArguments, serverIdOf } from './mysql-arguments.ts';
import { MYSQL_SCRIPTS } from './mysql-scripts.ts';
import { mysqlSettings, type MysqlDialect } from './mysql-settings.ts';
import { parseMysqlDemotion, parseMysqlRejoin, parseMysqlStatus, type MysqlDatabaseStatus } from './parse-mysql-status.ts';

/** Command timeouts of the failover steps (same budget as PostgreSQL's: status + promote + status < 150 s). */
export const STATUS_TIMEOUT_MS = 20_000;
export const PROMOTE_TIMEOUT_MS = 100_000;
export const FENCE_TIMEOUT_MS = 90_000;
export const DEMOTE_TIMEOUT_MS = 60_000;
/** Rejoin may restart the server twice and read the binary logs (divergence). */
export const REJOIN_TIMEOUT_MS = 600_000;
/** startReplication waits this long at most for the exact caught-up check. */
export const CATCH_UP_WAIT_SECONDS = 60;

const scriptCommand = scriptCommandBuilder(nodeArguments);

const LABEL: Readonly<Record<MysqlDialect, string>> = { mariadb: 'MariaDB', mysql: 'MySQL' };

function facts(status: DatabaseStatus): MysqlDatabaseStatus['mysql'] {
  return (status as MysqlDatabaseStatus).mysql;
}

/** The engine of one dialect. */
export function createMysqlEngine(dialect: MysqlDialect): DatabaseEngine {
  const scripts = MYSQL_SCRIPTS[dialect];
  const label = LABEL[dialect];
  const where = (target: EngineTarget): string => `${dialect} ${target.database.name} on ${target.host.name}`;
  const semiTimeout = (database: Database): string => String(mysqlSettings(database).semiSyncTimeoutMs);

  return {
    name: dialect,
    lagUnit: 'transactions',
    sql: true,
    envPrefix: 'MYSQL',

    /** `report_host:report_port` as the primary lists it (SHOW SLAVE HOSTS / SHOW REPLICAS); restoreReplica sets both. */
    replicaName(database: Database, _twinStack: string, twinHost: Host) {
      return `${checkHostAddress('twin address', twinHost.address)}:${checkPort(database.port)}`;
    },

    compatibilityProblems(primary, twin) {
      const problems: string[] = [];
      const p = facts(primary);
      const t = facts(twin);
      for (const [side, f] of [['primary', p], ['twin', t]] as const) {
        if (f && f.dialect !== dialect) {
          problems.push(`the ${side} runs ${LABEL[f.dialect]} (${side === 'primary' ? primary.version : twin.version}) but the database is configured as engine ${dialect}: set \`engine: ${f.dialect}\` or install ${label} on the ${side}`);
        }
      }
      if (p && t && p.dialect === t.dialect && p.series !== t.series) {
        problems.push(`the primary runs ${label} ${p.series} and the twin ${t.series}: a physical backup needs the same release series (install ${label} ${p.series} on the twin)`);
      }
      if (p && !p.logBin) problems.push('binary logging is off on the primary: set log_bin=mysql-bin and binlog_format=ROW in its option file and restart it');
      if (p && !p.gtidEnforced) {
        problems.push(dialect === 'mariadb' ? 'gtid_strict_mode is off on the primary: set gtid_strict_mode=ON in its option file (SET GLOBAL gtid_strict_mode=ON applies it now)' : 'GTIDs are off on the primary: set gtid_mode=ON and enforce_gtid_consistency=ON and restart it');
      }
      if (p && p.serverId === 0) problems.push('server_id is 0 on the primary: set a non-zero server_id in its option file');
      // Not here: a twin sharing the primary's server_id (a clone) or holding errant GTIDs is
      // fixed by the restore itself (it derives its server_id from its address and replaces
      // its data); errant GTIDs reach the failover decision through `errantTransactions`.
      return problems;
    },

    preparePrimary(target: PrepareTarget, secrets: DatabaseSecrets) {
      const s = mysqlSettings(target.database);
      return scriptCommand({
        description: `prepare ${where(target)} as primary for replica ${checkReplicaName(target.replicaName)} (${target.database.replication.mode})`,
        script: scripts.preparePrimary,
        target,
        args: [
          checkIdentifier('replication user', s.replicationUser),
          checkIdentifier('app user', s.appUser),
          checkIdentifier('database', s.database),
          checkIpv4('replica address', target.replicaAddress),
          checkPort(s.backupPort),
          target.database.replication.mode === 'sync' ? 'on' : 'off',
          semiTimeout(target.database),
        ],
        secretEnv: {
          TWINSTACK_REPLICATION_PASSWORD: checkSecret('replication password', secrets.replicationPassword),
          TWINSTACK_APP_PASSWORD: checkSecret('app password', secrets.appPassword),
        },
        timeoutMs: 100_000,
      });
    },

    restoreReplica(target: RestoreTarget, secrets: DatabaseSecrets) {
      const s = mysqlSettings(target.database);
      checkRemovableDataDir(s.dataDir);
      const [reportHost, reportPort] = checkReplicaName(target.replicaName).split(':') as [string, string];
      return scriptCommand({
        description: `restore ${where(target)} as replica ${target.replicaName} of ${target.primaryHost.name} (physical backup stream)`,
        script: scripts.restoreReplica,
        target,
        args: [
          checkHostAddress('primary address', target.primaryHost.address),
          checkIdentifier('replication user', s.replicationUser),
          reportHost,
          reportPort,
          String(serverIdOf(target.host.address)),
          checkPort(s.backupPort),
        ],
        secretEnv: { TWINSTACK_REPLICATION_PASSWORD: checkSecret('replication password', secrets.replicationPassword) },
        // A detached job on the twin host: the stream has its own 600 s inactivity limit.
        timeoutMs: 6 * 3600_000,
      });
    },

    startReplication(target: RestoreTarget, secrets: DatabaseSecrets) {
      const s = mysqlSettings(target.database);
      return scriptCommand({
        description: `start replication of ${where(target)} from ${target.primaryHost.name} and wait (≤ ${CATCH_UP_WAIT_SECONDS} s) until caught up`,
        script: scripts.startReplication,
        target,
        args: [checkHostAddress('primary address', target.primaryHost.address), checkIdentifier('replication user', s.replicationUser), String(CATCH_UP_WAIT_SECONDS)],
        secretEnv: { TWINSTACK_REPLICATION_PASSWORD: checkSecret('replication password', secrets.replicationPassword) },
        timeoutMs: 150_000,
      });
    },

    status(target) {
      return scriptCommand({ description: `status of ${where(target)}`, script: scripts.status, target, timeoutMs: STATUS_TIMEOUT_MS });
    },

    parseStatus(result: CommandResult): DatabaseStatus {
      return parseMysqlStatus(dialect, result);
    },

    positionDiff(to, from) {
      return gtidDiff(dialect, to, from);
    },

    fence(target) {
      return scriptCommand({ description: `fence ${where(target)}`, script: scripts.fence, target, timeoutMs: FENCE_TIMEOUT_MS });
    },

    promote(target) {
      return scriptCommand({ description: `promote ${where(target)}`, script: scripts.promote, target, timeoutMs: PROMOTE_TIMEOUT_MS });
    },

    demote(target) {
      return scriptCommand({ description: `demote ${where(target)} (refuse writes, report the final position)`, script: scripts.demote, target, timeoutMs: DEMOTE_TIMEOUT_MS });
    },

    parseDemotion(result) {
      const { position, wasWritable } = parseMysqlDemotion(dialect, result);
      return { position, wasWritable };
    },

    undoDemote(target) {
      return scriptCommand({ description: `undo the demotion of ${where(target)} (writes back)`, script: scripts.undoDemote, target, timeoutMs: 30_000 });
    },

    /**
     * The old primary (`target.host`) joins the new one (`primaryHost`) as replica
     * `replicaName`; the script reads the new primary's GTIDs itself, at that moment, as the
     * replication user (preparePrimary on the new primary must allow this host's address).
     */
    rejoin(target: RejoinTarget, secrets: DatabaseSecrets) {
      const s = mysqlSettings(target.database);
      const [reportHost, reportPort] = checkReplicaName(target.replicaName).split(':') as [string, string];
      const newPrimary = target.primaryStatus;
      if (newPrimary.role !== 'primary' || !newPrimary.writable) {
        throw new InvalidInputError(
          `rejoin of ${where(target)}: primaryStatus of ${target.primaryHost.name} is ${newPrimary.writable ? 'a writable' : 'a read-only'} ${newPrimary.role}, not the writable new primary: promote it (and observe it again) first`,
        );
      }
      return scriptCommand({
        description: `rejoin ${where(target)} as replica ${target.replicaName} of ${target.primaryHost.name} (divergent transactions saved aside first)`,
        script: scripts.rejoin,
        target,
        args: [checkHostAddress('primary address', target.primaryHost.address), checkIdentifier('replication user', s.replicationUser), reportHost, reportPort],
        secretEnv: { TWINSTACK_REPLICATION_PASSWORD: checkSecret('replication password', secrets.replicationPassword) },
        timeoutMs: REJOIN_TIMEOUT_MS,
      });
    },

    parseRejoin(result) {
      return parseMysqlRejoin(dialect, result);
    },

    /** Semi-sync acknowledges from any one replica: a non-empty list turns it on (AFTER_SYNC), an empty one off. */
    setSynchronousReplicas(target, replicaNames) {
      replicaNames.forEach(checkReplicaName);
      return scriptCommand({
        description: `set synchronous replicas of ${where(target)} to [${replicaNames.join(', ')}] (semi-sync ${replicaNames.length > 0 ? 'on' : 'off'})`,
        script: scripts.setSynchronousReplicas,
        target,
        args: [replicaNames.length > 0 ? 'on' : 'off', semiTimeout(target.database)],
        timeoutMs: 30_000,
      });
    },

    connection(target, secrets) {
      const s = mysqlSettings(target.database);
      const host = checkHostAddress('host address', target.host.address);
      const user = checkIdentifier('app user', s.appUser);
      const database = checkIdentifier('database', s.database);
      const port = checkPort(target.database.port);
      return { address: `${host}:${port}`, url: `mysql://${user}:${encodeURIComponent(secrets.appPassword)}@${host}:${port}/${database}` };
    },
  };
}

export const mariadbEngine = createMysqlEngine('mariadb');
export const mysqlEngine = createMysqlEngine('mysql');
