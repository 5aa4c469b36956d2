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
 * - a run after a crash works: stale sshd and postmasters of the same lab root are
 *   stopped, stale pid files removed, host keys and the control plane key reused
 *   (so pinned fingerprints stay the same across runs);
 * - two labs with different roots and addresses (drill, tests) never touch each other.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Host, PostgresSettings } from '../../../functions/core/model.ts';
import { LabError } from './lab-error.ts';
import { assertLabHostName, labHostPaths, type LabHostPaths } from './lab-paths.ts';
import { ensureLabUser, type LabUser } from './lab-user.ts';
import { startLoopbackHost, stopStaleSshd, type LoopbackHost } from './loopback-host.ts';
import { ensureUserDir, initPostgresPrimary, killPostgres, type PostgresNode } from './postgres-node.ts';
import { cwdIdentityOf, installExitHandlers, registerSyncCleanup, signalProcess } from './process-registry.ts';
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
  /** PostgreSQL socket directory, as the host sees it. */
  readonly socketDir: string;
  /** Data directory of `database`, as the host sees it (its parent belongs to the lab user). */
  dataDir(database: string): string;
  /** The real path (for this process) of a path as the host sees it. */
  realPath(hostPath: string): string;
  /** Stop this host's sshd (the host becomes unreachable over SSH). */
  stopSsh(): Promise<void>;
}

export interface LabPrimaryOptions {
  /** Database name, used as the data directory name: `<mountPoint>/pg/<database>`. */
  readonly database: string;
  readonly port: number;
  /** @default 'host-address' (lab hosts share port numbers) */
  readonly listenOn?: PostgresSettings['listenOn'];
  /** @default the lab user's name */
  readonly superuser?: string;
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
  /** Fresh PostgreSQL primary on lab host `hostName` (see postgres-node.ts). */
  initPostgresPrimary(hostName: string, options: LabPrimaryOptions): Promise<PostgresNode>;
  /** Crash the PostgreSQL server of `database` on `hostName` (immediate stop). */
  killPostgres(hostName: string, database: string): Promise<void>;
  /** Stop every sshd and PostgreSQL server of the lab; `removeData` also deletes the hosts' files. Idempotent. */
  destroy(options?: { readonly removeData?: boolean }): Promise<void>;
}

/** Directories under `dir` (depth ≤ 3) that hold a postmaster.pid: data directories that may run. */
function clusterDirsUnder(dir: string, depth = 3): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const here = entries.some((e) => e.isFile() && e.name === 'postmaster.pid') ? [dir] : [];
  return [...here, ...entries.filter((e) => e.isDirectory() && !e.isSymbolicLink()).flatMap((e) => clusterDirsUnder(join(dir, e.name), depth - 1))];
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

/** Synchronous, signals only: SIGQUIT every postmaster running in the lab's host files (for exit handlers). */
function quitLabPostgresSync(labRoot: string): void {
  for (const paths of hostFoldersOf(labRoot)) {
    for (const dataDir of clusterDirsUnder(paths.srvDir)) {
      const identity = cwdIdentityOf(dataDir);
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (identity) signalProcess(pid, identity, 'SIGQUIT');
    }
  }
}

/**
 * Stop everything a lab at `labRoot` may have left running (sshd from pid files
 * or their config path, postmasters from postmaster.pid), remove stale pid files,
 * and with `removeData` the hosts' files. Keys are kept. Safe any time, e.g. after a crash.
 */
export async function destroyLab(labRoot: string, options: { readonly removeData?: boolean } = {}): Promise<void> {
  for (const paths of hostFoldersOf(labRoot)) {
    for (const dataDir of clusterDirsUnder(paths.srvDir)) await killPostgres(dataDir);
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
  const unregisterCleanup = registerSyncCleanup(() => quitLabPostgresSync(labRoot));

  const started: LoopbackHost[] = [];
  try {
    const results = await Promise.allSettled(
      options.hosts.map(async (spec) => {
        const paths = labHostPaths(labRoot, spec.name);
        mkdirSync(paths.root, { recursive: true, mode: 0o755 });
        ensureUserDir(paths.srvDir, user, 0o750);
        ensureUserDir(join(paths.srvDir, 'pg'), user, 0o750);
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
      const labHost: LabHost = {
        name: spec.name,
        host: loopback.host,
        sshdPid: loopback.pid,
        paths: loopback.paths,
        socketDir: `${mountPoint}/run`,
        dataDir: (database) => {
          assertLabHostName(database);
          return `${mountPoint}/pg/${database}`;
        },
        realPath: (hostPath) => {
          if (hostPath !== mountPoint && !hostPath.startsWith(`${mountPoint}/`)) throw new LabError(`${hostPath} is not under ${mountPoint}`);
          return `${loopback.paths.srvDir}${hostPath.slice(mountPoint.length)}`;
        },
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
    initPostgresPrimary(hostName, primary) {
      const labHost = hostNamed(hostName);
      return initPostgresPrimary({
        host: labHost.host,
        namespacePid: labHost.sshdPid,
        dataDir: labHost.dataDir(primary.database),
        port: primary.port,
        socketDir: labHost.socketDir,
        user,
        listenOn: primary.listenOn ?? 'host-address',
        superuser: primary.superuser ?? user.name,
      });
    },
    killPostgres: (hostName, database) => {
      const labHost = hostNamed(hostName);
      return killPostgres(labHost.realPath(labHost.dataDir(database)));
    },
    async destroy(destroyOptions = {}) {
      if (destroyed) return;
      destroyed = true;
      // Postgres first: its data dirs are reachable by real path whether or not sshd runs.
      await destroyLab(labRoot, destroyOptions);
      await Promise.all([...byName.values()].map((h) => h.stopSsh()));
      unregisterCleanup();
    },
  };
}

