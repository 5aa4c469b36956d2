/**
 * A Docker engine per lab host: its own `dockerd` started INSIDE the host's mount
 * namespace, where the host's private run directory (`<labRoot>/<host>/run`) is
 * mounted at /run (loopback-host.ts). So `/var/run/docker.sock` inside the host is
 * this engine's socket, and `docker` run over SSH by the lab user "just works"
 * (the socket's group is the lab user's group, `-G`).
 *
 * Per engine: data root `<labRoot>/<host>/docker/data` (kept across runs: the base
 * image is imported once), exec root, pid file and socket under the private /run,
 * `--bridge=none --iptables=false --ip-masq=false` (containers use host networking),
 * and a cgroup parent of its own, so every container process of this engine is found
 * (and killed) through `/sys/fs/cgroup/<controller>/<cgroupParent>/<container id>`.
 *
 * Invariants:
 * - dockerd is signalled only by its PID, proven by its `--data-root` (process-registry.ts);
 * - `stopLabDockerSync` (exit handlers, crash recovery) stops every container process,
 *   containerd shim and dockerd of this host that a run (also a crashed one) left;
 * - `kill()` is a dead host: container processes, shims and dockerd get SIGKILL
 *   (containerd dies with dockerd: dockerd starts it with a parent-death signal).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './lab-error.ts';
import { findProcessesByMarker, isProcessRunning, registerProcess, registerSyncCleanup, signalProcess, unregisterProcess, waitForExit, waitForExitSync } from './process-registry.ts';
import { runLocal, runLocalChecked, type LocalCommandResult } from './run-local-command.ts';

export const DOCKERD_PATH = '/usr/sbin/dockerd';
/** The image every lab engine has: a node binary and the libraries `ldd` lists, imported with `docker import`. */
export const LAB_BASE_IMAGE = 'twinstack/node-base:lab';

export interface LabDockerPaths {
  /** `<labRoot>/<host>/docker`: data root, log. */
  readonly root: string;
  readonly dataRoot: string;
  readonly log: string;
  /** The host's private /run (real path). */
  readonly runDir: string;
  /** The engine's socket, real path (`/var/run/docker.sock` inside the host). */
  readonly socket: string;
  readonly pidFile: string;
  /** Unique per lab root and host: `/sys/fs/cgroup/<controller>/<cgroupParent>`. */
  readonly cgroupParent: string;
}

export function labDockerPaths(labRoot: string, hostRoot: string, name: string): LabDockerPaths {
  const root = join(hostRoot, 'docker');
  const runDir = join(hostRoot, 'run');
  const hash = createHash('sha256').update(labRoot).digest('hex').slice(0, 8);
  return {
    root,
    dataRoot: join(root, 'data'),
    log: join(root, 'dockerd.log'),
    runDir,
    socket: join(runDir, 'docker.sock'),
    pidFile: join(runDir, 'docker.pid'),
    cgroupParent: `twinstack-lab-${hash}-${name}`,
  };
}

/** Container ids and their processes under this engine's cgroup parent (every cgroup v1 controller, or v2). */
function containerCgroups(paths: LabDockerPaths): { ids: Set<string>; pids: Set<number> } {
  const ids = new Set<string>();
  const pids = new Set<number>();
  const roots = ['/sys/fs/cgroup', ...safeList('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c))];
  for (const root of roots) {
    const parent = join(root, paths.cgroupParent);
    if (!existsSync(parent)) continue;
    const visit = (dir: string, depth: number): void => {
      for (const line of safeRead(join(dir, 'cgroup.procs')).split('\n')) if (/^\d+$/.test(line)) pids.add(Number(line));
      if (depth > 3) return;
      for (const entry of safeList(dir)) {
        const sub = join(dir, entry);
        if (/^[0-9a-f]{64}$/.test(entry)) ids.add(entry);
        if (existsSync(join(sub, 'cgroup.procs'))) visit(sub, depth + 1);
      }
    };
    visit(parent, 0);
  }
  return { ids, pids };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** containerd shims of these containers (their argv names the container id after `-id`). */
function shimsOf(ids: ReadonlySet<string>): number[] {
  if (ids.size === 0) return [];
  return safeList('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const argv = safeRead(`/proc/${pid}/cmdline`).split('\0');
      const at = argv.indexOf('-id');
      return (argv[0] ?? '').includes('containerd-shim') && at >= 0 && ids.has(argv[at + 1] ?? '');
    });
}

function dockerdPids(paths: LabDockerPaths): number[] {
  const fromFile = Number(safeRead(paths.pidFile).trim());
  return [...new Set([...(Number.isInteger(fromFile) && fromFile > 1 ? [fromFile] : []), ...findProcessesByMarker(paths.dataRoot)])].filter((pid) =>
    isProcessRunning(pid, paths.dataRoot),
  );
}

/** SIGKILL every container process and shim of this engine; returns how many processes were signalled. */
function killContainers(paths: LabDockerPaths): number {
  const { ids, pids } = containerCgroups(paths);
  let signalled = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      signalled += 1;
    } catch {
      // already gone
    }
  }
  for (const pid of shimsOf(ids)) {
    try {
      process.kill(pid, 'SIGKILL');
      signalled += 1;
    } catch {
      // already gone
    }
  }
  return signalled;
}

