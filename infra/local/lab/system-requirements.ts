/**
 * What the lab needs from the machine (sshd, ssh-keygen, git … and each engine's
 * servers and tools, declared by its lab node), a check that reports what is
 * missing, and an installer for Debian/Ubuntu as root. Tests only check (they
 * install nothing); the drill may install.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { runLocalChecked } from './run-local-command.ts';
import { SystemRequirementsError } from './lab-error.ts';
import { LAB_NODES } from './lab-nodes.ts';

export const SSHD_PATH = '/usr/sbin/sshd';
/** The script that installs everything (idempotent, as root). */
export const INSTALL_SCRIPT = '.ci/install-system-packages.sh';

export interface SystemRequirement {
  /** Any one of these executables satisfies the requirement. */
  readonly paths: readonly string[];
  readonly debianPackage: string;
}

const HOST_REQUIREMENTS: readonly SystemRequirement[] = [
  { paths: [SSHD_PATH], debianPackage: 'openssh-server' },
  { paths: ['/usr/bin/ssh-keygen'], debianPackage: 'openssh-client' },
  { paths: ['/usr/bin/ip', '/sbin/ip', '/bin/ip'], debianPackage: 'iproute2' },
  { paths: ['/usr/bin/ps', '/bin/ps'], debianPackage: 'procps' },
  { paths: ['/usr/sbin/useradd', '/usr/sbin/usermod'], debianPackage: 'passwd' },
  // Deploys check out the pushed revision on each host; the drill's source is a git repository.
  { paths: ['/usr/bin/git'], debianPackage: 'git' },
  // The drill's network faults (partition, flapping, ssh-drop scenarios): iptables rules on loopback.
  { paths: ['/usr/sbin/iptables', '/sbin/iptables'], debianPackage: 'iptables' },
  // Not the lab's own: the tests check the drill's report in a real headless browser, and the
  // quick start promises that `npm test` passes once the drill has installed what it needs.
  { paths: ['/usr/bin/chromium'], debianPackage: 'chromium' },
];

export interface SystemRequirementsReport {
  /** Debian package names that are missing (deduplicated); empty when all is there. */
  readonly missing: string[];
  /** The command (as root) that installs them; empty when nothing is missing. */
  readonly installCommand: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Check, without changing anything, which packages the lab still needs. */
export function checkSystemRequirements(): SystemRequirementsReport {
  const requirements = [...HOST_REQUIREMENTS, ...LAB_NODES.flatMap((node) => node.requirements)];
  const missing = [...new Set(requirements.filter((r) => !r.paths.some(isExecutable)).map((r) => r.debianPackage))];
  const installCommand =
    missing.length === 0 ? '' : `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  return { missing, installCommand };
}

export interface EnsureSystemRequirementsOptions {
  /** Install what is missing (only as root on Debian/Ubuntu); when false, only check. */
  readonly install: boolean;
  readonly log?: (line: string) => void;
}

/** The error that names exactly what to run; also used by tests that must not install. */
export function systemRequirementsError(report: SystemRequirementsReport, why = ''): SystemRequirementsError {
  return new SystemRequirementsError(
    `the local lab needs system packages that are missing: ${report.missing.join(', ')}${why ? ` (${why})` : ''}. ` +
      `Run as root: sh ${INSTALL_SCRIPT}   (or: ${report.installCommand})`,
    report.missing,
    report.installCommand,
  );
}

/**
 * Make sure the lab's system packages are present. Installs with apt-get when
 * `install` is set and we are root on a Debian-like system; otherwise throws a
 * SystemRequirementsError that says which command to run.
 */
export async function ensureSystemRequirements(options: EnsureSystemRequirementsOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  const report = checkSystemRequirements();
  if (report.missing.length === 0) return;
  if (!options.install) throw systemRequirementsError(report);
  if (process.getuid?.() !== 0) throw systemRequirementsError(report, 'installing needs root');
  if (!existsSync('/etc/debian_version') || !isExecutable('/usr/bin/apt-get')) {
    throw systemRequirementsError(report, 'automatic install supports Debian/Ubuntu only');
  }
  log(`installing ${report.missing.join(' ')} with apt-get`);
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8' };
  await runLocalChecked(['apt-get', 'update'], { env, timeoutMs: 300_000 });
  await runLocalChecked(['apt-get', 'install', '-y', '--no-install-recommends', ...report.missing], { env, timeoutMs: 900_000 });
  const after = checkSystemRequirements();
  if (after.missing.length > 0) throw systemRequirementsError(after, 'still missing after apt-get install');
  log('system packages installed');
}
