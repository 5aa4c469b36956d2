/**
 * The local lab: loopback "hosts", each with its own sshd (and, on database
 * hosts, PostgreSQL), logged into as one unprivileged lab user with the control
 * plane's key. Used by the integration tests and by `npm run drill`.
 *
 * Invariants:
 * - everything the lab starts is stopped by `destroy()`, and also when the
 *   process exits or gets SIGINT/SIGTERM (registry of PIDs, signalled by PID only);
 * - a run after a crash works: stale sshd and postmasters of the same lab root are
 *   stopped, stale pid files removed, host keys and the control plane key reused
 *   (so pinned fingerprints stay the same across runs);
 * - two labs with different roots and addresses (drill, tests) never touch each other.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host, PostgresSettings } from '../../../functions/core/model.ts';
import { LabError } from './lab-error.ts';
import { labDataDir, labHostPaths, type LabHostPaths } from './lab-paths.ts';
import { ensureLabUser, type LabUser } from './lab-user.ts';
import { startLoopbackHost, stopStaleSshd, type LoopbackHost } from './loopback-host.ts';
import { destroyPostgres, ensureUserDir, initPostgresPrimary, killPostgres, type PostgresNode } from './postgres-node.ts';
import { installExitHandlers, registerSyncCleanup, signalProcess } from './process-registry.ts';
import { ensureSystemRequirements } from './system-requirements.ts';

export interface LabHostSpec {
  /** Directory-safe name, e.g. `db` (the same logical host on both stacks gets two lab hosts: `primary-db`, `twin-db`). */
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
  /** @default 'twinstack' */
  readonly user?: string;
  /** Install missing system packages with apt-get (root, Debian). @default false: throw naming the command */
  readonly install?: boolean;
  /** Remove the data directories left by an earlier run (keys are always kept). @default true */
  readonly resetData?: boolean;
  /** Stop everything on exit/SIGINT/SIGTERM. @default true */
  readonly handleSignals?: boolean;
  readonly log?: (line: string) => void;
}

export interface LabHost {
  readonly name: string;
  /** The model's Host: address, port, lab user, pinned host key fingerprint. */
  readonly host: Host;
  /** PID of its sshd. */
  readonly sshdPid: number;
  readonly paths: LabHostPaths;
  /** Data directory for `database` on this host (parent exists and belongs to the lab user). */
  dataDir(database: string): string;
  /** Stop this host's sshd (the host becomes unreachable over SSH). */
  stopSsh(): Promise<void>;
}

export interface LabPrimaryOptions {
  /** Database name, used as the data directory name: `<host>/pg/<database>`. */
  readonly database: string;
  readonly port: number;
  /** @default 'host-address' (lab hosts share port numbers) */
  readonly listenOn?: PostgresSettings['listenOn'];
  /** @default the lab user's name */
  readonly superuser?: string;
}

export interface Lab {
  readonly labRoot: string;
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
  /** Stop every sshd and PostgreSQL server of the lab; `removeData` also deletes data directories. Idempotent. */
  destroy(options?: { readonly removeData?: boolean }): Promise<void>;
}

/** Data directories (with or without a cluster) under a lab host's pg folder. */
function dataDirsOf(paths: LabHostPaths): string[] {
  if (!existsSync(paths.pgDir)) return [];
  return readdirSync(paths.pgDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(paths.pgDir, entry.name));
}

/** Lab host folders present under `labRoot` (those with an ssh/ or pg/ folder). */
function hostFoldersOf(labRoot: string): LabHostPaths[] {
  if (!existsSync(labRoot)) return [];
  return readdirSync(labRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      try {
        const paths = labHostPaths(labRoot, entry.name);
        return existsSync(paths.sshDir) || existsSync(paths.pgDir) ? [paths] : [];
      } catch {
        return [];
      }
    });
}

function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Synchronous, signals only: SIGQUIT every postmaster of the lab (for exit handlers). */
function quitLabPostgresSync(labRoot: string): void {
  for (const paths of hostFoldersOf(labRoot)) {
    for (const dataDir of dataDirsOf(paths)) {
      const pid = pidFromFile(join(dataDir, 'postmaster.pid'));
      if (pid !== undefined) signalProcess(pid, dataDir, 'SIGQUIT');
    }
  }
}

/**
 * Stop everything a lab at `labRoot` may have left running (sshd from pid files,
 * postmasters from postmaster.pid), remove stale pid files, and optionally the
 * data directories. Keys are kept. Safe to run any time, e.g. after a crash.
 */
export async function destroyLab(labRoot: string, options: { readonly removeData?: boolean } = {}): Promise<void> {
  for (const paths of hostFoldersOf(labRoot)) {
    await stopStaleSshd(paths);
    for (const dataDir of dataDirsOf(paths)) {
      if (options.removeData) await destroyPostgres(dataDir);
      else await killPostgres(dataDir);
    }
  }
}

/**
 * Build the lab: check (or install) system packages, the lab user and key,
 * clean leftovers of earlier runs, and start every host's sshd. On failure,
 * whatever was started is stopped before the error propagates.
 */
export async function createLab(options: CreateLabOptions): Promise<Lab> {
  const log = options.log ?? (() => undefined);
  const { labRoot } = options;
  if (!labRoot.startsWith('/') || labRoot === '/' || labRoot.includes('..')) throw new LabError(`labRoot must be an absolute path, got ${labRoot}`);
  const names = options.hosts.map((h) => h.name);
  const addresses = options.hosts.map((h) => `${h.address}:${h.sshPort ?? 2222}`);
  if (new Set(names).size !== names.length) throw new LabError(`lab host names must be unique: ${names.join(', ')}`);
  if (new Set(addresses).size !== addresses.length) throw new LabError(`lab host addresses must be unique: ${addresses.join(', ')}`);
  for (const name of names) labHostPaths(labRoot, name); // validates names

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
        ensureUserDir(paths.pgDir, user, 0o750);
        ensureUserDir(paths.socketDir, user, 0o755);
        const host = await startLoopbackHost({ name: spec.name, address: spec.address, sshPort: spec.sshPort ?? 2222, labRoot, user: user.name });
        started.push(host);
        log(`host ${spec.name}: sshd ${host.pid} on ${spec.address}:${host.host.sshPort} (${host.host.hostKey})`);
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
        dataDir: (database) => labDataDir(labRoot, spec.name, database),
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
    user,
    privateKey: user.privateKey,
    hosts: [...byName.values()],
    host: hostNamed,
    initPostgresPrimary(hostName, primary) {
      const labHost = hostNamed(hostName);
      return initPostgresPrimary({
        host: labHost.host,
        dataDir: labHost.dataDir(primary.database),
        port: primary.port,
        socketDir: labHost.paths.socketDir,
        user,
        listenOn: primary.listenOn ?? 'host-address',
        superuser: primary.superuser ?? user.name,
      });
    },
    killPostgres: (hostName, database) => killPostgres(hostNamed(hostName).dataDir(database)),
    async destroy(destroyOptions = {}) {
      if (destroyed) return;
      destroyed = true;
      await Promise.all([...byName.values()].map((h) => h.stopSsh()));
      await destroyLab(labRoot, destroyOptions);
      unregisterCleanup();
    },
  };
}