/**
 * Synchronous (exit handlers, crash recovery): kill this engine's containers and
 * shims, stop its dockerd (SIGTERM, SIGKILL after a bound), remove its stale pid file.
 */
export function stopLabDockerSync(paths: LabDockerPaths, signal: NodeJS.Signals = 'SIGTERM'): void {
  killContainers(paths);
  for (const pid of dockerdPids(paths)) {
    if (signalProcess(pid, paths.dataRoot, signal)) waitForExitSync(pid, paths.dataRoot, 10_000);
  }
  // A shim whose container died may outlive its dockerd: a second pass finds none left.
  killContainers(paths);
  rmSync(paths.pidFile, { force: true });
}

export interface LabDocker {
  readonly pid: number;
  readonly paths: LabDockerPaths;
  /** Run the docker CLI against this engine (from outside the host: through the socket's real path). */
  docker(args: readonly string[], options?: { readonly input?: string; readonly timeoutMs?: number }): Promise<LocalCommandResult>;
  /** A dead host: SIGKILL to every container process, shim and dockerd. Idempotent. */
  kill(): Promise<void>;
  /** Clean stop: containers killed, dockerd SIGTERM (bounded). Idempotent. */
  stop(): Promise<void>;
}

export interface StartLabDockerOptions {
  readonly name: string;
  readonly labRoot: string;
  readonly hostRoot: string;
  /** A process in the host's mount namespace (its sshd): dockerd runs in that namespace. */
  readonly namespacePid: number;
  /** Group (name or gid) that owns the socket: the lab user's. */
  readonly socketGroup: string;
  /** @default 30_000 */
  readonly startTimeoutMs?: number;
}

