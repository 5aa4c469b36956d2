/**
 * One database server of the lab, whatever its engine: every engine has one file
 * `infra/local/lab/nodes/<engine>.lab-node.ts` implementing this interface, listed
 * once in lab-nodes.ts. The lab, the drill and the tests name no engine outside
 * those files.
 *
 * Paths: with `namespacePid` (the sshd PID of a lab host with private mounts),
 * data locations are paths AS THAT HOST SEES THEM; servers run inside its mount
 * namespace (nsenter), and files are reached from here through `realPath`.
 *
 * Invariants every node keeps: a server is signalled only by a PID proven to run
 * from its own data location (process-registry.ts), and registered for
 * stop-on-exit; a pid file left by a dead process is removed, so a crashed run
 * never blocks the next one; servers run as the lab user, never as root.
 */
import type { Database, EngineName, Host } from '../../../functions/core/model.ts';
import type { SystemRequirement } from './system-requirements.ts';

/** The OS user a server runs as. */
export interface LabUserRef {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** A lab host as a node needs it. */
export interface LabNodeHost {
  /** The model's host (its `address` is the listen address). */
  readonly host: Host;
  /** PID of a process in the host's mount namespace (its sshd) when the host has private mounts. */
  readonly namespacePid?: number;
  readonly user: LabUserRef;
  /** The lab host's root as it sees it (e.g. `/srv/twinstack`): data lives below it. */
  readonly mountPoint: string;
  /** Where this process finds `hostPath` of this host. */
  realPath(hostPath: string): string;
}

/** What the lab writes into twinstack.yaml for one database of this engine. */
export interface LabDatabaseSpec {
  readonly name: string;
  /** Host name in both stacks. */
  readonly host: string;
  readonly port: number;
  readonly mode: 'async' | 'sync';
  /** The lab hosts' root as they see it (`/srv/twinstack`). */
  readonly mountPoint: string;
  /** The lab user (servers run as it; it is the SSH user). */
  readonly user: string;
}

export interface LabDatabaseNode {
  readonly engine: EngineName;
  /** The loopback port the lab uses by default for this engine. */
  readonly defaultPort: number;
  /** Executables this engine's servers and tools need on the machine, with their Debian packages. */
  readonly requirements: readonly SystemRequirement[];
  /** The `databases[]` entry of twinstack.yaml (plain data, validated by the config schema like any user's). */
  databaseConfig(spec: LabDatabaseSpec): Record<string, unknown>;
  /** A fresh primary of `database` on `host` (anything there before stopped and removed), started. */
  initPrimary(host: LabNodeHost, database: Database): Promise<void>;
  /**
   * Make the twin host ready for the engine's restoreReplica: directories owned by the
   * lab user, and whatever the engine's restore expects to find there (PostgreSQL and
   * MariaDB: nothing running; Redis: an empty running server, which the restore's full
   * sync fills).
   */
  prepareTwin(host: LabNodeHost, database: Database): Promise<void>;
  /** Start the server of an existing data location (idempotent: a running one is kept). */
  start(host: LabNodeHost, database: Database): Promise<void>;
  /** Crash it now, like a dead host (no clean shutdown). No-op when nothing runs. */
  kill(host: LabNodeHost, database: Database): Promise<void>;
  /** Where the data of `database` lives, as the host sees it. */
  dataLocation(database: Database): string;
  /**
   * Stop (like a crash, synchronously: usable in exit handlers) every server of this
   * engine that runs from files below `dir` (a path of THIS process), and remove
   * their stale pid files. Crash recovery: a later run starts clean.
   */
  stopAllUnder(dir: string): void;
  /**
   * The drill's read-back: the ids of every row/member written to `drill_writes`, read
   * through the published connection URL (`url`, as an app would connect).
   */
  readWrittenIds(url: string): Promise<number[]>;
}
