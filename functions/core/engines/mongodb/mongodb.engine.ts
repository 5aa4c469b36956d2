/**
 * The MongoDB engine (replica sets, MongoDB 6/7): builds the commands of
 * DatabaseEngine and parses their output. It runs nothing.
 *
 * NOT YET TESTED AGAINST A LIVE SERVER (none can be installed on these machines):
 * built against MongoDB's documented commands and outputs; the plug-in says
 * `tested: 'recorded'` (README.md beside this file).
 *
 * The MongoDB way: the twin's member is a member of the PRIMARY'S replica set, not a
 * second set. It joins as a passive member (priority 0, votes per settings), is
 * seeded by initial sync, and is promoted, when the primary region is gone, by a
 * forced reconfiguration keeping only the reachable twin members.
 *
 * Replica identity: the member's `host` in the set's config, `<twin address>:<port>`.
 * Positions: optime `ts` as `<t>.<i>`; lag in SECONDS OF OPLOG (optime.ts).
 * Every command is `sh -c '<fixed script>' sh <validated args…>` (mongodb-scripts.ts);
 * secrets travel only in `secretEnv` (listed in `redact`).
 */
import type { CommandResult } from '../../command.ts';
import { InvalidInputError } from '../../errors.ts';
import type { Database, Host } from '../../model.ts';
import type { DatabaseConnection, DatabaseEngine, DatabaseSecrets, DatabaseStatus, EngineTarget, PrepareTarget, RejoinTarget, RestoreTarget } from '../database-engine.ts';
import { scriptCommandBuilder } from '../script-command.ts';
import { checkAbsolutePath, checkHostAddress, checkIdentifier, checkPort, checkRemovableDataDir, reject } from '../remote-arguments.ts';
import { isOptimePosition, optimeDiff } from './optime.ts';
import { describeForcedPromotion, parseMongodbDemotion, parseMongodbPromote, parseMongodbRejoin, parseMongodbStatus, type MongodbFacts } from './parse-mongodb-status.ts';
import {
  DEMOTE_SCRIPT,
  FENCE_SCRIPT,
  REJOIN_SCRIPT,
  UNDO_DEMOTE_SCRIPT,
  PREPARE_PRIMARY_SCRIPT,
  PROMOTE_SCRIPT,
  RESTORE_REPLICA_SCRIPT,
  SET_SYNCHRONOUS_REPLICAS_SCRIPT,
  START_REPLICATION_SCRIPT,
  STATUS_SCRIPT,
} from './mongodb-scripts.ts';
import { mongodbSettings, REPLICA_SET_NAME, twinVotesFor } from './mongodb-settings.ts';

/**
 * Command timeouts. Each script bounds its own waits below them (mongosh under
 * `timeout`, loops against deadlines). A step runs status + promote + status or
 * status + fence + status within 150 s. The restore is a detached job: initial sync
 * of a large set over a WAN may take hours.
 */
export const STATUS_TIMEOUT_MS = 20_000;
export const PROMOTE_TIMEOUT_MS = 100_000;
export const FENCE_TIMEOUT_MS = 90_000;
export const PREPARE_TIMEOUT_MS = 130_000;
export const START_TIMEOUT_MS = 170_000;
export const RESTORE_TIMEOUT_MS = 12 * 3600_000;
export const DEMOTE_TIMEOUT_MS = 100_000;
/** Rejoin: the wait (in the script) for ROLLBACK to end in SECONDARY, under its command timeout. */
export const REJOIN_WAIT_SECONDS = 600;
export const REJOIN_TIMEOUT_MS = (REJOIN_WAIT_SECONDS + 120) * 1000;
/** The restore script's own wait bound for SECONDARY, under its command timeout (stop + start take ≤ 190 s). */
export const RESTORE_WAIT_SECONDS = RESTORE_TIMEOUT_MS / 1000 - 300;

/** `host:port` of a member: validated, so it is safe in a script argument and a URI. */
export function memberName(address: string, port: number): string {
  return `${checkHostAddress('member address', address)}:${checkPort(port)}`;
}

function checkMemberName(value: string): string {
  const match = /^([^:]+):(\d{1,5})$/.exec(value);
  if (!match?.[1] || !match[2]) reject('replica member (host:port)', value);
  return memberName(match[1], Number(match[2]));
}

/**
 * The keyFile content for a replication secret: base64 of its UTF-8 bytes, always
 * 6–1024 characters of the keyFile alphabet for secrets of 5–765 bytes. Never logged.
 */
export function keyFileContent(replicationSecret: string): string {
  const bytes = new TextEncoder().encode(replicationSecret);
  if (bytes.length < 5 || bytes.length > 765) throw new InvalidInputError('the replication secret must be 5 to 765 bytes to derive a MongoDB keyFile');
  return btoa(String.fromCharCode(...bytes));
}

