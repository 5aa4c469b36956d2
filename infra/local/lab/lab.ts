/**
 * The local lab: loopback "hosts", each with its own sshd in its own mount
 * namespace (so every host sees ITS files at the same path, like two machines:
 * the twin's data directory path equals the primary's), logged into as one
 * unprivileged lab user with the control plane's key. Used by the integration
 * tests; the drill composes the same pieces itself.
 *
 * Invariants:
 * - everything the lab starts is stopped by `destroy()`, and also when the
 *   process exits or gets SIGINT/SIGTERM (registry of PIDs, signalled by PID only);
 * - a run after a crash works: stale sshd and database servers (every engine's lab
 *   node) of the same lab root are stopped, stale pid files removed, host keys and the control plane key reused
 *   (so pinned fingerprints stay the same across runs);
 * - two labs with different roots and addresses (drill, tests) never touch each other.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, Host } from '../../../functions/core/model.ts';
import type { LabNodeHost } from './lab-database-node.ts';
import { LabError } from './lab-error.ts';
import { ensureUserDir } from './lab-files.ts';
import { LAB_NODES, labNodeFor } from './lab-nodes.ts';
import { assertLabHostName, labHostPaths, type LabHostPaths } from './lab-paths.ts';
import { ensureLabUser, type LabUser } from './lab-user.ts';
import { startLoopbackHost, stopStaleSshd, type LoopbackHost } from './loopback-host.ts';
import { installExitHandlers, registerSyncCleanup } from './process-registry.ts';
import { ensureSystemRequirements } from './system-requirements.ts';

export interface LabHostSpec {
  /** Directory-safe name, e.g. `primary`, `twin`. */
  readonly name: string;
  /** 127.x.y.z, unique per host. */
  readonly address: string;
  /** @default 2222 */
  readonly sshPort?: number;
}

export interface CreateLabOptions {
  /** Absolute, e.g. /var/tmp/twinstack-lab. */
  readonly labRoot: string;
  readonly hosts: readonly LabHostSpec[];
  /** Where every host sees its own `<labRoot>/<host>/srv`. @default '/srv/twinstack' */
  readonly mountPoint?: string;
  /** @default 'twinstack' */
  readonly user?: string;
  /** Install missing system packages with apt-get (root, Debian). @default false: throw naming the command */
  readonly install?: boolean;
  /** Remove the host files (`srv/`) left by an earlier run (keys are always kept). @default true */
  readonly resetData?: boolean;
  /** Stop everything on SIGINT/SIGTERM too (always on exit). @default true */
  readonly handleSignals?: boolean;
  readonly log?: (line: string) => void;
}

export interface LabHost {
  readonly name: string;
  /** The model's Host: address, port, lab user, pinned host key fingerprint. */
  readonly host: Host;
  /** PID of its sshd: also the handle of its mount namespace (`namespacePid`). */
  readonly sshdPid: number;
  readonly paths: LabHostPaths;
  /** The real path (for this process) of a path as the host sees it. */
  realPath(hostPath: string): string;
  /** This host as a lab database node sees it (its namespace, user, mount point). */
  readonly nodeHost: LabNodeHost;
  /** Stop this host's sshd (the host becomes unreachable over SSH). */
  stopSsh(): Promise<void>;
}

export interface Lab {
  readonly labRoot: string;
  readonly mountPoint: string;
  readonly user: LabUser;
  /** The control plane's private key (OpenSSH format): `new Ssh2RemoteShell({ privateKey })`. */
  readonly privateKey: string;
  readonly hosts: readonly LabHost[];
  /** The lab host called `name`; throws when there is none. */
  host(name: string): LabHost;
  /** A fresh primary of `database` (any engine, lab-nodes.ts) on lab host `hostName`, started. */
  initPrimary(hostName: string, database: Database): Promise<void>;
  /** Make lab host `hostName` ready for the engine's restoreReplica of `database`. */
  prepareTwin(hostName: string, database: Database): Promise<void>;
  /** Start the existing server of `database` on `hostName` (idempotent). */
  startDatabase(hostName: string, database: Database): Promise<void>;
  /** Crash the server of `database` on `hostName` (no clean shutdown). */
  killDatabase(hostName: string, database: Database): Promise<void>;
  /** Stop every sshd and database server of the lab; `removeData` also deletes the hosts' files. Idempotent. */
  destroy(options?: { readonly removeData?: boolean }): Promise<void>;
}

/** Lab host folders present under `labRoot` (those with an ssh/ or srv/ folder). */
function hostFoldersOf(labRoot: string): LabHostPaths[] {
  if (!existsSync(labRoot)) return [];
  return readdirSync(labRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      try {
        const paths = labHostPaths(labRoot, entry.name);
        return existsSync(paths.sshDir) || existsSync(paths.srvDir) ? [paths] : [];
      } catch {
        return [];
      }
    });
}

/** Synchronous: stop every database server (of every engine) running from the lab's host files (exit handlers, crash cleanup). */
function stopLabDatabasesSync(labRoot: string): void {
  for (const paths of hostFoldersOf(labRoot)) {
    for (const node of LAB_NODES) node.stopAllUnder(paths.srvDir);
  }
}

/**
 * Stop everything a lab at `labRoot` may have left running (sshd from pid files
 * or their config path, every engine's servers through its lab node), remove stale pid files,
 * and with `removeData` the hosts' files. Keys are kept. Safe any time, e.g. after a crash.
 */
