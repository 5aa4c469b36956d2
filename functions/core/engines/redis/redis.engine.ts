/**
 * The Redis 7 engine: builds the commands of DatabaseEngine and parses their
 * output. It runs nothing.
 *
 * Every command is `sh -c '<fixed script>' sh <validated args…>` (scripts in
 * redis-scripts.ts), run on the database host as the SSH user that owns the
 * server's `dir` and config file. Secrets travel only in `secretEnv` (and are listed
 * in `redact`); descriptions never contain them. Commands that need no secret from
 * the control plane (status, fence, promote …) authenticate with the host-local admin
 * credential the scripts keep in `<dir>/twinstack.admin-auth`.
 *
 * Replica identity: the twin announces itself (`replica-announce-ip/-port`) as
 * `<twin address>:<port>`, exactly the `ip:port` its primary lists in INFO replication.
 * Redis has no synchronous replication: `sync` mode is `min-replicas-to-write 1` +
 * `min-replicas-max-lag` (the primary refuses writes when no replica acknowledged
 * lately), which bounds loss but does not prevent it, so no replica is ever reported
 * `synchronous` (see README.md beside this file).
 */
import type { CommandResult } from '../../command.ts';
import type { Database, Host } from '../../model.ts';
import type { DatabaseConnection, DatabaseEngine, DatabaseSecrets, DatabaseStatus, EngineTarget, PrepareTarget, RejoinTarget, RestoreTarget } from '../database-engine.ts';
import { InvalidInputError } from '../../errors.ts';
import { scriptCommandBuilder } from '../script-command.ts';
import { checkAbsolutePath, checkHostAddress, checkIdentifier, checkPort, checkRemovableDataDir } from '../remote-arguments.ts';
import { offsetDiff, parsePosition, parseRedisDemotion, parseRedisRejoin, parseRedisStatus } from './parse-redis-status.ts';
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
} from './redis-scripts.ts';
import { redisSettings } from './redis-settings.ts';

/**
 * Command timeouts. Each script bounds its own waits below them (redis-cli under a
 * 15 s `timeout`, loops against deadlines). The restore is a detached job on the twin
 * host: its full sync may take hours for a large dataset over a WAN, so its wait bound
 * is long, and it ends early on any refusal.
 */
export const STATUS_TIMEOUT_MS = 20_000;
export const PROMOTE_TIMEOUT_MS = 60_000;
export const FENCE_TIMEOUT_MS = 60_000;
export const PREPARE_TIMEOUT_MS = 60_000;
export const RESTORE_TIMEOUT_MS = 4 * 3600_000;
/** The restore script's own wait bound, under its command timeout. */
export const RESTORE_WAIT_SECONDS = RESTORE_TIMEOUT_MS / 1000 - 120;
/** Demote and undo: a few redis-cli calls and one CONFIG REWRITE. */
export const DEMOTE_TIMEOUT_MS = 30_000;
/**
 * Rejoin: a BGSAVE of divergent data, then a sync (partial after a switchover, full
 * after a divergent failover). The script waits at most REJOIN_WAIT_SECONDS (for the
 * BGSAVE and again for the sync); a rejoin cut off while its replica still syncs is
 * re-run and keeps waiting (it is then already a replica of the new primary).
 */
export const REJOIN_WAIT_SECONDS = 240;
export const REJOIN_TIMEOUT_MS = (2 * REJOIN_WAIT_SECONDS + 60) * 1000;
export { FENCE_MIN_REPLICAS } from './redis-settings.ts';

/** Where twinstack's scripts reach the server on its own host. */
function connectAddress(target: EngineTarget): string {
  const settings = redisSettings(target.database);
  return settings.listenOn === 'host-address' ? checkHostAddress('host address', target.host.address) : '127.0.0.1';
}

/**
 * The positional arguments every Redis script starts with, in this order:
 * `$1` binDir, `$2` address to reach the server at, `$3` port, `$4` dataDir (`dir`),
 * `$5` config file, `$6` admin user.
 */
export function nodeArguments(target: EngineTarget): readonly string[] {
  const settings = redisSettings(target.database);
  return [
    checkAbsolutePath('bin directory', settings.binDir),
    connectAddress(target),
    checkPort(target.database.port),
    checkAbsolutePath('data directory', settings.dataDir),
    checkAbsolutePath('config file', settings.configFile),
    checkIdentifier('admin user', settings.adminUser),
  ];
}