/** Where scripts reach mongod on its own host, and what the twin's mongod binds to. */
function connectAddress(target: EngineTarget): string {
  return mongodbSettings(target.database).listenOn === 'host-address' ? checkHostAddress('host address', target.host.address) : '127.0.0.1';
}

/**
 * The positional arguments every MongoDB script starts with, in this order: `$1`
 * mongosh, `$2` mongod, `$3` dbPath, `$4` connect address, `$5` port, `$6` replica
 * set name, `$7` keyFile, `$8` admin user, `$9` bind (`all` or the host address).
 */
export function nodeArguments(target: EngineTarget): readonly string[] {
  const m = mongodbSettings(target.database);
  if (!REPLICA_SET_NAME.test(m.replicaSetName)) reject('replica set name', m.replicaSetName);
  return [
    checkAbsolutePath('mongosh path', m.mongoshPath),
    checkAbsolutePath('mongod path', m.mongodPath),
    checkAbsolutePath('dbPath', m.dbPath),
    connectAddress(target),
    checkPort(target.database.port),
    m.replicaSetName,
    checkAbsolutePath('keyFile', m.keyFile),
    checkIdentifier('admin user', m.adminUser),
    m.listenOn === 'host-address' ? checkHostAddress('host address', target.host.address) : 'all',
  ];
}

const scriptCommand = scriptCommandBuilder(nodeArguments);

function where(target: EngineTarget): string {
  return `mongodb ${target.database.name} on ${target.host.name}`;
}

/** MongoDB's release line: `7.0` of `7.0.15` (4.x and earlier: `4.4`; 5+: the first number's X.0 line and its rapid releases). */
function releaseOf(version: string | undefined): string | undefined {
  const match = version === undefined ? undefined : /^(\d+)\.(\d+)/.exec(version);
  if (!match?.[1] || !match[2]) return undefined;
  return Number(match[1]) >= 5 ? match[1] : `${match[1]}.${match[2]}`;
}

/** The new primary's fork position (`<t>.<i>`, from its promotion marker), checked. */
function forkOf(target: RejoinTarget): string {
  const observed = target.primaryStatus;
  const fix = `observe the new primary (${target.primaryHost.name}) with status after its promotion and pass that status`;
  if (observed.role !== 'primary') throw new InvalidInputError(`primaryStatus.role is ${observed.role}, not primary: ${fix}`);
  if (observed.forkPosition === undefined || !isOptimePosition(observed.forkPosition)) {
    throw new InvalidInputError(`primaryStatus.forkPosition ${JSON.stringify(observed.forkPosition ?? null)} is not an optime <t>.<i> (a member twinstack did not promote has none): ${fix}`);
  }
  return observed.forkPosition;
}

function factsOf(status: DatabaseStatus): MongodbFacts | undefined {
  return (status as { readonly mongodb?: MongodbFacts }).mongodb;
}

