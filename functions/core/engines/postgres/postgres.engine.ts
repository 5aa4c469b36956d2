/**
 * The PostgreSQL 15 engine: builds the commands of DatabaseEngine and parses
 * their output. It runs nothing.
 *
 * Every command is `sh -c '<fixed script>' sh <validated args…>` (scripts in
 * postgres/postgres-scripts.ts), run on the database host as the SSH user that
 * owns the data directory. Secrets travel only in `secretEnv` (and are listed in
 * `redact`); descriptions never contain them.
 */
import type { CommandResult } from '../../command.ts';
import { InvalidInputError } from '../../errors.ts';
import type { DatabaseEngine, DatabaseSecrets, DatabaseStatus, EngineTarget, RejoinTarget, RestoreTarget } from '../database-engine.ts';
import { scriptCommandBuilder } from '../script-command.ts';
import { isLsn, lsnDiff } from './lsn.ts';
import { parsePostgresStatus } from './parse-postgres-status.ts';
import { parsePostgresDemotion, parsePostgresRejoin } from './parse-postgres-switchover.ts';
import { checkHostAddress, checkIdentifier, checkIpv4, checkRemovableDataDir } from '../remote-arguments.ts';
import { checkReplicaName, nodeArguments, synchronousStandbyNames } from './postgres-arguments.ts';
import { postgresSettings } from './postgres-settings.ts';
import {
  DEMOTE_SCRIPT,
  FENCE_SCRIPT,
  PREPARE_PRIMARY_SCRIPT,
  PROMOTE_SCRIPT,
  REJOIN_SCRIPT,
  RESTORE_REPLICA_SCRIPT,
  SET_SYNCHRONOUS_REPLICAS_SCRIPT,
  START_REPLICATION_SCRIPT,
  STATUS_SCRIPT,
  UNDO_DEMOTE_SCRIPT,
} from './postgres-scripts.ts';

/**
 * Command timeouts of the failover steps. A step runs status + promote + status
 * (PromoteDatabase) or status + fence + status (FenceOldPrimary); each sum stays
 * within 150 s, under the steps' 180 s Lambda/Task timeouts, and every script
 * bounds its own waits below its command timeout (see postgres-scripts.ts).
 */
export const STATUS_TIMEOUT_MS = 20_000;
export const PROMOTE_TIMEOUT_MS = 100_000;
export const FENCE_TIMEOUT_MS = 90_000;
/** A clean shutdown bounded at 60 s, then pg_controldata and pg_waldump. */
export const DEMOTE_TIMEOUT_MS = 90_000;
/** A stop (30 s), a start (60 s) and 15 s for writes to come back. */
export const UNDO_DEMOTE_TIMEOUT_MS = 120_000;
/**
 * Within the RejoinDatabase step (300 s in the rejoin workflow). The script's phases are
 * bounded (REJOIN_SCRIPT) and take seconds in the lab; their theoretical sum is longer,
 * and a rewind too long for a step ends `needs-restore` (a detached restore job).
 */
export const REJOIN_TIMEOUT_MS = 290_000;

const scriptCommand = scriptCommandBuilder(nodeArguments);

function where(target: EngineTarget): string {
  return `postgres ${target.database.name} on ${target.host.name}`;
}