const scriptCommand = scriptCommandBuilder(nodeArguments);

function where(target: EngineTarget): string {
  return `redis ${target.database.name} on ${target.host.name}`;
}

/** `min-replicas-to-write` for a mode: one acknowledging replica in sync mode. */
function minReplicasFor(mode: 'async' | 'sync'): string {
  return mode === 'sync' ? '1' : '0';
}

/**
 * The new primary's fork position (`<offset>@<replid>`) from its status, checked: a
 * rejoin needs to know where, and in which history, the new primary left the old one's.
 */
function forkOf(target: RejoinTarget): { readonly offset: string; readonly replid: string } {
  const observed = target.primaryStatus;
  const fix = `observe the new primary (${target.primaryHost.name}) with status after its promotion and pass that status`;
  if (observed.role !== 'primary') throw new InvalidInputError(`primaryStatus.role is ${observed.role}, not primary: ${fix}`);
  if (observed.forkPosition === undefined) throw new InvalidInputError(`primaryStatus.forkPosition is missing (a Redis primary that was never promoted has none): ${fix}`);
  const fork = /^\d{1,19}@[0-9a-f]{40}$/.test(observed.forkPosition) ? parsePosition(observed.forkPosition) : undefined;
  if (fork?.replid === undefined) throw new InvalidInputError(`primaryStatus.forkPosition ${JSON.stringify(observed.forkPosition)} is not <offset>@<replication id>: ${fix}`);
  return { offset: fork.offset, replid: fork.replid };
}

function majorOf(version: string | undefined): string | undefined {
  return version === undefined ? undefined : /^(\d+)\./.exec(version)?.[1];
}

