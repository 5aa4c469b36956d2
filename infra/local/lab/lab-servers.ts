/**
 * What every lab database node does the same way: run a program as the lab user
 * (inside a host's mount namespace), find the server of a data directory by its pid
 * file, clear a pid file its dead process left, and find data directories under a
 * lab root after a crash.
 *
 * Invariant: a PID from a pid file counts only while that process runs with the data
 * directory as its working directory (same device and inode, process-registry.ts), so a
 * recycled PID is never signalled.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LabUserRef } from './lab-database-node.ts';
import { cwdIdentityOf, isProcessRunning, type CwdIdentity } from './process-registry.ts';
import type { LocalCommandOptions } from './run-local-command.ts';

/** argv and options that run `argv` as the lab user, inside the host's mount namespace when it has one. */
export function asLabUser(argv: readonly string[], user: LabUserRef, namespacePid: number | undefined): [string[], LocalCommandOptions] {
  const env = { PATH: '/usr/sbin:/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: '/', USER: user.name, LOGNAME: user.name };
  if (namespacePid === undefined) return [[...argv], { uid: user.uid, gid: user.gid, cwd: '/', env }];
  return [['nsenter', '-t', String(namespacePid), '-m', '-S', String(user.uid), '-G', String(user.gid), '--', ...argv], { cwd: '/', env }];
}

/** The running server of a data directory (seen here at `view`) whose PID is the first line of `pidFile` in it, if any. */
export function serverOf(view: string, pidFile: string): { pid: number; identity: CwdIdentity } | undefined {
  const identity = cwdIdentityOf(view);
  if (!identity) return undefined;
  let pid: number;
  try {
    pid = Number(readFileSync(join(view, pidFile), 'utf8').split('\n')[0]?.trim());
  } catch {
    return undefined;
  }
  return isProcessRunning(pid, identity) ? { pid, identity } : undefined;
}

/** Remove `pidFile` in `view` when its process is gone (a crashed run); true when one was removed. */
export function clearStalePidFile(view: string, pidFile: string): boolean {
  const path = join(view, pidFile);
  if (!existsSync(path) || serverOf(view, pidFile) !== undefined) return false;
  rmSync(path, { force: true });
  return true;
}

/** Directories under `dir` (itself included, depth ≤ `depth`, no symlinks) whose file names satisfy `holds`. */
export function dirsUnder(dir: string, holds: (fileNames: ReadonlySet<string>, dir: string) => boolean, depth = 4): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  const here = holds(files, dir) ? [dir] : [];
  return [...here, ...entries.filter((e) => e.isDirectory() && !e.isSymbolicLink()).flatMap((e) => dirsUnder(join(dir, e.name), holds, depth - 1))];
}
