import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../functions/core/command.ts';
import { HostKeyMismatchError } from '../../functions/core/errors.ts';
import type { Host } from '../../functions/core/model.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import type { Lab, LabHost } from '../../infra/local/lab/lab.ts';
import { IT_MOUNT_POINT, IT_PRIMARY, startItLab } from './it-lab.fixture.ts';

function command(argv: string[], extra: Partial<RemoteCommand> = {}): RemoteCommand {
  return { description: `run ${argv[0] ?? ''}`, argv, timeoutMs: 20_000, ...extra };
}

/** A pinned fingerprint that is well-formed but not this host's. */
function otherFingerprint(host: Host): string {
  const body = host.hostKey.slice('SHA256:'.length);
  const flipped = (body[0] === 'A' ? 'B' : 'A') + body.slice(1);
  return `SHA256:${flipped}`;
}

describe('Ssh2RemoteShell against a real sshd', () => {
  let lab: Lab;
  let primary: LabHost;
  let shell: Ssh2RemoteShell;

  beforeAll(async () => {
    lab = await startItLab();
    primary = lab.host(IT_PRIMARY.name);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
  });

  afterAll(async () => {
    await shell?.close();
    await lab?.destroy({ removeData: true });
  });

  it('runs a command as the lab user on the pinned host', async () => {
    // Prepare
    const host = primary.host;

    // Act
    const result = await shell.exec(host, command(['id', '-un']));

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(lab.user.name);
  });

  it('refuses a host whose key is not the pinned one, and never runs the command', async () => {
    // Prepare: the same command with the right key creates its file (so the check below can fail)
    const control = `${IT_MOUNT_POINT}/ran-with-right-key`;
    const witness = `${IT_MOUNT_POINT}/ran-with-wrong-key`;
    rmSync(primary.realPath(control), { force: true });
    rmSync(primary.realPath(witness), { force: true });
    const strictShell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    await shell.exec(primary.host, command(['touch', control]));
    expect(existsSync(primary.realPath(control))).toBe(true);

    // Act
    const attempt = strictShell.exec({ ...primary.host, hostKey: otherFingerprint(primary.host) }, command(['touch', witness]));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(HostKeyMismatchError);
    // The error shows the key the host presented beside the pinned one.
    await expect(attempt).rejects.toThrow(`presented host key ${primary.host.hostKey}, not the pinned ${otherFingerprint(primary.host)}`);
    await strictShell.close();
    expect(existsSync(primary.realPath(witness))).toBe(false);
  });

  it('streams one command\'s stdout into another\'s stdin (pipe), binary-safe and with back-pressure', async () => {
    // Act: 8 MiB of binary data, far more than the SSH window
    const result = await shell.pipe(primary.host, command(['head', '-c', '8388608', '/dev/urandom']), primary.host, command(['wc', '-c']));
    // Assess
    expect(result.source.exitCode).toBe(0);
    expect(result.target.exitCode).toBe(0);
    expect(result.target.stdout.trim()).toBe('8388608');
    expect(result.bytes).toBe(8_388_608);
  });

  it('delivers secretEnv to the command but never on a command line', async () => {
    // Prepare
    const secret = `s3cr3t-${process.pid}-'quoted' "double" $dollar`;
    const got = `${IT_MOUNT_POINT}/secret-received`;
    const ps = `${IT_MOUNT_POINT}/ps-while-running`;
    const cmdlines = `${IT_MOUNT_POINT}/cmdlines-while-running`;
    const script = [
      'printf %s "$TWINSTACK_IT_SECRET" > "$1"',
      'ps -eww -o args > "$2"',
      'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done > "$3"',
      'printf %s "$TWINSTACK_IT_SECRET"',
    ].join('\n');

    // Act
    const result = await shell.exec(
      primary.host,
      command(['sh', '-c', script, 'sh', got, ps, cmdlines], { secretEnv: { TWINSTACK_IT_SECRET: secret } }),
    );

    // Assess
    expect(result.exitCode).toBe(0);
    expect(readFileSync(primary.realPath(got), 'utf8')).toBe(secret);
    const psOutput = readFileSync(primary.realPath(ps), 'utf8');
    expect(psOutput).toContain(got); // the ps snapshot saw our own command line …
    expect(psOutput).not.toContain(secret); // … and no secret on any command line
    expect(readFileSync(primary.realPath(cmdlines), 'utf8')).not.toContain(secret);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).toContain('***');
  });
});
