/**
 * Which packets belong to which lab host. Both lab hosts share this machine's network
 * stack and every loopback connection leaves from 127.0.0.1, so addresses cannot tell
 * the twin's replication link from the control plane's SSH to the same primary. What
 * does tell them apart is the process: every process of a lab host (its sshd, its
 * sessions, the database servers they started) runs in that host's mount namespace.
 *
 * `isolateHost` puts those processes into their own cgroup v2 (`twinstack-drill/<host>`),
 * so an iptables rule with `-m cgroup --path` matches exactly the host's traffic, and
 * aborts the connections those processes already hold to `peer` (a socket keeps the
 * cgroup it was created in; a reconnect creates a new socket, in the host's cgroup).
 *
 * Invariants: only processes proven to be in the host's mount namespace are moved;
 * `release()` (also at exit, SIGINT, SIGTERM) moves every process of the cgroup back to
 * the drill's own cgroup and removes it; a crashed run's cgroups are emptied the same way
 * by `releaseStaleHostCgroups`. Bounded: at most MAX_PROCESSES processes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerSyncCleanup } from '../lab/process-registry.ts';
import { abortSockets, establishedTo } from './tcp-connections.ts';

export const DRILL_CGROUP = 'twinstack-drill';
const MAX_PROCESSES = 2_000;

/** Pure: where cgroup v2 is mounted, from /proc/mounts (hybrid systems mount it at …/unified). */
export function cgroup2MountOf(mounts: string): string | undefined {
  return mounts
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[2] === 'cgroup2')?.[1];
}

/** Pure: this process's cgroup v2 path from /proc/self/cgroup (the `0::` line). */
export function ownCgroup2PathOf(procSelfCgroup: string): string {
  const line = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3).trim() || '/' : '/';
}

function cgroup2Root(): string {
  const root = cgroup2MountOf(readFileSync('/proc/mounts', 'utf8'));
  if (!root) throw new Error('no cgroup v2 hierarchy is mounted: the drill cannot tell one lab host’s packets from the other’s');
  return root;
}

function homeCgroupDir(root: string): string {
  return join(root, ownCgroup2PathOf(readFileSync('/proc/self/cgroup', 'utf8')));
}

function mountNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** PIDs of every process in the mount namespace of `namespacePid` (bounded). */
export function processesInMountNamespace(namespacePid: number): number[] {
  const ns = mountNamespaceOf(namespacePid);
  if (!ns) throw new Error(`process ${namespacePid} (a lab host's sshd) is gone`);
  const own = mountNamespaceOf(process.pid);
  if (ns === own) throw new Error(`lab host process ${namespacePid} shares the drill's mount namespace: it has no processes of its own to isolate`);
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => mountNamespaceOf(pid) === ns)
    .slice(0, MAX_PROCESSES);
}

function moveAll(from: string, to: string): void {
  let pids: string[] = [];
  try {
    pids = readFileSync(join(from, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).slice(0, MAX_PROCESSES);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      writeFileSync(join(to, 'cgroup.procs'), pid);
    } catch {
      // It exited meanwhile.
    }
  }
}

/** A lab host's processes in their own cgroup until `release()`. */
export interface IsolatedHost {
  /** The path for `iptables -m cgroup --path` (relative to the cgroup2 root). */
  readonly cgroupPath: string;
  readonly processes: number;
  /** Aborts established TCP connections of the host's processes to `peer` (an address); returns how many. */
  abortConnectionsTo(peer: string): number;
  release(): void;
}

export function isolateHost(name: string, namespacePid: number): IsolatedHost {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new Error(`host name "${name}" is not a plain word`);
  const root = cgroup2Root();
  const home = homeCgroupDir(root);
  const cgroupPath = `${DRILL_CGROUP}/${name}`;
  const dir = join(root, cgroupPath);
  mkdirSync(dir, { recursive: true });
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    unregister();
    moveAll(dir, home);
    try {
      rmdirSync(dir);
    } catch {
      // A process that was exiting may still hold it for a moment; the next run's sweep removes it.
    }
  };
  const unregister = registerSyncCleanup(release);
  const pids = processesInMountNamespace(namespacePid);
  for (const pid of pids) {
    try {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch {
      // It exited meanwhile.
    }
  }
  const members = (): Set<number> => new Set(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
  return {
    cgroupPath,
    processes: pids.length,
    abortConnectionsTo: (peer) => {
      const inHost = members();
      return abortSockets(establishedTo(peer).filter((s) => s.pids.some((pid) => inHost.has(pid))));
    },
    release,
  };
}

/** Empties and removes the host cgroups a crashed run left (their processes go back to the drill's cgroup). */
export function releaseStaleHostCgroups(): number {
  const root = cgroup2Root();
  const parent = join(root, DRILL_CGROUP);
  if (!existsSync(parent)) return 0;
  const home = homeCgroupDir(root);
  const stale = readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory());
  for (const entry of stale) {
    moveAll(join(parent, entry.name), home);
    try {
      rmdirSync(join(parent, entry.name));
    } catch {
      // still busy: the next run tries again
    }
  }
  return stale.length;
}
