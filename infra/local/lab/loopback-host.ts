/**
 * A lab "host": its own sshd on its own loopback address, with its own ed25519
 * host key (generated once, kept under `<labRoot>/<name>/ssh/`) and a strict
 * config: keys only, one allowed user, no root, no PAM, no forwarded env.
 *
 * Invariants:
 * - the address is in 127.0.0.0/8, nothing else is accepted;
 * - `host.hostKey` is the REAL fingerprint of this sshd's key (`SHA256:` + unpadded base64);
 * - a stale sshd of a crashed earlier run on the same config is stopped first (by its PID);
 * - `stop()` signals only the PID this call started;
 * - with `privateMounts`, sshd (and so every SSH session) runs in its own mount
 *   namespace where each `source` is bind-mounted at `target`: two lab hosts see
 *   different files at the same path, like two machines (a twin is a clone with
 *   the same data directory path). Other processes never see these mounts; from
 *   outside, a host's view of a path is `/proc/<pid>/root/<path>`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Host } from '../../../functions/core/model.ts';
import { LabError } from './lab-error.ts';
import { labHostPaths, type LabHostPaths } from './lab-paths.ts';
import { findProcessesByMarker, isProcessRunning, registerProcess, signalProcess, unregisterProcess, waitForExit } from './process-registry.ts';
import { labDockerPaths, startLabDocker, stopLabDockerSync, type LabDocker } from './lab-docker.ts';
import { runLocalChecked } from './run-local-command.ts';
import { SSHD_PATH } from './system-requirements.ts';

export interface LoopbackHostOptions {
  readonly name: string;
  /** 127.x.y.z only. */
  readonly address: string;
  /** @default 2222 */
  readonly sshPort?: number;
  readonly labRoot: string;
  /** The only user sshd lets in (see lab-user.ts). */
  readonly user: string;
  /** How long to wait for the port to accept connections. @default 10_000 */
  readonly startTimeoutMs?: number;
  /** Bind mounts private to this host (its sshd and sessions): `source` (a lab folder) appears at `target`. */
  readonly privateMounts?: readonly PrivateMount[];
  /**
   * Give the host its own Docker engine (lab-docker.ts): a private /run
   * (`<labRoot>/<name>/run`, so `/var/run/docker.sock` is this host's socket) and a
   * dockerd in its mount namespace, stopped with the host. The socket belongs to `socketGroup`.
   */
  readonly docker?: { readonly socketGroup: string };
}

export interface PrivateMount {
  /** Absolute directory in the real filesystem, e.g. `<labRoot>/primary/srv`. */
  readonly source: string;
  /** Absolute path where this host sees it, e.g. `/srv/twinstack`. */
  readonly target: string;
}

const SAFE_PATH = /^(\/[A-Za-z0-9_.-]+)+$/;
/** Creates each mount point, bind-mounts, then execs sshd; arguments are positional ($1 $2 …), never interpolated. */
const MOUNT_AND_EXEC =
  'set -e; if [ -n "$1" ]; then mount --bind "$1" /run; fi; shift; while [ "$1" != "--" ]; do mkdir -p "$2"; mount --bind "$1" "$2"; shift 2; done; shift; exec "$@"';

function assertMount(mount: PrivateMount): void {
  for (const path of [mount.source, mount.target]) {
    if (!SAFE_PATH.test(path) || path.split('/').includes('..') || path.split('/').length < 3) {
      throw new LabError(`private mount paths must be absolute, at least two levels deep, of [A-Za-z0-9_.-]: ${JSON.stringify(path)}`);
    }
  }
  if (!existsSync(mount.source)) throw new LabError(`private mount source does not exist: ${mount.source}`);
}

export interface LoopbackHost {
  /** The host as the model knows it, with the pinned fingerprint of this sshd. */
  readonly host: Host;
  readonly pid: number;
  readonly paths: LabHostPaths;
  /** This host's Docker engine (with `docker` in the options). */
  readonly docker?: LabDocker;
  /** Stop this host's Docker engine (if any) and its sshd (its PID only); idempotent. Open sessions end with their clients. */
  stop(): Promise<void>;
}

const LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Throw unless `address` is a dotted IPv4 address in 127.0.0.0/8. */
export function assertLoopbackAddress(address: string): void {
  const match = LOOPBACK.exec(address);
  if (!match || match.slice(1).some((octet) => Number(octet) > 255 || (octet.length > 1 && octet.startsWith('0')))) {
    throw new LabError(`lab host address must be in 127.0.0.0/8, got ${JSON.stringify(address)}`);
  }
}

/** OpenSSH fingerprint of a public key line (`ssh-ed25519 AAAA… comment`): `SHA256:` + unpadded base64 of SHA-256(blob). */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new LabError(`not an OpenSSH public key: ${publicKeyLine.slice(0, 40)}`);
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** Resolve true if a TCP connection to address:port is accepted within `timeoutMs`. */
export function canConnect(address: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function sshdConfigText(options: { address: string; port: number; user: string; paths: LabHostPaths }): string {
  return [
    '# Written by infra/local/lab/loopback-host.ts: one lab host, keys only.',
    `ListenAddress ${options.address}:${options.port}`,
    `HostKey ${options.paths.hostKey}`,
    `PidFile ${options.paths.sshdPidFile}`,
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    'PermitRootLogin no',
    `AllowUsers ${options.user}`,
    'UsePAM no',
    'StrictModes yes',
    'PermitUserEnvironment no',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    'AllowTcpForwarding no',
    'PermitTunnel no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 64:30:128',
    'MaxSessions 64',
    'LoginGraceTime 30',
    'ClientAliveInterval 15',
    'LogLevel INFO',
    '',
  ].join('\n');
}

async function ensureHostKey(paths: LabHostPaths, name: string): Promise<string> {
  if (!existsSync(paths.hostKey) || !existsSync(`${paths.hostKey}.pub`)) {
    rmSync(paths.hostKey, { force: true });
    rmSync(`${paths.hostKey}.pub`, { force: true });
    await runLocalChecked(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `twinstack-lab-${name}`, '-f', paths.hostKey], { timeoutMs: 30_000 });
  }
  chmodSync(paths.hostKey, 0o600);
  return readFileSync(`${paths.hostKey}.pub`, 'utf8');
}

