/**
 * The MySQL family's own settings block (`mysql:` in a database entry, for both
 * `engine: mariadb` and `engine: mysql`): type, schema with defaults, field hints.
 *
 * Node convention (engine, lab and docs agree on it): the server is started as
 *
 *   <serverBin> --defaults-file=<configFile> --datadir=<dataDir> --socket=<socket> \
 *     --port=<port> --bind-address=<addr> --pid-file=<dataDir>/mysqld.pid
 *
 * where <addr> is the host's address for `listenOn: host-address`, else `0.0.0.0`.
 * `configFile` is the operator's file (binary log, GTID and server settings; the
 * same values as the command line, so an operator's restart agrees); twinstack owns
 * `<dataDir>.twinstack.cnf`, `!include`d at the end of it, where it keeps what
 * survives a restart: server_id and report_host/port of a twin, the fence
 * (read_only …), semi-sync. Log: `<dataDir>.log`. The admin user connects over
 * the Unix socket with `unix_socket`/`auth_socket` authentication, as the SSH user.
 */
import { z } from 'zod';
import { absolutePathField, portField, sqlNameField, type FieldHint } from '../../config/setting-fields.ts';
import { InvalidInputError } from '../../errors.ts';
import type { Database } from '../../model.ts';

export type MysqlDialect = 'mariadb' | 'mysql';

export interface MysqlSettings {
  /** Data directory on the database host (emptied by a restore). */
  readonly dataDir: string;
  /** The server's option file (see the node convention above). */
  readonly configFile: string;
  /** Directory of the client tools (`mariadb`, `mariadb-admin`, `mariadb-backup`, `mbstream` / `mysql`, `mysqladmin`, `xtrabackup`, `xbstream`). */
  readonly binDir: string;
  /** The server program (`/usr/sbin/mariadbd` / `/usr/sbin/mysqld`). */
  readonly serverBin: string;
  /** Unix socket the admin user connects through. */
  readonly socket: string;
  /** Account with all privileges that authenticates by the OS user over the socket (unix_socket / auth_socket). */
  readonly adminUser: string;
  /** Database the application uses. */
  readonly database: string;
  /** User the application connects as (no SUPER, no admin privileges). */
  readonly appUser: string;
  /** User the twin replicates as (REPLICATION SLAVE/CLIENT only). */
  readonly replicationUser: string;
  /** `all` (0.0.0.0) or `host-address` (only the host's address: loopback lab hosts share ports). */
  readonly listenOn: 'all' | 'host-address';
  /** TCP port of the primary's one-shot backup stream (opened by preparePrimary for the twin's address only). */
  readonly backupPort: number;
  /** Semi-sync: milliseconds a commit waits for the twin's acknowledgement before the primary falls back to async. */
  readonly semiSyncTimeoutMs: number;
}

const SQL_RULE = 'a lower-case letter or "_", then up to 62 lower-case letters, digits or "_"';
const PATH_RULE = 'an absolute path of letters, digits, ".", "_", "-" and "/" (no "..", no whitespace, no shell metacharacters)';

export const MYSQL_FIELD_HINTS = {
  mysql: { expect: 'MariaDB/MySQL settings', fix: 'remove the key for the defaults, or give only the settings that differ' },
  dataDir: { expect: PATH_RULE, fix: 'use the server\'s datadir, e.g. `/var/lib/mysql`' },
  configFile: { expect: PATH_RULE, fix: 'use the option file the server starts with, e.g. `/etc/mysql/my.cnf` (writable by the SSH user)' },
  binDir: { expect: PATH_RULE, fix: 'use the directory of the client tools, e.g. `/usr/bin`' },
  serverBin: { expect: PATH_RULE, fix: 'use the server program, e.g. `/usr/sbin/mariadbd` or `/usr/sbin/mysqld`' },
  socket: { expect: PATH_RULE, fix: 'use the server\'s Unix socket, e.g. `/run/mysqld/mysqld.sock`' },
  adminUser: { expect: `a user name: ${SQL_RULE}`, fix: 'use the account that logs in by unix_socket as the SSH user, e.g. `root` when SSH logs in as root' },
  database: { expect: `a database name: ${SQL_RULE}`, fix: 'use the name of the application database, e.g. `app`' },
  appUser: { expect: `a user name: ${SQL_RULE}`, fix: 'use the (non-privileged) user the application connects as, e.g. `app`' },
  replicationUser: { expect: `a user name: ${SQL_RULE}`, fix: 'use e.g. `twinstack_replicator`' },
  listenOn: { expect: '`all` or `host-address`', fix: 'write `listenOn: all` (EC2) or `listenOn: host-address` (loopback lab hosts)' },
  backupPort: { expect: 'a TCP port, 1–65535', fix: 'use a port the twin may reach on the primary, e.g. `4444`' },
  semiSyncTimeoutMs: { expect: 'milliseconds, 100–3600000', fix: 'use e.g. `10000`: after it, a commit no longer waits and the primary runs async' },
} as const satisfies Record<string, FieldHint>;

const hint = MYSQL_FIELD_HINTS;

/** The schema of one dialect (defaults differ only in the server program). */
export function mysqlSettingsSchema(dialect: MysqlDialect): z.ZodType<MysqlSettings> {
  return z
    .strictObject({
      dataDir: absolutePathField(hint.dataDir).default('/var/lib/mysql'),
      configFile: absolutePathField(hint.configFile).default(dialect === 'mariadb' ? '/etc/mysql/mariadb.cnf' : '/etc/mysql/my.cnf'),
      binDir: absolutePathField(hint.binDir).default('/usr/bin'),
      serverBin: absolutePathField(hint.serverBin).default(dialect === 'mariadb' ? '/usr/sbin/mariadbd' : '/usr/sbin/mysqld'),
      socket: absolutePathField(hint.socket).default('/run/mysqld/mysqld.sock'),
      adminUser: sqlNameField(hint.adminUser).default('root'),
      database: sqlNameField(hint.database).default('app'),
      appUser: sqlNameField(hint.appUser).default('app'),
      replicationUser: sqlNameField(hint.replicationUser).default('twinstack_replicator'),
      listenOn: z.enum(['all', 'host-address']).default('all').describe(hint.listenOn.expect),
      backupPort: portField(hint.backupPort).default(4444),
      semiSyncTimeoutMs: z.int().min(100).max(3_600_000).default(10_000).describe(hint.semiSyncTimeoutMs.expect),
    })
    .describe(hint.mysql.expect);
}

/** A database entry of the MySQL family, whatever the registry holds yet. */
/** A database entry of the MySQL family (either dialect). */
export type MysqlFamilyDatabase = Extract<Database, { readonly engine: 'mariadb' | 'mysql' }>;

/** The MySQL-family settings of `database`; InvalidInputError for another engine. */
export function mysqlSettings(database: Database): MysqlSettings {
  if (database.engine !== 'mariadb' && database.engine !== 'mysql') {
    throw new InvalidInputError(`database ${database.name} is ${database.engine}, not mariadb or mysql`);
  }
  return database.mysql;
}
