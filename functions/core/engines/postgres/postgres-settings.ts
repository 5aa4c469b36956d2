/**
 * PostgreSQL's own settings block (`postgres:` in a database entry): its type,
 * schema with defaults, and field hints.
 *
 * Node convention (engine, local lab and docs agree on it): per-node settings
 * live on the pg_ctl command line, never in postgresql.conf, because
 * pg_basebackup and pg_rewind copy the configuration files from the other node:
 *
 *   pg_ctl -D <dataDir> -l <dataDir>.log -w -t 60 \
 *     -o "-c port=<port> -c listen_addresses=<addr> -c unix_socket_directories=<socketDir>" start
 *
 * where <addr> is the host's address for `listenOn: host-address`, else `*`.
 * Cluster-wide settings (wal_level, wal_keep_size, …) are set with ALTER SYSTEM.
 */
import { z } from 'zod';
import { absolutePathField, sqlNameField, type FieldHint } from '../../config/setting-fields.ts';
import { InvalidInputError } from '../../errors.ts';
import type { Database } from '../../model.ts';

export interface PostgresSettings {
  /** Data directory of the cluster on the database host. */
  readonly dataDir: string;
  /** Directory of pg_ctl, pg_basebackup, psql … on the host. */
  readonly binDir: string;
  /** Unix socket directory used for local superuser connections. */
  readonly socketDir: string;
  /** Local superuser role the SSH user connects as through the socket. */
  readonly superuser: string;
  /** Database the application uses. */
  readonly database: string;
  /** Role the application connects as (non-superuser). */
  readonly appUser: string;
  /** Role used by the replica to stream WAL. */
  readonly replicationUser: string;
  /**
   * `all`: listen on every interface (`*`, the usual choice on EC2 behind NAT);
   * `host-address`: listen only on the host's `address` (loopback lab hosts share port numbers).
   */
  readonly listenOn: 'all' | 'host-address';
}

export const POSTGRES_LOG_SUFFIX = '.log';

const SQL_RULE = 'a lower-case letter or "_", then up to 62 lower-case letters, digits or "_"';
const PATH_RULE = 'an absolute path of letters, digits, ".", "_", "-" and "/" (no "..", no whitespace, no shell metacharacters)';

export const POSTGRES_FIELD_HINTS = {
  postgres: { expect: 'PostgreSQL settings', fix: 'remove the key for the defaults, or give only the settings that differ' },
  dataDir: { expect: PATH_RULE, fix: "use the cluster's data directory, e.g. `/var/lib/postgresql/15/main`" },
  binDir: { expect: PATH_RULE, fix: 'use the directory of pg_ctl, e.g. `/usr/lib/postgresql/15/bin`' },
  socketDir: { expect: PATH_RULE, fix: 'use the Unix socket directory, e.g. `/var/run/postgresql`' },
  superuser: { expect: `a role name: ${SQL_RULE}`, fix: 'use the local superuser role, usually `postgres`' },
  database: { expect: `a database name: ${SQL_RULE}`, fix: 'use the name of the application database, e.g. `app`' },
  appUser: { expect: `a role name: ${SQL_RULE}`, fix: 'use the (non-superuser) role the application connects as, e.g. `app`' },
  replicationUser: { expect: `a role name: ${SQL_RULE}`, fix: 'use e.g. `twinstack_replicator`' },
  listenOn: { expect: '`all` or `host-address`', fix: 'write `listenOn: all` (EC2) or `listenOn: host-address` (loopback lab hosts)' },
} as const satisfies Record<string, FieldHint>;

const hint = POSTGRES_FIELD_HINTS;

export const postgresSettingsSchema: z.ZodType<PostgresSettings> = z
  .strictObject({
    dataDir: absolutePathField(hint.dataDir).default('/var/lib/postgresql/15/main'),
    binDir: absolutePathField(hint.binDir).default('/usr/lib/postgresql/15/bin'),
    socketDir: absolutePathField(hint.socketDir).default('/var/run/postgresql'),
    superuser: sqlNameField(hint.superuser).default('postgres'),
    database: sqlNameField(hint.database).default('app'),
    appUser: sqlNameField(hint.appUser).default('app'),
    replicationUser: sqlNameField(hint.replicationUser).default('twinstack_replicator'),
    listenOn: z.enum(['all', 'host-address']).default('all').describe(hint.listenOn.expect),
  })
  .describe(hint.postgres.expect);

/** A database entry of this engine. */
export type PostgresDatabase = Extract<Database, { readonly engine: 'postgres' }>;

/** The PostgreSQL settings of `database`; InvalidInputError for a database of another engine. */
export function postgresSettings(database: Database): PostgresSettings {
  if (database.engine !== 'postgres') throw new InvalidInputError(`database ${database.name} is ${String((database as { engine: unknown }).engine)}, not postgres`);
  return database.postgres;
}
