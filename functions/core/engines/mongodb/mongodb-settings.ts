/**
 * MongoDB's own settings block (`mongodb:` in a database entry): its type, schema
 * with defaults, and field hints.
 *
 * Node convention (engine, docs and a future lab agree on it):
 * - the primary's mongod is the user's (run by their service manager) and must
 *   already be a replica-set member (`replication.replSetName: <replicaSetName>`)
 *   with internal authentication `security.keyFile: <keyFile>`; twinstack never
 *   restarts it;
 * - the twin's mongod is started by twinstack with every per-node setting on its
 *   command line: `mongod --replSet <replicaSetName> --keyFile <keyFile> --dbpath
 *   <dbPath> --port <port> --bind_ip <addr>|--bind_ip_all --fork --logpath
 *   <dbPath>/twinstack-mongod.log --logappend`;
 * - the keyFile's content is derived from the group's replication secret
 *   (base64 of its UTF-8 bytes, so it is always valid keyFile text), written 0400;
 * - twinstack's own scripts authenticate as `adminUser` (role `root`, password the
 *   replication secret) read from `<dbPath>/twinstack.admin-auth` (0600) inside
 *   mongosh; markers `twinstack.fenced` / `twinstack.promoted` live beside it in
 *   `dbPath` (the SSH user owns dbPath, usually not its parent).
 */
import { z } from 'zod';
import { absolutePathField, matching, sqlNameField, type FieldHint } from '../../config/setting-fields.ts';
import { InvalidInputError } from '../../errors.ts';
import type { DatabaseCommon } from '../engine-plugin.ts';

export interface MongodbSettings {
  /** `replication.replSetName` of the primary's set; the twin joins this set. */
  readonly replicaSetName: string;
  /** `security.keyFile` on every member (the same path on both hosts). */
  readonly keyFile: string;
  /** mongosh on the database host. */
  readonly mongoshPath: string;
  /** mongod on the database host (the twin's mongod is started by twinstack). */
  readonly mongodPath: string;
  /** `storage.dbPath`, owned by the SSH user; emptied on the twin by a restore. */
  readonly dbPath: string;
  /** Database the application uses. */
  readonly database: string;
  /** User the application connects as (`readWrite` on `database`, created in it). */
  readonly appUser: string;
  /** User twinstack's scripts authenticate as (`root` on `admin`); its password is the replication secret. */
  readonly adminUser: string;
  /**
   * Votes of the twin's member while the twin is passive in `async` mode (its
   * priority is always 0 while passive, so it is never elected by MongoDB itself).
   *
   * - `0` (default): the twin neither votes nor counts towards `w: "majority"`.
   *   The primary region keeps its own majority: losing the twin region changes
   *   nothing there, but a majority-acknowledged write may not have reached the twin
   *   (async: loss up to the lag, reported in seconds of oplog).
   * - `1`: the twin votes and counts towards the majority. With a one-member primary
   *   region (2 voters, majority 2) the primary STEPS DOWN when the twin region is
   *   unreachable, and every `w: "majority"` write waits for the twin: add a third
   *   voter (a member or an arbiter) in the primary region if you want that.
   *
   * `sync` mode always gives the twin 1 vote and sets the default write concern to
   * `w: "majority"` (see README.md beside this file).
   */
  readonly twinVotes: 0 | 1;
  /**
   * `all`: mongod listens on every interface (the twin: `--bind_ip_all`); scripts
   * reach it at 127.0.0.1. `host-address`: only the host's address (loopback lab hosts).
   */
  readonly listenOn: 'all' | 'host-address';
}

export const MONGODB_FENCED_MARKER = 'twinstack.fenced';
export const MONGODB_PROMOTED_MARKER = 'twinstack.promoted';
export const MONGODB_ADMIN_AUTH_FILE = 'twinstack.admin-auth';

/** Replica set names: letters, digits, `_` and `-` (MongoDB allows more; we allow what needs no quoting anywhere). */
export const REPLICA_SET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;