export async function destroyLab(labRoot: string, options: { readonly removeData?: boolean } = {}): Promise<void> {
  stopLabDatabasesSync(labRoot);
  for (const paths of hostFoldersOf(labRoot)) {
    await stopStaleSshd(paths);
    if (options.removeData) rmSync(paths.srvDir, { recursive: true, force: true });
  }
}

const MOUNT_POINT = /^(\/[A-Za-z0-9_.-]+){2,}$/;

/**
 * Build the lab: check (or install) system packages, the lab user and key,
 * clean leftovers of earlier runs, and start every host's sshd. On failure,
 * whatever was started is stopped before the error propagates.
 */
export async function createLab(options: CreateLabOptions): Promise<Lab> {
  const log = options.log ?? (() => undefined);
  const { labRoot } = options;
  const mountPoint = options.mountPoint ?? '/srv/twinstack';
  if (!labRoot.startsWith('/') || labRoot === '/' || labRoot.includes('..')) throw new LabError(`labRoot must be an absolute path, got ${labRoot}`);
  if (!MOUNT_POINT.test(mountPoint) || mountPoint.includes('..')) throw new LabError(`mountPoint must be an absolute path two levels deep or more, got ${mountPoint}`);
  const names = options.hosts.map((h) => h.name);
  const addresses = options.hosts.map((h) => `${h.address}:${h.sshPort ?? 2222}`);
  if (new Set(names).size !== names.length) throw new LabError(`lab host names must be unique: ${names.join(', ')}`);
  if (new Set(addresses).size !== addresses.length) throw new LabError(`lab host addresses must be unique: ${addresses.join(', ')}`);
  names.forEach(assertLabHostName);

  await ensureSystemRequirements({ install: options.install ?? false, log });
  mkdirSync(labRoot, { recursive: true, mode: 0o755 });
  chmodSync(labRoot, 0o755);
  const user = await ensureLabUser({ labRoot, ...(options.user ? { name: options.user } : {}) });
  log(`lab user ${user.name} (uid ${user.uid}) ready`);

  await destroyLab(labRoot, { removeData: options.resetData ?? true });
  if (options.handleSignals ?? true) installExitHandlers();
  const unregisterCleanup = registerSyncCleanup(() => stopLabDatabasesSync(labRoot));

  const started: LoopbackHost[] = [];
  try {
    const results = await Promise.allSettled(
      options.hosts.map(async (spec) => {
        const paths = labHostPaths(labRoot, spec.name);
        mkdirSync(paths.root, { recursive: true, mode: 0o755 });
        ensureUserDir(paths.srvDir, user, 0o750);
        ensureUserDir(join(paths.srvDir, 'run'), user, 0o755);
        const host = await startLoopbackHost({
          name: spec.name,
          address: spec.address,
          sshPort: spec.sshPort ?? 2222,
          labRoot,
          user: user.name,
          privateMounts: [{ source: paths.srvDir, target: mountPoint }],
        });
        started.push(host);
        log(`host ${spec.name}: sshd ${host.pid} on ${spec.address}:${host.host.sshPort} (${host.host.hostKey}), ${paths.srvDir} at ${mountPoint}`);
        return host;
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await Promise.all(started.map((h) => h.stop()));
    await destroyLab(labRoot);
    unregisterCleanup();
    throw err;
  }

  const byName = new Map<string, LabHost>(
    options.hosts.map((spec) => {
      const loopback = started.find((h) => h.host.name === spec.name);
      if (!loopback) throw new LabError(`lab host ${spec.name} did not start`);
      const realPath = (hostPath: string): string => {
        if (hostPath !== mountPoint && !hostPath.startsWith(`${mountPoint}/`)) throw new LabError(`${hostPath} is not under ${mountPoint}`);
        return `${loopback.paths.srvDir}${hostPath.slice(mountPoint.length)}`;
      };
      const labHost: LabHost = {
        name: spec.name,
        host: loopback.host,
        sshdPid: loopback.pid,
        paths: loopback.paths,
        realPath,
        nodeHost: { host: loopback.host, namespacePid: loopback.pid, user, mountPoint, realPath },
        stopSsh: () => loopback.stop(),
      };
      return [spec.name, labHost];
    }),
  );
  const hostNamed = (name: string): LabHost => {
    const found = byName.get(name);
    if (!found) throw new LabError(`the lab has no host ${name} (hosts: ${names.join(', ')})`);
    return found;
  };

  let destroyed = false;
  return {
    labRoot,
    mountPoint,
    user,
    privateKey: user.privateKey,
    hosts: [...byName.values()],
    host: hostNamed,
    initPrimary: (hostName, database) => labNodeFor(database.engine).initPrimary(hostNamed(hostName).nodeHost, database),
    prepareTwin: (hostName, database) => labNodeFor(database.engine).prepareTwin(hostNamed(hostName).nodeHost, database),
    startDatabase: (hostName, database) => labNodeFor(database.engine).start(hostNamed(hostName).nodeHost, database),
    killDatabase: (hostName, database) => labNodeFor(database.engine).kill(hostNamed(hostName).nodeHost, database),
    async destroy(destroyOptions = {}) {
      if (destroyed) return;
      destroyed = true;
      // Databases first: their data is reachable by real path whether or not sshd runs.
      await destroyLab(labRoot, destroyOptions);
      await Promise.all([...byName.values()].map((h) => h.stopSsh()));
      unregisterCleanup();
    },
  };
}

