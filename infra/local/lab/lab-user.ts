/**
 * The lab's SSH user: a system user with a home and /bin/sh (root's shell
 * start-up costs ~1 s a command; PostgreSQL refuses root anyway), unlocked for
 * key authentication only, and the control plane's ed25519 key pair.
 *
 * Invariants:
 * - the user has no usable password (`*`): only public keys log in;
 * - the private key lives under `<labRoot>/control-plane/` (0700 dir, 0600 file, root);
 * - its public key is in `~user/.ssh/authorized_keys` (user-owned, 0600, in a 0700 dir),
 *   appended once: several labs (drill, integration tests) share the user, each with its own key.
 */
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabError } from './lab-error.ts';
import { controlPlaneKeyPath } from './lab-paths.ts';
import { runLocal, runLocalChecked } from './run-local-command.ts';

export interface LabUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** OpenSSH private key (PEM-like text) of the control plane: give it to Ssh2RemoteShell. */
  readonly privateKey: string;
  readonly privateKeyPath: string;
  /** `ssh-ed25519 AAAA… comment` */
  readonly publicKey: string;
}

export interface EnsureLabUserOptions {
  readonly labRoot: string;
  /** @default 'twinstack' */
  readonly name?: string;
}

const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

interface PasswdEntry {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

async function lookupUser(name: string): Promise<PasswdEntry | undefined> {
  const result = await runLocal(['getent', 'passwd', name], { timeoutMs: 10_000 });
  if (result.exitCode !== 0) return undefined;
  const fields = result.stdout.trim().split(':');
  if (fields.length < 7) throw new LabError(`unexpected passwd entry for ${name}: ${result.stdout.trim()}`);
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '', shell: fields[6] ?? '' };
}

function shadowPassword(name: string): string | undefined {
  try {
    const line = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    return line?.split(':')[1];
  } catch {
    return undefined;
  }
}

async function ensureSystemUser(name: string): Promise<PasswdEntry> {
  let entry = await lookupUser(name);
  if (!entry) {
    const created = await runLocal(
      ['useradd', '--system', '--create-home', '--home-dir', `/var/lib/${name}`, '--shell', '/bin/sh', '--user-group', name],
      { timeoutMs: 30_000 },
    );
    entry = await lookupUser(name);
    if (!entry) throw new LabError(`useradd ${name} failed: ${created.stderr.trim()}`);
  }
  if (entry.shell !== '/bin/sh') {
    await runLocalChecked(['usermod', '--shell', '/bin/sh', name], { timeoutMs: 30_000 });
  }
  // `*`: not locked (sshd refuses locked accounts with UsePAM no), but no password can match.
  if (shadowPassword(name) !== '*') {
    await runLocalChecked(['usermod', '-p', '*', name], { timeoutMs: 30_000 });
  }
  if (!existsSync(entry.home)) {
    mkdirSync(entry.home, { recursive: true, mode: 0o755 });
    chownSync(entry.home, entry.uid, entry.gid);
  }
  // StrictModes: the home must not be writable by group/others.
  chmodSync(entry.home, 0o755);
  return { ...entry, shell: '/bin/sh' };
}

async function ensureControlPlaneKey(labRoot: string): Promise<{ path: string; privateKey: string; publicKey: string }> {
  const path = controlPlaneKeyPath(labRoot);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  if (!existsSync(path) || !existsSync(`${path}.pub`)) {
    await runLocalChecked(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `twinstack-control-plane@${labRoot}`, '-f', path], {
      input: 'y\n',
      timeoutMs: 30_000,
    });
  }
  chmodSync(path, 0o600);
  return { path, privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

function ensureAuthorizedKey(entry: PasswdEntry, publicKey: string): void {
  const sshDir = join(entry.home, '.ssh');
  const file = join(sshDir, 'authorized_keys');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chownSync(sshDir, entry.uid, entry.gid);
  chmodSync(sshDir, 0o700);
  const blob = publicKey.split(/\s+/)[1] ?? publicKey;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (!current.split('\n').some((line) => line.split(/\s+/)[1] === blob)) {
    appendFileSync(file, `${current === '' || current.endsWith('\n') ? '' : '\n'}${publicKey}\n`, { mode: 0o600 });
  }
  chownSync(file, entry.uid, entry.gid);
  chmodSync(file, 0o600);
}

/**
 * Create (or repair) the lab user and the control plane's key. Idempotent and
 * cheap on a second run: nothing is rewritten that is already right. Root only.
 */
export async function ensureLabUser(options: EnsureLabUserOptions): Promise<LabUser> {
  const name = options.name ?? 'twinstack';
  if (!USER_NAME.test(name) || name === 'root') throw new LabError(`invalid lab user name ${JSON.stringify(name)}`);
  if (process.getuid?.() !== 0) throw new LabError('the local lab must run as root (it starts sshd and creates a system user)');
  const entry = await ensureSystemUser(name);
  const key = await ensureControlPlaneKey(options.labRoot);
  ensureAuthorizedKey(entry, key.publicKey);
  return {
    name,
    uid: entry.uid,
    gid: entry.gid,
    home: entry.home,
    privateKey: key.privateKey,
    privateKeyPath: key.path,
    publicKey: key.publicKey,
  };
}