/** Stop an sshd left running on this host's config by an earlier (crashed) run, and clear its pid file. */
export async function stopStaleSshd(paths: LabHostPaths): Promise<void> {
  const fromFile = existsSync(paths.sshdPidFile) ? [Number(readFileSync(paths.sshdPidFile, 'utf8').trim())] : [];
  const pids = new Set([...fromFile, ...findProcessesByMarker(paths.sshdConfig)]);
  for (const pid of pids) {
    if (signalProcess(pid, paths.sshdConfig, 'SIGTERM')) await waitForExit(pid, paths.sshdConfig, 5_000);
  }
  rmSync(paths.sshdPidFile, { force: true });
}

function tail(file: string, bytes = 2000): string {
  try {
    return readFileSync(file, 'utf8').slice(-bytes).trim();
  } catch {
    return '';
  }
}

/** Start (or restart) the sshd of one lab host and wait until its port accepts connections. */
export async function startLoopbackHost(options: LoopbackHostOptions): Promise<LoopbackHost> {
  assertLoopbackAddress(options.address);
  const port = options.sshPort ?? 2222;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LabError(`invalid ssh port ${port}`);
  const paths = labHostPaths(options.labRoot, options.name);

  mkdirSync(paths.root, { recursive: true, mode: 0o755 });
  mkdirSync(paths.sshDir, { recursive: true, mode: 0o700 });
  chmodSync(paths.sshDir, 0o700);
  // Privilege separation directory (on tmpfs: gone after a reboot).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const publicKey = await ensureHostKey(paths, options.name);
  await stopStaleSshd(paths);
  if (await canConnect(options.address, port, 300)) {
    throw new LabError(`${options.address}:${port} already accepts connections: another process (not this lab's sshd for ${options.name}) listens there`);
  }
  writeFileSync(paths.sshdConfig, sshdConfigText({ address: options.address, port, user: options.user, paths }), { mode: 0o600 });

  const mounts = options.privateMounts ?? [];
  mounts.forEach(assertMount);
  // A Docker host: engines a crashed run left (containers, shims, dockerd) go first, then its /run starts empty.
  const dockerPaths = options.docker ? labDockerPaths(options.labRoot, paths.root, options.name) : undefined;
  if (dockerPaths) {
    stopLabDockerSync(dockerPaths);
    rmSync(dockerPaths.runDir, { recursive: true, force: true });
    // The privilege-separation directory sshd needs, in the host's own /run.
    mkdirSync(`${dockerPaths.runDir}/sshd`, { recursive: true, mode: 0o755 });
  }
  const sshdArgv = [SSHD_PATH, '-D', '-e', '-f', paths.sshdConfig];
  // `unshare` execs (no fork), and so does the shell: the PID we get is sshd's.
  const argv =
    mounts.length === 0 && !dockerPaths
      ? sshdArgv
      : ['/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', MOUNT_AND_EXEC, `lab-host-${options.name}`, dockerPaths?.runDir ?? '', ...mounts.flatMap((m) => [m.source, m.target]), '--', ...sshdArgv];
  const logFd = openSync(paths.sshdLog, 'a', 0o600);
  let child;
  try {
    child = spawn(argv[0] ?? SSHD_PATH, argv.slice(1), {
      cwd: '/',
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabError(`sshd for ${options.name} did not start: ${tail(paths.sshdLog)}`);
  let exited = false;
  child.once('exit', () => (exited = true));
  registerProcess({ pid, label: `sshd ${options.name}`, marker: paths.sshdConfig, signal: 'SIGTERM' });

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (await canConnect(options.address, port, 300)) break;
    if (exited || Date.now() > deadline) {
      signalProcess(pid, paths.sshdConfig, 'SIGKILL');
      unregisterProcess(pid);
      throw new LabError(`sshd for ${options.name} on ${options.address}:${port} ${exited ? 'exited' : 'did not listen in time'}: ${tail(paths.sshdLog)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!existsSync(paths.sshdPidFile)) writeFileSync(paths.sshdPidFile, `${pid}\n`);

  const host: Host = { name: options.name, address: options.address, sshPort: port, user: options.user, hostKey: fingerprintOf(publicKey) };
  let docker: LabDocker | undefined;
  if (options.docker) {
    try {
      docker = await startLabDocker({ name: options.name, labRoot: options.labRoot, hostRoot: paths.root, namespacePid: pid, socketGroup: options.docker.socketGroup });
    } catch (error) {
      signalProcess(pid, paths.sshdConfig, 'SIGTERM');
      await waitForExit(pid, paths.sshdConfig, 5_000);
      unregisterProcess(pid);
      throw error;
    }
  }
  let stopped = false;
  return {
    host,
    pid,
    paths,
    ...(docker ? { docker } : {}),
    async stop() {
      if (stopped) return;
      stopped = true;
      await docker?.stop();
      if (isProcessRunning(pid, paths.sshdConfig)) {
        signalProcess(pid, paths.sshdConfig, 'SIGTERM');
        await waitForExit(pid, paths.sshdConfig, 5_000);
      }
      unregisterProcess(pid);
      rmSync(paths.sshdPidFile, { force: true });
    },
  };
}