export const mongodbEngine: DatabaseEngine = {
  name: 'mongodb',
  lagUnit: 'seconds',
  sql: false,
  envPrefix: 'MONGODB',

  replicaName(database: Database, _twinStack: string, twinHost: Host): string {
    return memberName(twinHost.address, database.port);
  },

  compatibilityProblems(primary, twin) {
    const problems: string[] = [];
    const [p, t] = [factsOf(primary), factsOf(twin)];
    if (p?.standalone === true) {
      problems.push('the primary is a standalone mongod, not a replica-set member: restart it with replication.replSetName and security.keyFile, run rs.initiate(), then replicate');
    }
    if (p?.setName !== undefined && t?.setName !== undefined && p.setName !== t.setName) {
      problems.push(`the primary is in replica set ${p.setName} and the twin in ${t.setName}: the twin must be a member of the primary's set (restore the twin)`);
    }
    const [pr, tr] = [releaseOf(primary.version), releaseOf(twin.version)];
    if (pr !== undefined && tr !== undefined && pr !== tr) {
      problems.push(`primary runs MongoDB ${primary.version} and the twin ${twin.version}: members of one set must run the same major release (install MongoDB ${pr} on the twin)`);
    }
    return problems;
  },

  preparePrimary(target: PrepareTarget, secrets: DatabaseSecrets) {
    const m = mongodbSettings(target.database);
    const mode = target.database.replication.mode;
    return scriptCommand({
      description: `prepare ${where(target)} as primary for twin member ${checkMemberName(target.replicaName)} (${mode})`,
      script: PREPARE_PRIMARY_SCRIPT,
      target,
      args: [checkIdentifier('app user', m.appUser), checkIdentifier('database', m.database), checkMemberName(target.replicaName), mode],
      secretEnv: {
        TWINSTACK_ADMIN_PASSWORD: secrets.replicationPassword,
        TWINSTACK_APP_PASSWORD: secrets.appPassword,
        TWINSTACK_KEYFILE_CONTENT: keyFileContent(secrets.replicationPassword),
      },
      timeoutMs: PREPARE_TIMEOUT_MS,
    });
  },

  restoreReplica(target: RestoreTarget, secrets: DatabaseSecrets) {
    checkRemovableDataDir(mongodbSettings(target.database).dbPath);
    return scriptCommand({
      description: `restore ${where(target)} as twin member ${checkMemberName(target.replicaName)} of ${target.primaryHost.name} (initial sync)`,
      script: RESTORE_REPLICA_SCRIPT,
      target,
      args: [memberName(target.primaryHost.address, target.database.port), String(RESTORE_WAIT_SECONDS)],
      secretEnv: { TWINSTACK_KEYFILE_CONTENT: keyFileContent(secrets.replicationPassword), TWINSTACK_ADMIN_PASSWORD: secrets.replicationPassword },
      timeoutMs: RESTORE_TIMEOUT_MS,
    });
  },

  startReplication(target: RestoreTarget, secrets: DatabaseSecrets) {
    const votes = twinVotesFor(target.database.replication.mode, mongodbSettings(target.database));
    return scriptCommand({
      description: `start replication of ${where(target)} from ${target.primaryHost.name} (votes ${votes}, priority 0)`,
      script: START_REPLICATION_SCRIPT,
      target,
      args: [memberName(target.primaryHost.address, target.database.port), checkMemberName(target.replicaName), String(votes)],
      secretEnv: { TWINSTACK_ADMIN_PASSWORD: secrets.replicationPassword },
      timeoutMs: START_TIMEOUT_MS,
    });
  },

  status(target) {
    return scriptCommand({ description: `status of ${where(target)}`, script: STATUS_SCRIPT, target, timeoutMs: STATUS_TIMEOUT_MS });
  },

  parseStatus(result: CommandResult): DatabaseStatus {
    return parseMongodbStatus(result);
  },

  positionDiff(to, from) {
    return optimeDiff(to, from);
  },

  fence(target) {
    return scriptCommand({ description: `fence ${where(target)} (step down, every member priority 0)`, script: FENCE_SCRIPT, target, timeoutMs: FENCE_TIMEOUT_MS });
  },

  promote(target) {
    return scriptCommand({
      description: `promote ${where(target)} (forced reconfiguration keeping the reachable twin members)`,
      script: PROMOTE_SCRIPT,
      target,
      timeoutMs: PROMOTE_TIMEOUT_MS,
    });
  },

  describePromotion(result) {
    // The reasons must say that force was used and what majority-committed writes it can roll back.
    return [describeForcedPromotion(parseMongodbPromote(result))];
  },

  demote(target) {
    return scriptCommand({ description: `demote ${where(target)} (every member priority 0, step down)`, script: DEMOTE_SCRIPT, target, timeoutMs: DEMOTE_TIMEOUT_MS });
  },

  parseDemotion(result) {
    return parseMongodbDemotion(result);
  },

  undoDemote(target) {
    return scriptCommand({ description: `undo the demotion of ${where(target)} (priorities back, step up)`, script: UNDO_DEMOTE_SCRIPT, target, timeoutMs: DEMOTE_TIMEOUT_MS });
  },

  rejoin(target: RejoinTarget, secrets: DatabaseSecrets) {
    const fork = forkOf(target);
    return scriptCommand({
      description: `rejoin ${where(target)} as member ${checkMemberName(target.replicaName)} of ${target.primaryHost.name}'s set (fork at ${fork})`,
      script: REJOIN_SCRIPT,
      target,
      args: [memberName(target.primaryHost.address, target.database.port), checkMemberName(target.replicaName), fork, String(REJOIN_WAIT_SECONDS)],
      secretEnv: { TWINSTACK_ADMIN_PASSWORD: secrets.replicationPassword },
      timeoutMs: REJOIN_TIMEOUT_MS,
    });
  },

  parseRejoin(result) {
    return parseMongodbRejoin(result);
  },

  setSynchronousReplicas(target, replicaNames) {
    const m = mongodbSettings(target.database);
    const names = replicaNames.map(checkMemberName);
    return scriptCommand({
      description: `set voting twin members of ${where(target)} to [${names.join(', ')}]`,
      script: SET_SYNCHRONOUS_REPLICAS_SCRIPT,
      target,
      args: [String(m.twinVotes), ...names],
      timeoutMs: 100_000,
    });
  },

  connection(target, secrets): DatabaseConnection {
    const m = mongodbSettings(target.database);
    const address = memberName(target.host.address, target.database.port);
    const user = checkIdentifier('app user', m.appUser);
    const database = checkIdentifier('database', m.database);
    return {
      address,
      url: `mongodb://${user}:${encodeURIComponent(secrets.appPassword)}@${address}/${database}?replicaSet=${m.replicaSetName}&authSource=${database}`,
    };
  },
};
