/**
 * The remote commands DeployHost runs in a stack's deploy directory. Data only: a
 * RemoteShell quotes every argv word; nothing here is interpolated into a shell string.
 *
 * Invariants:
 * - the revision is a full 40-hex commit id, the branch a plain ref name and the git
 *   URL neither empty nor option-like: InvalidInputError otherwise (checked before any command is built);
 * - env file content (may hold published secrets) travels over stdin, never argv, and is redacted;
 * - the marker `.twinstack-revision` is written only after the deploy command exited 0,
 *   so "marker = revision" means "this host completed that revision".
 */
import type { RemoteCommand } from '../command.ts';
import { InvalidInputError } from '../errors.ts';
import { REVISION_PATTERN } from './deploy-state.ts';

export const DEPLOY_ENV_FILE = '.env.deploy';
export const REVISION_MARKER_FILE = '.twinstack-revision';
/**
 * Checkout and deploy command hold this lock (flock, util-linux) on the host, so a
 * retried DeployHost — after a connection lost mid-command, whose remote command goes
 * on — waits for the first instead of running beside it. `-o`: the deploy command's
 * own children (daemons it starts) do not inherit the lock.
 */
export const DEPLOY_LOCK_FILE = '.twinstack-deploy.lock';
const LOCK_WAIT_SECONDS = 600;

const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![./])$/;
const GIT_URL = /^(?!-)[^\s\0'"`$\\;|&<>]{1,500}$/;

export interface DeployTarget {
  /** The stack's deploy directory (a git checkout of the group's repository). */
  readonly directory: string;
  readonly gitUrl: string;
  readonly branch: string;
  readonly revision: string;
}

/** Throws InvalidInputError naming every invalid field. */
export function validateDeployTarget(target: DeployTarget): void {
  const problems: string[] = [];
  if (!REVISION_PATTERN.test(target.revision)) problems.push(`revision must be a full 40-hex commit id, got ${JSON.stringify(target.revision.slice(0, 80))}`);
  if (!BRANCH.test(target.branch)) problems.push(`invalid branch ${JSON.stringify(target.branch.slice(0, 80))}`);
  if (!GIT_URL.test(target.gitUrl)) problems.push('invalid git URL');
  if (!target.directory.startsWith('/') || target.directory.includes('\0')) problems.push('deploy directory must be an absolute path');
  if (problems.length > 0) throw new InvalidInputError(`deploy target: ${problems.join('; ')}`);
}

const join = (directory: string, file: string) => `${directory.replace(/\/+$/, '')}/${file}`;

/** Prints the revision the host last completed (empty when none). Exits 0 either way. */
export function readMarkerCommand(directory: string): RemoteCommand {
  return {
    description: `read ${REVISION_MARKER_FILE}`,
    argv: ['sh', '-c', 'cat -- "$1" 2>/dev/null || true', 'twinstack-marker', join(directory, REVISION_MARKER_FILE)],
    timeoutMs: 15_000,
  };
}

/** `git fetch` of the branch from the group's repository, then a forced detached checkout of the revision. */
export function checkoutCommand(target: DeployTarget): RemoteCommand {
  return {
    description: `check out ${target.revision.slice(0, 12)}`,
    argv: [
      'sh', '-c', `cd -- "$1" && exec flock -w ${LOCK_WAIT_SECONDS} -o ${DEPLOY_LOCK_FILE} sh -c 'git fetch --quiet "$1" "$2" && git checkout --quiet --force --detach "$3"' twinstack-checkout "$2" "$3" "$4"`,
      'twinstack-checkout', target.directory, target.gitUrl, target.branch, target.revision,
    ],
    timeoutMs: 300_000,
  };
}

/** Atomically replace `<directory>/.env.deploy` with stdin, mode 600. */
export function writeDeployEnvCommand(directory: string, content: string, secrets: readonly string[]): RemoteCommand {
  return {
    description: `write ${DEPLOY_ENV_FILE}`,
    argv: ['sh', '-c', 'umask 077 && cat > "$1.tmp" && chmod 600 "$1.tmp" && mv -f "$1.tmp" "$1"', 'twinstack-env', join(directory, DEPLOY_ENV_FILE)],
    stdin: content,
    timeoutMs: 15_000,
    redact: secrets,
  };
}

/**
 * Run the stack's deploy command with `sh -c` in the directory, `.env.deploy` exported
 * into its environment and TWINSTACK_REVISION set. The command is one argv word (data).
 */
export function runDeployCommand(directory: string, command: string, revision: string, timeoutMs: number, secrets: readonly string[]): RemoteCommand {
  return {
    description: 'run the deploy command',
    argv: ['sh', '-c', `cd -- "$1" && set -a && . "./$2" && set +a && exec flock -w ${LOCK_WAIT_SECONDS} -o ${DEPLOY_LOCK_FILE} sh -c "$3"`, 'twinstack-deploy', directory, DEPLOY_ENV_FILE, command],
    env: { TWINSTACK_REVISION: revision },
    timeoutMs,
    redact: secrets,
  };
}

/** Record that this host completed `revision` (atomic rename). */
export function writeMarkerCommand(directory: string, revision: string): RemoteCommand {
  return {
    description: `write ${REVISION_MARKER_FILE}`,
    argv: ['sh', '-c', 'printf "%s\\n" "$2" > "$1.tmp" && mv -f "$1.tmp" "$1"', 'twinstack-marker', join(directory, REVISION_MARKER_FILE), revision],
    timeoutMs: 15_000,
  };
}

/** `KEY='value'` lines, sorted; values single-quoted so `.` (and docker compose) read them verbatim. */
export function renderDeployEnv(env: Readonly<Record<string, string>>): string {
  return Object.keys(env).sort().map((k) => `${k}='${(env[k] ?? '').replace(/'/g, `'\\''`)}'\n`).join('');
}

/**
 * Everything to mask in the output and errors of a command that handles published env
 * vars: every non-empty published value (however short), and every raw secret (database
 * passwords as stored) together with its URL-encoded form, so a command that prints a
 * bare password cannot leak it through stderr into an error or a Step Functions cause.
 * Unique, non-empty strings; `redact` masks the longest first.
 */
export function redactionsOf(published: Iterable<string>, rawSecrets: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const value of published) if (value.length > 0) out.add(value);
  for (const secret of rawSecrets) {
    if (secret.length === 0) continue;
    out.add(secret);
    out.add(encodeURIComponent(secret));
  }
  return [...out];
}

/**
 * The passwords in the userinfo of URL-shaped values (`scheme://user:password@host…`),
 * decoded, as they were before `encodeURIComponent`. Lets a step that may only read the
 * published env vars (not the database secrets) still mask the bare passwords.
 */
export function passwordsInUrls(values: Iterable<string>): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/.test(value)) continue;
    let password: string;
    try {
      password = new URL(value).password;
    } catch {
      continue;
    }
    if (password.length === 0) continue;
    out.push(password);
    try {
      out.push(decodeURIComponent(password));
    } catch {
      // not valid percent-encoding: the raw form is masked already
    }
  }
  return out;
}