/** Start this host's dockerd in its namespace and wait until it answers on its socket. */
export async function startLabDocker(options: StartLabDockerOptions): Promise<LabDocker> {
  if (!existsSync(DOCKERD_PATH)) throw new LabError(`${DOCKERD_PATH} is missing: install docker.io (sh .ci/install-system-packages.sh)`);
  const paths = labDockerPaths(options.labRoot, options.hostRoot, options.name);
  stopLabDockerSync(paths);
  mkdirSync(paths.dataRoot, { recursive: true, mode: 0o710 });
  // As the host sees them: /run is its private run directory.
  const argv = [
    '/usr/bin/nsenter', '-t', String(options.namespacePid), '-m', '--',
    DOCKERD_PATH,
    '--data-root', paths.dataRoot,
    '--exec-root', '/run/docker',
    '--pidfile', '/run/docker.pid',
    '-H', 'unix:///run/docker.sock',
    '-G', options.socketGroup,
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false',
    '--exec-opt', 'native.cgroupdriver=cgroupfs',
    '--cgroup-parent', `/${paths.cgroupParent}`,
    '--shutdown-timeout', '2',
    '--log-level', 'warn',
    '--userland-proxy=false',
  ];
  const logFd = openSync(paths.log, 'a', 0o600);
  let child;
  try {
    child = spawn(argv[0] ?? 'nsenter', argv.slice(1), {
      cwd: '/',
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  // nsenter execs dockerd (no fork without --pid): the PID is dockerd's.
  const pid = child.pid;
  if (pid === undefined) throw new LabError(`dockerd for ${options.name} did not start: ${tail(paths.log)}`);
  let exited = false;
  child.once('exit', () => (exited = true));
  registerProcess({ pid, label: `dockerd ${options.name}`, marker: paths.dataRoot, signal: 'SIGTERM' });
  const unregisterCleanup = registerSyncCleanup(() => killContainers(paths));

  const docker: LabDocker['docker'] = (args, runOptions = {}) =>
    runLocal(['docker', '-H', `unix://${paths.socket}`, ...args], {
      timeoutMs: runOptions.timeoutMs ?? 60_000,
      ...(runOptions.input !== undefined ? { input: runOptions.input } : {}),
    });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (existsSync(paths.socket) && (await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5_000 })).exitCode === 0) break;
    if (exited || Date.now() > deadline) {
      stopLabDockerSync(paths, 'SIGKILL');
      unregisterProcess(pid);
      unregisterCleanup();
      throw new LabError(`dockerd for ${options.name} ${exited ? 'exited' : 'did not answer in time'}: ${tail(paths.log)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopped = false;
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopped) return;
    stopped = true;
    killContainers(paths);
    if (signalProcess(pid, paths.dataRoot, signal)) await waitForExit(pid, paths.dataRoot, 10_000);
    killContainers(paths);
    unregisterProcess(pid);
    unregisterCleanup();
  };
  return { pid, paths, docker, kill: () => halt('SIGKILL'), stop: () => halt('SIGTERM') };
}

function tail(file: string, bytes = 1500): string {
  return safeRead(file).slice(-bytes).trim();
}

/**
 * The lab's base image: no registry is reachable, so it is made here — a root
 * filesystem holding the node binary and the shared libraries `ldd` lists — and
 * imported (`tar -C ROOTFS -c . | docker import - NAME`) into an engine that lacks it.
 * The tarball is made once per lab root and reused.
 */
export async function ensureLabBaseImage(labRoot: string, engine: LabDocker): Promise<void> {
  if ((await engine.docker(['image', 'inspect', '--format', '{{.Id}}', LAB_BASE_IMAGE], { timeoutMs: 15_000 })).exitCode === 0) return;
  const tarball = await ensureBaseRootfsTarball(labRoot);
  await runLocalChecked(['sh', '-c', 'docker -H "$1" import - "$2" < "$3"', 'import', `unix://${engine.paths.socket}`, LAB_BASE_IMAGE, tarball], { timeoutMs: 120_000 });
}

const NODE_BINARY = '/usr/bin/node';
let tarballOnce: Promise<string> | undefined;

function ensureBaseRootfsTarball(labRoot: string): Promise<string> {
  tarballOnce ??= (async () => {
    const dir = join(labRoot, 'base-image');
    const tarball = join(dir, 'node-base.tar');
    if (existsSync(tarball)) return tarball;
    const rootfs = join(dir, 'rootfs');
    rmSync(rootfs, { recursive: true, force: true });
    mkdirSync(join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
    const ldd = await runLocalChecked(['ldd', NODE_BINARY], { timeoutMs: 15_000 });
    const libraries = [...ldd.stdout.matchAll(/(\/\S+)/g)].map((m) => m[1] ?? '').filter(Boolean);
    for (const file of [NODE_BINARY, ...libraries]) {
      await runLocalChecked(['sh', '-c', 'mkdir -p "$2$(dirname "$1")" && cp -L "$1" "$2$1"', 'copy', file, rootfs], { timeoutMs: 30_000 });
    }
    await runLocalChecked(['tar', '-C', rootfs, '--numeric-owner', '-cf', `${tarball}.tmp`, '.'], { timeoutMs: 120_000 });
    await runLocalChecked(['mv', '-f', `${tarball}.tmp`, tarball], { timeoutMs: 10_000 });
    rmSync(rootfs, { recursive: true, force: true });
    return tarball;
  })();
  return tarballOnce;
}

/** What a Docker lab host needs, beyond the lab's base packages: executable → Debian package. */
const DOCKER_REQUIREMENTS: ReadonlyArray<{ readonly paths: readonly string[]; readonly debianPackage: string }> = [
  { paths: [DOCKERD_PATH], debianPackage: 'docker.io' },
  { paths: ['/usr/bin/docker-compose', '/usr/libexec/docker/cli-plugins/docker-compose', '/usr/lib/docker/cli-plugins/docker-compose'], debianPackage: 'docker-compose' },
  { paths: ['/usr/bin/nsenter'], debianPackage: 'util-linux' },
];

/**
 * Docker and Compose for the drill's hosts: checked, and installed with apt-get when
 * missing (root on Debian/Ubuntu), as the drill does for its other packages.
 */
export async function ensureDockerRequirements(options: { readonly install: boolean; readonly log?: (line: string) => void }): Promise<void> {
  const missing = [...new Set(DOCKER_REQUIREMENTS.filter((r) => !r.paths.some((p) => existsSync(p))).map((r) => r.debianPackage))];
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!options.install || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new LabError(`the lab's Docker hosts need ${missing.join(', ')}. Run as root: sh .ci/install-system-packages.sh   (or: ${command})`);
  }
  options.log?.(`installing ${missing.join(' ')} with apt-get`);
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8' };
  await runLocalChecked(['apt-get', 'update'], { env, timeoutMs: 300_000 });
  await runLocalChecked(['apt-get', 'install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 900_000 });
}
