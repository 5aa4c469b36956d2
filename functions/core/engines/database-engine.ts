/**
 * One interface for every database engine (PostgreSQL now; MySQL/MariaDB, Redis,
 * MongoDB next). An engine BUILDS commands and PARSES their output; it runs
 * nothing itself. Handlers observe (status), decide (pure planners in core/decisions),
 * then act (run the command the engine built).
 *
 * Every command an engine builds is idempotent: running it twice leaves the
 * same state as running it once (a second promote is a no-op, a second prepare
 * changes nothing).
 */
import type { CommandResult, RemoteCommand } from '../command.ts';
import type { Database, EngineName, Host } from '../model.ts';

/** Secrets a database needs; they only ever travel in `RemoteCommand.secretEnv`. */
export interface DatabaseSecrets {
  readonly replicationPassword: string;
  readonly appPassword: string;
}

export type DatabaseRole = 'primary' | 'replica' | 'stopped' | 'unknown';

/** A replica as seen from its primary. */
export interface AttachedReplica {
  readonly name: string;
  /** e.g. `streaming`, `catchup`. */
  readonly state: string;
  /** `sync`, `async`, `potential`, `quorum`. */
  readonly syncState: string;
  /** Bytes between the primary's current position and what the replica has replayed. */
  readonly replayLagBytes: number;
}

/**
 * An immutable observation of one database server. Positions are the engine's
 * own notation (PostgreSQL LSNs such as `0/3000148`); byte counts are comparable
 * across engines.
 */
export interface DatabaseStatus {
  readonly role: DatabaseRole;
  /** Writes are accepted (a primary that is not fenced/read-only). */
  readonly writable: boolean;
  /** The primary's current write position, or the replica's replayed position. */
  readonly position?: string;
  /** Replica only: last position received (flushed) from the primary. */
  readonly receivedPosition?: string;
  /** Replica only: bytes received but not yet replayed. */
  readonly replayGapBytes?: number;
  /** Replica only: the upstream it streams from (host:port), when known. */
  readonly upstream?: string;
  /** Replica only: is the WAL receiver (or equivalent) connected right now? */
  readonly streaming?: boolean;
  /** Primary only: replicas attached now. */
  readonly replicas?: readonly AttachedReplica[];
  /** The server was fenced by twinstack (it must not come back as a writable primary). */
  readonly fenced: boolean;
  /**
   * Evidence that twinstack itself promoted this server (PostgreSQL: the
   * `twinstack.promoted` marker in its data directory). A primary without it is
   * not ours to count as promoted (a standalone clone, a copy of another primary).
   * Absent: unknown, treated as false.
   */
  readonly promotedByTwinstack?: boolean;
}

/** Context every builder gets: which database, on which host, with which peer. */
export interface EngineTarget {
  readonly database: Database;
  /** The host running this copy of the database. */
  readonly host: Host;
}

export interface RestoreTarget extends EngineTarget {
  /** The primary's host, from the replica's point of view. */
  readonly primaryHost: Host;
  /** Name the replica identifies itself with (PostgreSQL `application_name`). */
  readonly replicaName: string;
}

export interface DatabaseEngine {
  readonly name: EngineName;

  /** Primary: create/alter the replication and app roles, replication settings, access rules; reload. */
  preparePrimary(target: EngineTarget & { readonly replicaName: string; readonly replicaAddress: string }, secrets: DatabaseSecrets): RemoteCommand;

  /** Twin: stop, replace the data with a full backup of the primary, configure it as a replica, start. */
  restoreReplica(target: RestoreTarget, secrets: DatabaseSecrets): RemoteCommand;

  /** Twin: make sure replication from the primary runs (after restore; no-op when it already streams). */
  startReplication(target: RestoreTarget, secrets: DatabaseSecrets): RemoteCommand;

  /** Observe one server. Its result is parsed by `parseStatus`. Must succeed (exit 0) even when the server is stopped. */
  status(target: EngineTarget): RemoteCommand;
  parseStatus(result: CommandResult): DatabaseStatus;

  /** Bytes from position `from` to position `to` (to − from; negative when `to` is behind). */
  positionDiff(to: string, from: string): number;

  /** Stop taking writes for good: stop the server and mark it so it can only come back as a replica. Idempotent. */
  fence(target: EngineTarget): RemoteCommand;

  /** Promote a replica to a writable primary and wait until it accepts writes. Idempotent (a primary is a no-op). */
  promote(target: EngineTarget): RemoteCommand;

  /** Set the synchronous replica names on a primary (empty list: asynchronous). */
  setSynchronousReplicas(target: EngineTarget, replicaNames: readonly string[]): RemoteCommand;

  /** Environment variables apps of the stack need to reach this database. */
  publishedEnv(target: EngineTarget, secrets: DatabaseSecrets): Readonly<Record<string, string>>;
}
