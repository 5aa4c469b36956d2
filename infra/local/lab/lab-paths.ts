/**
 * Where the lab keeps things. One layout, used by the lab, the drill and the tests:
 *
 *   <labRoot>/                     0755 root
 *     control-plane/               0700 root   id_ed25519, id_ed25519.pub (the key the control plane logs in with)
 *     <host>/                      0755 root
 *       ssh/                       0700 root   ssh_host_ed25519_key(.pub), sshd_config, sshd.pid, sshd.log
 *       srv/                       0750 user   the host's own files: bind-mounted (privately, for its sshd
 *                                              and sessions) at the lab's mount point, e.g. /srv/twinstack
 *         run/                     0755 user   PostgreSQL unix socket directory of this host
 *         pg/                      0750 user   data directories (pg/<database>) and their logs (pg/<database>.log)
 */
import { join } from 'node:path';
import { LabError } from './lab-error.ts';

export const CONTROL_PLANE_DIR = 'control-plane';
const HOST_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export interface LabHostPaths {
  readonly root: string;
  readonly sshDir: string;
  readonly hostKey: string;
  readonly sshdConfig: string;
  readonly sshdPidFile: string;
  readonly sshdLog: string;
  /** The host's own files (real path), seen by the host at the lab's mount point. */
  readonly srvDir: string;
}

/** Validate a lab host name: it becomes a directory name. */
export function assertLabHostName(name: string): void {
  if (!HOST_NAME.test(name) || name === CONTROL_PLANE_DIR) {
    throw new LabError(`invalid lab host name ${JSON.stringify(name)}: use [a-z][a-z0-9-]{0,30}, not ${CONTROL_PLANE_DIR}`);
  }
}

export function labHostPaths(labRoot: string, name: string): LabHostPaths {
  assertLabHostName(name);
  const root = join(labRoot, name);
  const sshDir = join(root, 'ssh');
  return {
    root,
    sshDir,
    hostKey: join(sshDir, 'ssh_host_ed25519_key'),
    sshdConfig: join(sshDir, 'sshd_config'),
    sshdPidFile: join(sshDir, 'sshd.pid'),
    sshdLog: join(sshDir, 'sshd.log'),
    srvDir: join(root, 'srv'),
  };
}

export function controlPlaneKeyPath(labRoot: string): string {
  return join(labRoot, CONTROL_PLANE_DIR, 'id_ed25519');
}
