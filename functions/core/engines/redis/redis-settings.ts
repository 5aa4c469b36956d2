/**
 * Redis's own settings block (`redis:` in a database entry): its type, schema
 * with defaults, and field hints.
 *
 * Node convention (engine, local lab and docs agree on it):
 * - the server runs from `configFile` (`redis-server <configFile>`), started and
 *   restarted by whatever manages it on the host (systemd, the lab); twinstack never
 *   starts a Redis server, it only talks to a running one. Everything twinstack
 *   changes at run time (`replicaof`, `masterauth`, `min-replicas-to-write`, ACL
 *   users) it persists with CONFIG REWRITE (or ACL SAVE with an `aclfile`), so a
 *   restart keeps it;
 * - `dataDir` is the server's `dir` and belongs to the SSH user: twinstack's markers
 *   (`twinstack.fenced`, `twinstack.promoted`) and the host-local admin credential
 *   (`twinstack.admin-auth`, 0600) live there beside the RDB;
 * - the config file holds the twin's `masterauth` in clear text (Redis has no other
 *   way): it is kept 0600 (each script restores the mode after a CONFIG REWRITE,
 *   which recreates the file 0644).
 */
import { z } from 'zod';
import { absolutePathField, sqlNameField, type FieldHint } from '../../config/setting-fields.ts';
import { InvalidInputError } from '../../errors.ts';
import type { DatabaseCommon } from '../engine-plugin.ts';

export interface RedisSettings {
  /** The server's `dir` (RDB, markers, admin credential), owned by the SSH user. */
  readonly dataDir: string;
  /** The config file the server was started with (CONFIG REWRITE writes it). */
  readonly configFile: string;
  /** Directory of redis-cli (and redis-server) on the host. */
  readonly binDir: string;
  /** ACL user the application connects as (no @admin commands). */
  readonly appUser: string;
  /** ACL user the twin replicates as (`masteruser`): `+psync +replconf +ping` only. */
  readonly replicationUser: string;
  /** ACL user twinstack's own scripts use on each host; its password never leaves the host. */
  readonly adminUser: string;
  /**
   * `all`: the server listens on every interface; twinstack's scripts reach it at
   * 127.0.0.1. `host-address`: it listens on the host's `address` only (loopback lab
   * hosts share port numbers); scripts reach it there.
   */
  readonly listenOn: 'all' | 'host-address';
  /**
   * `sync` mode: the primary refuses writes unless a replica acknowledged within
   * this many seconds (`min-replicas-max-lag`). It bounds, it does not prevent, loss.
   */
  readonly syncMaxLagSeconds: number;
}

/** Marker files in `dataDir`, and the host-local admin credential. */
export const REDIS_FENCED_MARKER = 'twinstack.fenced';
export const REDIS_PROMOTED_MARKER = 'twinstack.promoted';
export const REDIS_ADMIN_AUTH_FILE = 'twinstack.admin-auth';

/**
 * `min-replicas-to-write` values twinstack uses as durable write refusals (every write
 * answers NOREPLICAS: no server has that many replicas). Two values, so a status read
 * tells them apart: the fence's, and one below it for a switchover's demotion.
 */
export const FENCE_MIN_REPLICAS = 2147483647;
export const DEMOTE_MIN_REPLICAS = 2147483646;

const NAME_RULE = 'a lower-case letter or "_", then up to 62 lower-case letters, digits or "_"';
const PATH_RULE = 'an absolute path of letters, digits, ".", "_", "-" and "/" (no "..", no whitespace, no shell metacharacters)';

export const REDIS_FIELD_HINTS = {
  redis: { expect: 'Redis settings', fix: 'remove the key for the defaults, or give only the settings that differ' },
  dataDir: { expect: PATH_RULE, fix: "use the server's `dir`, owned by the SSH user, e.g. `/var/lib/redis`" },
  configFile: { expect: PATH_RULE, fix: 'use the file redis-server is started with, writable by the SSH user, e.g. `/etc/redis/redis.conf`' },
  binDir: { expect: PATH_RULE, fix: 'use the directory of redis-cli, e.g. `/usr/bin`' },
  appUser: { expect: `an ACL user name: ${NAME_RULE}`, fix: 'use the ACL user the application connects as, e.g. `app`' },
  replicationUser: { expect: `an ACL user name: ${NAME_RULE}`, fix: 'use e.g. `twinstack_replicator`' },
  adminUser: { expect: `an ACL user name: ${NAME_RULE}`, fix: 'use e.g. `twinstack_admin` (created by twinstack; its password stays on the host)' },
  listenOn: { expect: '`all` or `host-address`', fix: 'write `listenOn: all` (EC2) or `listenOn: host-address` (loopback lab hosts)' },
  syncMaxLagSeconds: { expect: 'a whole number of seconds from 1 to 60', fix: 'use e.g. `10`: in sync mode the primary refuses writes when no replica acknowledged within it' },
} as const satisfies Record<string, FieldHint>;

const hint = REDIS_FIELD_HINTS;

export const redisSettingsSchema: z.ZodType<RedisSettings> = z
  .strictObject({
    dataDir: absolutePathField(hint.dataDir).default('/var/lib/redis'),
    configFile: absolutePathField(hint.configFile).default('/etc/redis/redis.conf'),
    binDir: absolutePathField(hint.binDir).default('/usr/bin'),
    appUser: sqlNameField(hint.appUser).default('app'),
    replicationUser: sqlNameField(hint.replicationUser).default('twinstack_replicator'),
    adminUser: sqlNameField(hint.adminUser).default('twinstack_admin'),
    listenOn: z.enum(['all', 'host-address']).default('all').describe(hint.listenOn.expect),
    syncMaxLagSeconds: z.int().min(1).max(60).default(10).describe(hint.syncMaxLagSeconds.expect),
  })
  .describe(hint.redis.expect);

/** A database entry of the redis engine (as the plug-in describes it). */
export type RedisDatabase = DatabaseCommon & { readonly engine: 'redis'; readonly redis: RedisSettings };

/**
 * The Redis settings of `database`; InvalidInputError for a database of another
 * engine. Takes any database entry (structurally) so it serves both before and
 * after the plug-in is part of the model's `Database` union.
 */
export function redisSettings(database: { readonly name: string; readonly engine: string }): RedisSettings {
  const settings = (database as { readonly redis?: RedisSettings }).redis;
  if (database.engine !== 'redis' || settings === undefined) throw new InvalidInputError(`database ${database.name} is ${database.engine}, not redis`);
  return settings;
}