/** PostgreSQL's replica identity: `application_name`, `[a-z0-9_]` only (it is quoted inside synchronous_standby_names). */
export function postgresReplicaName(twinStack: string, database: string): string {
  return `twinstack_${twinStack}_${database}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);
}

/** The major version of a `server_version` such as `15.4 (Debian 15.4-1)`. */
function majorOf(version: string | undefined): string | undefined {
  return version?.match(/^(\d+)/)?.[1];
}

export const postgresEngine: DatabaseEngine = {
  name: 'postgres',
  lagUnit: 'bytes',
  sql: true,
  envPrefix: 'POSTGRESQL',

  replicaName(database, twinStack) {
    return postgresReplicaName(twinStack, database.name);
  },

  compatibilityProblems(primary, twin) {
    const [p, t] = [majorOf(primary.version), majorOf(twin.version)];
    if (p !== undefined && t !== undefined && p !== t) {
      return [`primary runs PostgreSQL ${p} and the twin ${t}: physical replication needs the same major version (install PostgreSQL ${p} on the twin)`];
    }
    return [];
  },

  preparePrimary(target, secrets: DatabaseSecrets) {
    const pg = postgresSettings(target.database);
    const syncNames = target.database.replication.mode === 'sync' ? synchronousStandbyNames([target.replicaName]) : '';
    return scriptCommand({
      description: `prepare ${where(target)} as primary for replica ${checkReplicaName(target.replicaName)} (${target.database.replication.mode})`,
      script: PREPARE_PRIMARY_SCRIPT,
      target,
      args: [
        checkIdentifier('replication user', pg.replicationUser),
        checkIdentifier('app user', pg.appUser),
        checkIdentifier('database', pg.database),
        syncNames,
        checkIpv4('replica address', target.replicaAddress),
      ],
      secretEnv: { TWINSTACK_REPLICATION_PASSWORD: secrets.replicationPassword, TWINSTACK_APP_PASSWORD: secrets.appPassword },
      timeoutMs: 100_000,
    });
  },

  restoreReplica(target: RestoreTarget, secrets: DatabaseSecrets) {
    const pg = postgresSettings(target.database);
    checkRemovableDataDir(pg.dataDir);
    return scriptCommand({
      description: `restore ${where(target)} as replica ${checkReplicaName(target.replicaName)} of ${target.primaryHost.name}`,
      script: RESTORE_REPLICA_SCRIPT,
      target,
      args: [
        checkHostAddress('primary address', target.primaryHost.address),
        checkIdentifier('replication user', pg.replicationUser),
        checkReplicaName(target.replicaName),
      ],
      secretEnv: { PGPASSWORD: secrets.replicationPassword },
      timeoutMs: 850_000,
    });
  },

  startReplication(target: RestoreTarget, _secrets: DatabaseSecrets) {
    return scriptCommand({
      description: `start replication of ${where(target)} from ${target.primaryHost.name}`,
      script: START_REPLICATION_SCRIPT,
      target,
      timeoutMs: 100_000,
    });
  },

  status(target) {
    return scriptCommand({ description: `status of ${where(target)}`, script: STATUS_SCRIPT, target, timeoutMs: STATUS_TIMEOUT_MS });
  },

  parseStatus(result: CommandResult): DatabaseStatus {
    return parsePostgresStatus(result);
  },

  positionDiff(to, from) {
    return lsnDiff(to, from);
  },

  fence(target) {
    return scriptCommand({ description: `fence ${where(target)}`, script: FENCE_SCRIPT, target, timeoutMs: FENCE_TIMEOUT_MS });
  },

  promote(target) {
    return scriptCommand({ description: `promote ${where(target)}`, script: PROMOTE_SCRIPT, target, timeoutMs: PROMOTE_TIMEOUT_MS });
  },

  demote(target) {
    return scriptCommand({ description: `demote ${where(target)} (clean shutdown, read-only from now on)`, script: DEMOTE_SCRIPT, target, timeoutMs: DEMOTE_TIMEOUT_MS });
  },

  parseDemotion(result) {
    return parsePostgresDemotion(result);
  },

  undoDemote(target) {
    return scriptCommand({ description: `undo the demotion of ${where(target)}`, script: UNDO_DEMOTE_SCRIPT, target, timeoutMs: UNDO_DEMOTE_TIMEOUT_MS });
  },

  rejoin(target: RejoinTarget, secrets: DatabaseSecrets) {
    const pg = postgresSettings(target.database);
    const primaryAddress = checkHostAddress('new primary address', target.primaryHost.address);
    if (primaryAddress === target.host.address) {
      throw new InvalidInputError(`rejoin of ${where(target)}: primaryHost is the old primary itself (${primaryAddress}); give the new primary's host`);
    }
    if (target.primaryStatus.role !== 'primary') {
      throw new InvalidInputError(`rejoin of ${where(target)}: primaryStatus.role is ${target.primaryStatus.role}, not primary; observe the new primary (status) after its promotion and pass that`);
    }
    const fork = target.primaryStatus.forkPosition ?? '';
    if (fork !== '' && !isLsn(fork)) throw new InvalidInputError(`rejoin of ${where(target)}: primaryStatus.forkPosition ${JSON.stringify(fork.slice(0, 40))} is not an LSN (X/Y)`);
    return scriptCommand({
      description: `rejoin ${where(target)} as replica ${checkReplicaName(target.replicaName)} of ${target.primaryHost.name}`,
      script: REJOIN_SCRIPT,
      target,
      args: [primaryAddress, checkIdentifier('replication user', pg.replicationUser), checkReplicaName(target.replicaName), fork],
      secretEnv: { TWINSTACK_REPLICATION_PASSWORD: secrets.replicationPassword },
      timeoutMs: REJOIN_TIMEOUT_MS,
    });
  },

  parseRejoin(result) {
    return parsePostgresRejoin(result);
  },

  setSynchronousReplicas(target, replicaNames) {
    const value = synchronousStandbyNames(replicaNames);
    return scriptCommand({
      description: `set synchronous replicas of ${where(target)} to [${replicaNames.join(', ')}]`,
      script: SET_SYNCHRONOUS_REPLICAS_SCRIPT,
      target,
      args: [value],
      timeoutMs: 30_000,
    });
  },

  connection(target, secrets) {
    const pg = postgresSettings(target.database);
    const host = checkHostAddress('host address', target.host.address);
    const user = checkIdentifier('app user', pg.appUser);
    const database = checkIdentifier('database', pg.database);
    const port = String(target.database.port);
    return { address: `${host}:${port}`, url: `postgres://${user}:${encodeURIComponent(secrets.appPassword)}@${host}:${port}/${database}` };
  },
};
