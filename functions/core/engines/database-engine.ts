/**
 * One interface for every database engine. An engine BUILDS commands and PARSES
 * their output; it runs nothing itself. Handlers observe (status), decide (pure
 * planners in core/decisions), then act (run the command the engine built).
 *
 * Core speaks engine-neutral words only: a replica is `streaming` and
 * `synchronous` or not; positions are opaque strings the engine compares
 * (`positionDiff`) in its own lag unit (bytes of WAL or replication offset, or a
 * count of transactions for GTID sets). Nothing outside an engine's folder reads
 * an engine's raw fields.
 *
 * Every command an engine builds is idempotent: running it twice leaves the
 * same state as running it once (a second promote is a no-op, a second prepare
 * changes nothing). Secrets travel only in `RemoteCommand.secretEnv` or stdin.
 */
import type { CommandResult, RemoteCommand } from '../command.ts';
import type { Database, EngineName, Host } from '../model.ts';
import type { LagUnit } from './lag-unit.ts';

/** Secrets a database needs; they only ever travel in `RemoteCommand.secretEnv` or stdin. */
export interface DatabaseSecrets {
  readonly replicationPassword: string;
  readonly appPassword: string;
}

export type DatabaseRole = 'primary' | 'replica' | 'stopped' | 'unknown';

/** A replica as its primary sees it, in engine-neutral words. */
export interface AttachedReplica {
  /** The identity the engine gave it (`DatabaseEngine.replicaName`). */
  readonly name: string;
  /** Connected and receiving changes now. */
  readonly streaming: boolean;
  /**
   * The primary acknowledges no commit before this replica has it (PostgreSQL
   * `sync_state = sync`; MariaDB/MySQL semi-sync ON with this replica acknowledging).
   * Never true for an engine without such a guarantee (Redis).
   */
  readonly synchronous: boolean;
  /** How far behind the primary it is, in the engine's lag unit, when the primary knows. */
  readonly lag?: number;
}

/**
 * An immutable observation of one database server. Positions are the engine's
 * own notation (PostgreSQL LSNs, Redis offsets, GTID sets), compared only through
 * the engine's `positionDiff`.
 */
export interface DatabaseStatus {
  readonly role: DatabaseRole;
  /** Writes are accepted (a primary that is not fenced/read-only). */
  readonly writable: boolean;
  /** The primary's current write position, or the replica's applied position. */
  readonly position?: string;
  /** Replica only: last position received from the primary (promotion applies everything received). */
  readonly receivedPosition?: string;
  /** Replica only: the upstream it replicates from (host:port), when known. */
  readonly upstream?: string;
  /** Replica only: is the replication stream connected right now? */
  readonly streaming?: boolean;
  /** Replica only: seconds behind the primary, as the server itself estimates it. */
  readonly secondsBehind?: number;
  /** Replica only: why replication is not running (last I/O or apply error), when reported. */
  readonly replicationError?: string;
  /** Primary only: replicas attached now. */
  readonly replicas?: readonly AttachedReplica[];
  /**
   * Transactions this server holds that its primary never had (MariaDB/MySQL errant
   * GTIDs). Non-empty: promoting or re-pointing it would spread or lose them.
   */
  readonly errantTransactions?: readonly string[];
  /** The server's version string (e.g. `10.11.6-MariaDB`, `15.4`, `7.0.15`), when running. */
  readonly version?: string;
  /** Size of the data a full backup copies, in bytes, when the engine can tell cheaply. */
  readonly dataBytes?: number;
  /** The server was fenced by twinstack (it must not come back as a writable primary). */
  readonly fenced: boolean;
  /**
   * Evidence that twinstack itself promoted this server (its promotion marker). A
   * primary without it is not ours to count as promoted (a standalone clone, a copy of
   * another primary). Absent: unknown, treated as false.
   */
  readonly promotedByTwinstack?: boolean;
  /**
   * Primary only, once promoted: the position where this server's history left its old
   * primary's (PostgreSQL: the timeline switch LSN; Redis: `second_repl_offset`). Writes an
   * old primary holds beyond it were never replicated: they are divergent. Absent for an
   * engine whose positions name their origin (GTID sets) or when never promoted.
   */
  readonly forkPosition?: string;
  /** Primary only: demoted by a switchover (writes refused until `undoDemote` or `rejoin`). */
  readonly demoted?: boolean;
}

/** Context every builder gets: which database, on which host. */
export interface EngineTarget {
  readonly database: Database;
  /** The host running this copy of the database. */
  readonly host: Host;
}

export interface RestoreTarget extends EngineTarget {
  /** The primary's host, from the replica's point of view. */
  readonly primaryHost: Host;
  /** The identity the replica replicates under (`DatabaseEngine.replicaName`). */
  readonly replicaName: string;
}

export interface PrepareTarget extends EngineTarget {
  readonly replicaName: string;
  /** Address the replica connects from (access rules). */
  readonly replicaAddress: string;
}

/** What `demote` left on the active primary during a switchover. */
export interface Demotion {
  /**
   * The primary's exact final write position: it acknowledged nothing beyond it and
   * accepts no write until `undoDemote`/`rejoin`. The replica may be promoted only once
   * `positionDiff(position, replicaPosition) <= 0` (the switchover's catch-up token).
   */
  readonly position: string;
  /** It accepted writes before this call (false: a repeated demote, same position). */
  readonly wasWritable: boolean;
}

/** An old primary rejoining: `target.host` is the old primary, `primaryHost` the new one. */
export interface RejoinTarget extends RestoreTarget {
  /** The new primary as observed just before (its position and `forkPosition`). */
  readonly primaryStatus: DatabaseStatus;
}

