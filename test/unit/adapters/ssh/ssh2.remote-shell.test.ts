import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ClientChannel } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCommandLine, MAX_CAPTURED_BYTES, SECRET_ENV_WRAPPER, Ssh2RemoteShell, stopChannel } from '../../../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { shellQuote, type RemoteCommand } from '../../../../functions/core/command.ts';
import {
  HostKeyMismatchError,
  HostUnreachableError,
  InvalidInputError,
  RemoteTimeoutError,
  SshAuthenticationError,
} from '../../../../functions/core/errors.ts';
import type { Host } from '../../../../functions/core/model.ts';
import { generateParsableKeyPair, startFakeSshServer } from './fake-ssh-server.ts';
import type { FakeSshServer } from './fake-ssh-server.ts';

const OTHER_KEY = 'SHA256:WM4g73F5lkcYoSOmWNwy7mp35zEZ5EGpTyHehi7HRjI';

function command(overrides: Partial<RemoteCommand> & Pick<RemoteCommand, 'argv'>): RemoteCommand {
  return { description: 'test command', timeoutMs: 10_000, ...overrides };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Ssh2RemoteShell', () => {
  let server: FakeSshServer;
  let shell: Ssh2RemoteShell;
  let host: Host;
  const logs: string[] = [];

  beforeEach(async () => {
    server = await startFakeSshServer();
    logs.length = 0;
    shell = new Ssh2RemoteShell({
      privateKey: server.clientPrivateKey,
      connectTimeoutMs: 5000,
      logger: { debug: (msg, extra) => logs.push(`${msg} ${JSON.stringify(extra)}`) },
    });
    host = { name: 'db', address: '127.0.0.1', sshPort: server.port, user: 'twin', hostKey: server.hostKeyFingerprint };
  });

  afterEach(async () => {
    await shell.close();
    await server.close();
  });

  it('runs a command on a host whose key matches the pin, sending shell-quoted words', async () => {
    // Prepare
    const hello = command({ argv: ['printf', '%s', "hello 'world'"] });

    // Act
    const result = await shell.exec(host, hello);

    // Assess
    expect(result).toMatchObject({ exitCode: 0, stdout: "hello 'world'", stderr: '' });
    expect(server.execs[0]?.command).toBe(`timeout --signal=TERM --kill-after=5 10 printf %s 'hello '\\''world'\\'''`);
  });

  it('resolves with a non-zero exit code and stderr instead of rejecting', async () => {
    // Act
    const result = await shell.exec(host, command({ argv: ['sh', '-c', 'echo oops >&2; exit 3'] }));

    // Assess
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe('oops\n');
  });

  it('reports a command killed by a signal as 128 + the signal number', async () => {
    // Act
    const result = await shell.exec(host, command({ argv: ['sh', '-c', 'kill -TERM $$'] }));

    // Assess
    expect(result.exitCode).toBe(128 + 15);
  });

  it('rejects a host whose key is not the pinned one before any authentication or exec', async () => {
    // Prepare
    const impostor = { ...host, hostKey: OTHER_KEY };

    // Act
    const outcome = shell.exec(impostor, command({ argv: ['true'] }));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(HostKeyMismatchError);
    expect(server.authAttempts).toEqual([]);
    expect(server.execs).toEqual([]);
  });

  it('reports a key the host refuses as SshAuthenticationError (not retryable) and runs nothing', async () => {
    // Prepare
    const stranger = new Ssh2RemoteShell({ privateKey: generateParsableKeyPair().private, connectTimeoutMs: 5000 });

    // Act
    const outcome = stranger.exec(host, command({ argv: ['true'] }));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(SshAuthenticationError);
    await expect(outcome).rejects.toMatchObject({ transient: false });
    expect(server.execs).toEqual([]);
    await stranger.close();
  });

  it('refuses to connect to a host without a pinned key', async () => {
    // Act
    const outcome = shell.exec({ ...host, hostKey: '' }, command({ argv: ['true'] }));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(HostKeyMismatchError);
    expect(server.connectionCount()).toBe(0);
  });

  it('turns a refused connection into HostUnreachableError with a cause', async () => {
    // Prepare
    const closedPort = await freePort();

    // Act
    const outcome = shell.exec({ ...host, sshPort: closedPort }, command({ argv: ['true'] }));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(HostUnreachableError);
    await expect(outcome).rejects.toHaveProperty('cause');
  });

  it('closes the channel and rejects RemoteTimeoutError when the command outlives its timeout', async () => {
    // Act
    const outcome = shell.exec(host, command({ argv: ['sleep', '30'], timeoutMs: 300 }));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(RemoteTimeoutError);
    const after = await shell.exec(host, command({ argv: ['echo', 'still usable'] }));
    expect(after.stdout).toBe('still usable\n');
  });

  it('stops the remote command itself (remote timeout) even when the channel close and signal do not reach it', async () => {
    // Prepare: the fake server kills only the outer sh; the command runs two processes below it.
    const dir = mkdtempSync(join(tmpdir(), 'twinstack-ssh-'));
    const pidFile = join(dir, 'pid');
    try {
      // Act
      const outcome = shell.exec(host, command({ argv: ['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], timeoutMs: 1000 }));
      await expect(outcome).rejects.toBeInstanceOf(RemoteTimeoutError);
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      await until(() => !isAlive(pid), 8000);

      // Assess
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);

  it('delivers secretEnv over stdin, never on the command line, then passes the command its stdin', async () => {
    // Prepare
    const secret = "p@ss w'rd $(x)\n";
    const secretBase64 = Buffer.from(secret).toString('base64');
    const withSecret = command({
      argv: ['sh', '-c', 'printf %s "$DB_PASSWORD" | base64; printf %s "$MODE"; cat'],
      env: { MODE: 'fast lane' },
      secretEnv: { DB_PASSWORD: secret },
      stdin: '|after-secrets',
    });

    // Act
    const result = await shell.exec(host, withSecret);

    // Assess
    const received = server.execs[0];
    expect(received?.command).not.toContain('p@ss');
    expect(received?.command).not.toContain(secretBase64);
    expect(received?.command).toContain("env 'MODE=fast lane'");
    expect(received?.command.startsWith('timeout --signal=TERM --kill-after=5 10 env ')).toBe(true);
    expect(received?.stdin).toBe(`DB_PASSWORD=${secretBase64}\n|after-secrets`);
    expect(result).toMatchObject({ exitCode: 0, stdout: `${secretBase64}\nfast lane|after-secrets` });
  });

  it('masks secretEnv values and redact strings in stdout, stderr and logs', async () => {
    // Prepare
    const leaky = command({
      description: 'leak check',
      argv: ['sh', '-c', 'echo token=abc123; echo "pw=$PW" >&2; exit 1'],
      secretEnv: { PW: 'hunter2' },
      redact: ['abc123'],
    });

    // Act
    const result = await shell.exec(host, leaky);

    // Assess
    expect(result.stdout).toBe('token=***\n');
    expect(result.stderr).toBe('pw=***\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toMatch(/hunter2|abc123/);
  });

  it('keeps at most MAX_CAPTURED_BYTES of a stream and marks the truncation', async () => {
    // Act
    const result = await shell.exec(host, command({ argv: ['sh', '-c', `head -c ${MAX_CAPTURED_BYTES + 4096} /dev/zero | tr '\\0' a`] }));

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout.startsWith('a'.repeat(MAX_CAPTURED_BYTES))).toBe(true);
    expect(result.stdout.slice(MAX_CAPTURED_BYTES)).toBe('\n[output truncated]');
  });

  it('masks the part of a secret that the output cap cut off', async () => {
    // Prepare
    const script = `head -c ${MAX_CAPTURED_BYTES - 3} /dev/zero | tr '\\0' a; printf hunter2; head -c 100 /dev/zero`;

    // Act
    const result = await shell.exec(host, command({ argv: ['sh', '-c', script], redact: ['hunter2'] }));

    // Assess
    expect(result.stdout).not.toContain('hun\n');
    expect(result.stdout.endsWith('aaa***\n[output truncated]')).toBe(true);
  });

  it('reports a connection lost mid-command as HostUnreachableError of phase session (the host answered), a refused one as phase connect', async () => {
    // Prepare
    const running = shell.exec(host, command({ argv: ['sleep', '5'], timeoutMs: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    server.dropAll();
    const lost = await running.catch((error: unknown) => error);
    const refused = await shell.exec({ ...host, sshPort: await freePort() }, command({ argv: ['true'] })).catch((error: unknown) => error);

    // Assess
    expect(lost).toBeInstanceOf(HostUnreachableError);
    expect((lost as HostUnreachableError).phase).toBe('session');
    expect((refused as HostUnreachableError).phase).toBe('connect');
  });

  it('reuses one connection for several execs on a host and reconnects after a drop', async () => {
    // Act
    await shell.exec(host, command({ argv: ['true'] }));
    await shell.exec(host, command({ argv: ['true'] }));
    const reused = server.connectionCount();
    server.dropAll();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await shell.exec(host, command({ argv: ['echo', 'back'] }));

    // Assess
    expect(reused).toBe(1);
    expect(again.stdout).toBe('back\n');
    expect(server.connectionCount()).toBe(2);
  });

  it.each([
    ['an invalid env name', command({ argv: ['true'], env: { 'bad-name': 'x' } })],
    ['an invalid secretEnv name', command({ argv: ['true'], secretEnv: { 'X;rm': 'x' } })],
    ['an empty argv', command({ argv: [] })],
  ])('rejects %s with InvalidInputError before connecting', async (_case, invalid) => {
    // Act
    const outcome = shell.exec(host, invalid);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    expect(server.connectionCount()).toBe(0);
  });
});

describe('buildCommandLine', () => {
  const wrapper = `sh -c ${shellQuote(SECRET_ENV_WRAPPER)} sh 1`;
  it.each<[string, Partial<RemoteCommand>, string]>([
    ['whole seconds', { timeoutMs: 10_000 }, 'timeout --signal=TERM --kill-after=5 10 echo hi'],
    ['a fraction rounded up', { timeoutMs: 1_500 }, 'timeout --signal=TERM --kill-after=5 2 echo hi'],
    ['less than a second as one second', { timeoutMs: 300 }, 'timeout --signal=TERM --kill-after=5 1 echo hi'],
    ['no positive timeout: no wrapper', { timeoutMs: 0 }, 'echo hi'],
    ['an infinite timeout: no wrapper', { timeoutMs: Infinity }, 'echo hi'],
    ['env and secrets after the timeout, secret values absent', { timeoutMs: 60_000, env: { MODE: 'a b' }, secretEnv: { PW: 'hunter2' } }, `timeout --signal=TERM --kill-after=5 60 env 'MODE=a b' ${wrapper} echo hi`],
  ])('prefixes %s', (_, overrides, expected) => {
    // Act
    const line = buildCommandLine(command({ argv: ['echo', 'hi'], ...overrides }));

    // Assess
    expect(line).toBe(expected);
    expect(line).not.toContain('hunter2');
  });
});

describe('stopChannel', () => {
  /** A stand-in for ssh2's ClientChannel with its 1.x internals; records what it is asked. */
  function fakeChannel(writable: boolean, state: string, signalThrows = false) {
    const calls: string[] = [];
    const channel = {
      writable,
      outgoing: { id: 7, state },
      _client: { _protocol: { signal: (id: number, name: string) => calls.push(`protocol ${id} ${name}`) } },
      signal: (name: string) => {
        if (signalThrows) throw new Error('channel gone');
        calls.push(`signal ${name}`);
      },
      close: () => calls.push('close'),
    };
    return { channel: channel as unknown as ClientChannel, calls };
  }

  it.each<[string, boolean, string, boolean, string[]]>([
    ['a writable channel: its own signal(), then close', true, 'open', false, ['signal KILL', 'close']],
    ['stdin ended (eof): the request through the protocol, then close', false, 'eof', false, ['protocol 7 KILL', 'close']],
    ['a closing channel: no signal, only close', false, 'closing', false, ['close']],
    ['a signal that throws: still closes', true, 'open', true, ['close']],
  ])('sends KILL on %s', (_, writable, state, signalThrows, expected) => {
    // Prepare
    const { channel, calls } = fakeChannel(writable, state, signalThrows);

    // Act
    stopChannel(channel);

    // Assess
    expect(calls).toEqual(expected);
  });
});

async function until(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