export const redisEngine: DatabaseEngine = {
  name: 'redis',
  lagUnit: 'bytes',
  sql: false,
  envPrefix: 'REDIS',

  replicaName(database: Database, _twinStack: string, twinHost: Host): string {
    return `${checkHostAddress('twin address', twinHost.address)}:${checkPort(database.port)}`;
  },

  preparePrimary(target: PrepareTarget, secrets: DatabaseSecrets) {
    const settings = redisSettings(target.database);
    const mode = target.database.replication.mode;
    return scriptCommand({
      description: `prepare ${where(target)} as primary for replica ${target.replicaName} (${mode})`,
      script: PREPARE_PRIMARY_SCRIPT,
      target,
      args: [
        checkIdentifier('replication user', settings.replicationUser),
        checkIdentifier('app user', settings.appUser),
        minReplicasFor(mode),
        String(settings.syncMaxLagSeconds),
      ],
      secretEnv: { TWINSTACK_REPLICATION_PASSWORD: secrets.replicationPassword, TWINSTACK_APP_PASSWORD: secrets.appPassword },
      timeoutMs: PREPARE_TIMEOUT_MS,
    });
  },

  restoreReplica(target: RestoreTarget, secrets: DatabaseSecrets) {
    const settings = redisSettings(target.database);
    // The full sync replaces the twin's whole dataset: the same depth rule as a directory we empty.
    checkRemovableDataDir(settings.dataDir);
    return scriptCommand({
      description: `restore ${where(target)} as replica ${target.replicaName} of ${target.primaryHost.name} (full sync)`,
      script: RESTORE_REPLICA_SCRIPT,
      target,
      args: [
        checkHostAddress('primary address', target.primaryHost.address),
        checkIdentifier('replication user', settings.replicationUser),
        checkIdentifier('app user', settings.appUser),
        checkHostAddress('twin address', target.host.address),
        checkPort(target.database.port),
        String(RESTORE_WAIT_SECONDS),
      ],
      secretEnv: { REDISCLI_AUTH: secrets.replicationPassword, TWINSTACK_APP_PASSWORD: secrets.appPassword },
      timeoutMs: RESTORE_TIMEOUT_MS,
    });
  },

  startReplication(target: RestoreTarget, _secrets: DatabaseSecrets) {
    return scriptCommand({
      description: `start replication of ${where(target)} from ${target.primaryHost.name}`,
      script: START_REPLICATION_SCRIPT,
      target,
      args: [checkHostAddress('primary address', target.primaryHost.address)],
      timeoutMs: 30_000,
    });
  },

  status(target) {
    return scriptCommand({ description: `status of ${where(target)}`, script: STATUS_SCRIPT, target, timeoutMs: STATUS_TIMEOUT_MS });
  },

  parseStatus(result: CommandResult): DatabaseStatus {
    return parseRedisStatus(result);
  },

  positionDiff(to, from) {
    return offsetDiff(to, from);
  },

  compatibilityProblems(primary, twin) {
    const problems: string[] = [];
    const primaryMajor = majorOf(primary.version);
    const twinMajor = majorOf(twin.version);
    if (primaryMajor !== undefined && twinMajor !== undefined && primaryMajor !== twinMajor) {
      problems.push(
        `the primary runs Redis ${primary.version} and the twin Redis ${twin.version}: major versions differ (a replica cannot load a newer major's RDB, and a promoted older one cannot feed the newer back). Fix: install the same Redis major on both hosts`,
      );
    }
    if (primary.role === 'replica') {
      problems.push(`the primary's server is itself a replica (of ${primary.upstream ?? 'an unknown upstream'}): a twin must replicate from a primary. Fix: point the database at the primary's host`);
    }
    if (primary.fenced) problems.push('the primary is fenced by twinstack (twinstack.fenced): it takes no writes and must not feed a twin. Fix: rejoin it as a replica, or clear the fence deliberately');
    if (twin.role === 'primary' && twin.promotedByTwinstack === true) {
      problems.push("the twin is a primary twinstack promoted: restoring it would discard the writes it took since. Fix: fail back (rejoin) instead of restoring it");
    }
    return problems;
  },

  fence(target) {
    return scriptCommand({ description: `fence ${where(target)}`, script: FENCE_SCRIPT, target, timeoutMs: FENCE_TIMEOUT_MS });
  },

  promote(target) {
    return scriptCommand({ description: `promote ${where(target)}`, script: PROMOTE_SCRIPT, target, timeoutMs: PROMOTE_TIMEOUT_MS });
  },

  demote(target) {
    return scriptCommand({ description: `demote ${where(target)} (refuse writes for a switchover)`, script: DEMOTE_SCRIPT, target, timeoutMs: DEMOTE_TIMEOUT_MS });
  },

  parseDemotion(result) {
    return parseRedisDemotion(result);
  },

  undoDemote(target) {
    return scriptCommand({ description: `undo the demotion of ${where(target)} (writes back)`, script: UNDO_DEMOTE_SCRIPT, target, timeoutMs: DEMOTE_TIMEOUT_MS });
  },

  rejoin(target: RejoinTarget, secrets: DatabaseSecrets) {
    const settings = redisSettings(target.database);
    const fork = forkOf(target);
    return scriptCommand({
      description: `rejoin ${where(target)} as replica ${target.replicaName} of ${target.primaryHost.name} (fork at offset ${fork.offset})`,
      script: REJOIN_SCRIPT,
      target,
      args: [
        checkHostAddress('primary address', target.primaryHost.address),
        fork.offset,
        fork.replid,
        checkIdentifier('replication user', settings.replicationUser),
        checkHostAddress('old primary address', target.host.address),
        checkPort(target.database.port),
        minReplicasFor(target.database.replication.mode),
        String(REJOIN_WAIT_SECONDS),
      ],
      secretEnv: { TWINSTACK_REPLICATION_PASSWORD: secrets.replicationPassword },
      timeoutMs: REJOIN_TIMEOUT_MS,
    });
  },

  parseRejoin(result) {
    return parseRedisRejoin(result);
  },

  setSynchronousReplicas(target, replicaNames) {
    const settings = redisSettings(target.database);
    const mode = replicaNames.length > 0 ? 'sync' : 'async';
    return scriptCommand({
      description: `set ${where(target)} to ${mode} (any one of [${replicaNames.join(', ')}] must have acknowledged within ${settings.syncMaxLagSeconds} s)`,
      script: SET_SYNCHRONOUS_REPLICAS_SCRIPT,
      target,
      args: [minReplicasFor(mode), String(settings.syncMaxLagSeconds)],
      timeoutMs: 30_000,
    });
  },

  connection(target: EngineTarget, secrets: DatabaseSecrets): DatabaseConnection {
    const settings = redisSettings(target.database);
    const host = checkHostAddress('host address', target.host.address);
    const user = checkIdentifier('app user', settings.appUser);
    const port = checkPort(target.database.port);
    return { address: `${host}:${port}`, url: `redis://${user}:${encodeURIComponent(secrets.appPassword)}@${host}:${port}/0` };
  },
};