/**
 * How the old primary became a replica of the new one.
 * - `already-replica`: it already replicates from the new primary (a repeated rejoin);
 * - `repointed`: no divergence, re-pointed in place (a switchover's old primary);
 * - `rewound`: divergent history undone in place (PostgreSQL `pg_rewind`);
 * - `needs-restore`: it cannot follow in place (errant GTIDs, rewind impossible): the
 *   divergent data is saved aside and it is left stopped/fenced for a full restore
 *   from the new primary (the replicate steps, in the other direction).
 */
export type RejoinMethod = 'already-replica' | 'repointed' | 'rewound' | 'needs-restore';

export interface Rejoin {
  readonly method: RejoinMethod;
  /**
   * Writes the old primary held beyond the fork (never on the new primary), in the
   * engine's lag unit, saved aside (`savedTo`, a path on the old primary's host) before
   * anything was discarded. 0: nothing diverged.
   */
  readonly divergent: { readonly amount: number; readonly savedTo?: string; readonly transactions?: readonly string[] };
  /** What an operator must read (what was saved, why a restore is needed). */
  readonly detail: readonly string[];
}

/** How apps reach one copy of a database; core turns it into env var names (publish-env.ts). */
export interface DatabaseConnection {
  /** `host:port` apps connect to. */
  readonly address: string;
  /** A URL with the app user's credentials (the only secret published). */
  readonly url: string;
}

export interface DatabaseEngine {
  readonly name: EngineName;
  /** What `positionDiff` counts, and so the unit of every lag and loss of this engine. */
  readonly lagUnit: LagUnit;
  /** Apps use it through SQL: the group's first SQL database also publishes `DATABASE_URL`. */
  readonly sql: boolean;
  /** Prefix of the env vars it publishes: `POSTGRESQL`, `MYSQL`, `REDIS`, `MONGODB`. */
  readonly envPrefix: string;

  /**
   * The identity the twin's copy replicates under, as its primary reports it
   * (PostgreSQL `application_name`, MariaDB `report_host:report_port`, Redis the
   * announced `ip:port`). Deterministic: the same inputs always give the same name.
   */
  replicaName(database: Database, twinStack: string, twinHost: Host): string;

  /** Primary: replication and app users, replication settings, access rules. Idempotent. */
  preparePrimary(target: PrepareTarget, secrets: DatabaseSecrets): RemoteCommand;

  /**
   * Twin: stop, replace the data with a full backup of the primary, configure it as
   * a replica, start. Runs as a detached job on the twin host (functions/core/jobs):
   * it may take longer than a step; its output is kept in the job's log.
   */
  restoreReplica(target: RestoreTarget, secrets: DatabaseSecrets): RemoteCommand;

  /** Twin: make sure replication from the primary runs (after restore; no-op when it already streams). */
  startReplication(target: RestoreTarget, secrets: DatabaseSecrets): RemoteCommand;

  /** Observe one server. Its result is parsed by `parseStatus`. Must succeed (exit 0) even when the server is stopped. */
  status(target: EngineTarget): RemoteCommand;
  parseStatus(result: CommandResult): DatabaseStatus;

  /** How far position `from` is behind `to`, in `lagUnit` (negative or 0 when it is not behind). */
  positionDiff(to: string, from: string): number;

  /**
   * Reasons the twin cannot replicate from (or be promoted in place of) the primary
   * as observed: mixed dialects, major versions, binary logging off … Empty: compatible.
   * Pure: judged from the two statuses alone.
   */
  compatibilityProblems(primary: DatabaseStatus, twin: DatabaseStatus): readonly string[];

  /** Stop taking writes for good: no writes from anyone, and a restart only brings it back as a replica. Idempotent. */
  fence(target: EngineTarget): RemoteCommand;

  /** Promote a replica to a writable primary and wait until it accepts writes. Idempotent (our primary is a no-op). */
  promote(target: EngineTarget): RemoteCommand;

  /**
   * What a promote command's output says that an operator must read, for the step's
   * reasons (MongoDB: that a forced reconfiguration was used and what it can roll back).
   * Absent: the promotion says nothing beyond success.
   */
  describePromotion?(result: CommandResult): readonly string[];

  /**
   * Switchover, on the active primary: refuse every write from now on (durably: it does
   * not expire by itself, and a restart does not bring writes back) while the replicas
   * still receive everything up to the final position, which the output reports
   * (`parseDemotion`). Idempotent: a second demote reports the same position.
   */
  demote(target: EngineTarget): RemoteCommand;
  parseDemotion(result: CommandResult): Demotion;

  /**
   * Switchover abort: give writes back to a demoted primary whose replica never reached
   * the final position (nothing was promoted). Idempotent; a server that is not a
   * demoted primary of ours is refused (non-zero exit), never made writable.
   */
  undoDemote(target: EngineTarget): RemoteCommand;

  /**
   * Make an old primary (after a switchover or a failover) a replica of the new primary,
   * never a primary: divergent writes (beyond the new primary's `forkPosition`, or errant
   * GTIDs) are counted and saved aside first. Idempotent. Refuses (non-zero exit) a server
   * that is a writable, un-fenced, un-demoted primary: that is the caller's check too.
   */
  rejoin(target: RejoinTarget, secrets: DatabaseSecrets): RemoteCommand;
  parseRejoin(result: CommandResult): Rejoin;

  /** Set the synchronous replicas of a primary (empty list: asynchronous). */
  setSynchronousReplicas(target: EngineTarget, replicaNames: readonly string[]): RemoteCommand;

  /** How apps reach this copy of the database. */
  connection(target: EngineTarget, secrets: DatabaseSecrets): DatabaseConnection;
}