const NAME_RULE = 'a lower-case letter or "_", then up to 62 lower-case letters, digits or "_"';
const PATH_RULE = 'an absolute path of letters, digits, ".", "_", "-" and "/" (no "..", no whitespace, no shell metacharacters)';

export const MONGODB_FIELD_HINTS = {
  mongodb: { expect: 'MongoDB settings', fix: 'remove the key for the defaults, or give only the settings that differ' },
  replicaSetName: { expect: 'a replica set name: letters, digits, "_" and "-", up to 63', fix: "use the primary's `replication.replSetName`, e.g. `rs0`" },
  keyFile: { expect: PATH_RULE, fix: 'use the `security.keyFile` path of your members, e.g. `/etc/mongodb/keyfile` (the same path on both hosts)' },
  mongoshPath: { expect: PATH_RULE, fix: 'use the path of mongosh, e.g. `/usr/bin/mongosh`' },
  mongodPath: { expect: PATH_RULE, fix: 'use the path of mongod, e.g. `/usr/bin/mongod`' },
  dbPath: { expect: PATH_RULE, fix: "use mongod's `storage.dbPath`, owned by the SSH user, e.g. `/var/lib/mongodb`" },
  database: { expect: `a database name: ${NAME_RULE}`, fix: 'use the name of the application database, e.g. `app`' },
  appUser: { expect: `a user name: ${NAME_RULE}`, fix: 'use the user the application connects as, e.g. `app`' },
  adminUser: { expect: `a user name: ${NAME_RULE}`, fix: 'use e.g. `twinstack_admin` (created by twinstack with role root)' },
  twinVotes: {
    expect: '0 or 1',
    fix: 'write `twinVotes: 0` (default: the twin never blocks the primary region) or `twinVotes: 1` (the twin votes and counts towards majority writes)',
  },
  listenOn: { expect: '`all` or `host-address`', fix: 'write `listenOn: all` (EC2) or `listenOn: host-address` (loopback lab hosts)' },
} as const satisfies Record<string, FieldHint>;

const hint = MONGODB_FIELD_HINTS;

export const mongodbSettingsSchema: z.ZodType<MongodbSettings> = z
  .strictObject({
    replicaSetName: matching(hint.replicaSetName, REPLICA_SET_NAME, 'a replica set name').default('rs0'),
    keyFile: absolutePathField(hint.keyFile).default('/etc/mongodb/keyfile'),
    mongoshPath: absolutePathField(hint.mongoshPath).default('/usr/bin/mongosh'),
    mongodPath: absolutePathField(hint.mongodPath).default('/usr/bin/mongod'),
    dbPath: absolutePathField(hint.dbPath).default('/var/lib/mongodb'),
    database: sqlNameField(hint.database).default('app'),
    appUser: sqlNameField(hint.appUser).default('app'),
    adminUser: sqlNameField(hint.adminUser).default('twinstack_admin'),
    twinVotes: z.union([z.literal(0), z.literal(1)]).default(0).describe(hint.twinVotes.expect),
    listenOn: z.enum(['all', 'host-address']).default('all').describe(hint.listenOn.expect),
  })
  .describe(hint.mongodb.expect);

/** A database entry of the mongodb engine (as the plug-in describes it). */
export type MongodbDatabase = DatabaseCommon & { readonly engine: 'mongodb'; readonly mongodb: MongodbSettings };

/**
 * The MongoDB settings of `database`; InvalidInputError for a database of another
 * engine. Structural, so it works before and after the plug-in joins the model's union.
 */
export function mongodbSettings(database: { readonly name: string; readonly engine: string }): MongodbSettings {
  const settings = (database as { readonly mongodb?: MongodbSettings }).mongodb;
  if (database.engine !== 'mongodb' || settings === undefined) throw new InvalidInputError(`database ${database.name} is ${database.engine}, not mongodb`);
  return settings;
}

/** The votes the twin's member(s) should have: 1 in `sync` mode, else the configured `twinVotes`. */
export function twinVotesFor(mode: 'async' | 'sync', settings: MongodbSettings): 0 | 1 {
  return mode === 'sync' ? 1 : settings.twinVotes;
}
