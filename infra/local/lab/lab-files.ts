/** Files of lab hosts: paths as a namespaced host sees them, and directories owned by the lab user. */
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import type { LabUserRef } from './lab-database-node.ts';
import { LabError } from './lab-error.ts';

/** Where this process finds `path` of a host in mount namespace `namespacePid`. */
export function hostView(path: string, namespacePid?: number): string {
  return namespacePid === undefined ? path : `/proc/${namespacePid}/root${path}`;
}

/** Create `dir` (and parents) and give it to the lab user with `mode`. */
export function ensureUserDir(dir: string, user: LabUserRef, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, mode);
}

const SAFE_PATH = /^(\/[A-Za-z0-9_.-]+)+$/;

/** An absolute path of `[A-Za-z0-9_./-]` without `..` or a trailing `/`; LabError otherwise. */
export function assertSafePath(what: string, path: string): void {
  if (!SAFE_PATH.test(path) || path.split('/').includes('..')) {
    throw new LabError(`${what} must be an absolute path of [A-Za-z0-9_./-] without '..' or trailing '/', got ${JSON.stringify(path)}`);
  }
}
