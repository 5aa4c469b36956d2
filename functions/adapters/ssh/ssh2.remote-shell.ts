/**
 * RemoteShell over ssh2: pinned host keys, one reused connection per host,
 * secrets delivered over stdin, redacted and bounded output, and commands bounded
 * on both sides (a local timer that signals and closes the channel, a remote
 * coreutils `timeout` around the command).
 */
import { constants as osConstants } from 'node:os';
import ssh2 from 'ssh2';
import type { ClientChannel, Client as SshClient } from 'ssh2';
import type { CommandResult, RemoteCommand } from '../../core/command.ts';
import { redact, shellQuote } from '../../core/command.ts';
import { HostKeyMismatchError, HostUnreachableError, InvalidInputError, RemoteTimeoutError, SshAuthenticationError } from '../../core/errors.ts';
import type { Host } from '../../core/model.ts';
import type { PipeResult, RemoteShell } from '../../core/ports.ts';
import { fingerprintOf, fingerprintsEqual, isPinnedFingerprint } from './host-key-fingerprint.ts';

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Each of stdout and stderr keeps at most this many bytes (the head); the rest is dropped. */
export const MAX_CAPTURED_BYTES = 1024 * 1024;
const CLOSE_TIMEOUT_MS = 2_000;
const MAX_CONCURRENT_EXECS = 64;

/**
 * Fixed wrapper that receives secret environment over stdin. Invoked as
 * `sh -c SECRET_ENV_WRAPPER sh <count> <argv…>`; reads `<count>` lines
 * `NAME=base64(value)` (read(1) on a pipe consumes exactly one line, so the rest of
 * stdin is left for the command), decodes each (keeping trailing newlines via the
 * `x` sentinel), exports it, then `exec`s argv. No secret is ever an argument.
 */
export const SECRET_ENV_WRAPPER = [
  'n=$1; shift; i=0',
  'while [ "$i" -lt "$n" ]; do',
  '  IFS= read -r line || exit 97',
  '  name=${line%%=*}; encoded=${line#*=}',
  '  case $name in ""|[!A-Z_]*|*[!A-Z0-9_]*) exit 97;; esac',
  '  value=$(printf %s "$encoded" | base64 -d && echo x) || exit 97',
  '  export "$name=${value%x}"',
  '  i=$((i+1))',
  'done',
  'exec "$@"',
].join('\n');

export interface Ssh2RemoteShellOptions {
  /** PEM/OpenSSH private key the shell logs in with (never logged). */
  readonly privateKey: string;
  /** TCP connect + SSH handshake limit. @default 10000 */
  readonly connectTimeoutMs?: number;
  readonly logger?: { debug(msg: string, extra?: object): void };
}

interface Connection {
  readonly client: SshClient;
  readonly ready: Promise<SshClient>;
  closed: boolean;
}

/** Grace after the remote `timeout` sent TERM before it sends KILL (seconds). */
export const REMOTE_KILL_AFTER_SECONDS = 5;

/**
 * `timeout --signal=TERM --kill-after=5 <s>` (coreutils): the remote side stops the
 * command's whole process group by itself once `timeoutMs` (rounded up to whole
 * seconds) has passed, even when the channel close or signal never reaches it.
 * Empty when the command has no positive, finite timeout.
 */
export function remoteTimeoutWords(timeoutMs: number): string[] {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return [];
  return ['timeout', '--signal=TERM', `--kill-after=${REMOTE_KILL_AFTER_SECONDS}`, String(Math.max(1, Math.ceil(timeoutMs / 1000)))];
}

/**
 * The remote command line: only shell-quoted words; secrets never appear in it.
 * Shape: `[timeout …] [env NAME=value…] [sh -c SECRET_ENV_WRAPPER sh <n>] argv…`.
 */
export function buildCommandLine(command: RemoteCommand): string {
  if (command.argv.length === 0) throw new InvalidInputError(`command "${command.description}" has an empty argv`);
  const words: string[] = [...remoteTimeoutWords(command.timeoutMs)];
  const env = Object.entries(command.env ?? {});
  if (env.length > 0) {
    words.push('env');
    for (const [name, value] of env) {
      assertEnvName(name);
      words.push(`${name}=${value}`);
    }
  }
  const secretNames = Object.keys(command.secretEnv ?? {});
  if (secretNames.length > 0) {
    secretNames.forEach(assertEnvName);
    words.push('sh', '-c', SECRET_ENV_WRAPPER, 'sh', String(secretNames.length));
  }
  words.push(...command.argv);
  return words.map(shellQuote).join(' ');
}

/** What is written to the channel's stdin: secret lines first, then `command.stdin`. */
export function buildStdin(command: RemoteCommand): string {
  const secretLines = Object.entries(command.secretEnv ?? {})
    .map(([name, value]) => `${name}=${Buffer.from(value, 'utf8').toString('base64')}\n`)
    .join('');
  return secretLines + (command.stdin ?? '');
}

function assertEnvName(name: string): void {
  if (!ENV_NAME.test(name)) throw new InvalidInputError(`invalid environment variable name: ${JSON.stringify(name)}`);
}

function connectionKey(host: Host): string {
  return `${host.user}@${host.address}:${host.sshPort}#${host.hostKey}`;
}

function exitCodeOfSignal(signal: string | undefined): number {
  if (!signal) return -1;
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof osConstants.signals;
  const number = osConstants.signals[name];
  return typeof number === 'number' ? 128 + number : -1;
}

/** Masks a trailing partial secret (a proper prefix of a secret that the cut split). */
function maskCutSecret(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) {
    for (let length = Math.min(secret.length - 1, text.length); length > 0; length--) {
      if (text.endsWith(secret.slice(0, length))) return `${text.slice(0, text.length - length)}***`;
    }
  }
  return text;
}

/** Accumulates at most MAX_CAPTURED_BYTES of a stream. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  push(chunk: Buffer): void {
    const room = MAX_CAPTURED_BYTES - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  /** The kept text, redacted; when cut, a secret's prefix left at the cut is masked too. */
  redactedText(secrets: readonly string[]): string {
    const text = redact(Buffer.concat(this.chunks).toString('utf8'), secrets);
    if (!this.truncated) return text;
    return `${maskCutSecret(text, secrets)}\n[output truncated]`;
  }
}

export class Ssh2RemoteShell implements RemoteShell {
  private readonly connections = new Map<string, Connection>();
  private readonly connectTimeoutMs: number;

  constructor(private readonly options: Ssh2RemoteShellOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /**
   * Runs `command` on `host`. Resolves for any exit status; rejects with
   * HostKeyMismatchError, HostUnreachableError, RemoteTimeoutError or InvalidInputError.
   * Every secretEnv value and `redact` string is masked in output, errors and logs.
   */
  async exec(host: Host, command: RemoteCommand): Promise<CommandResult> {
    const secrets = [...Object.values(command.secretEnv ?? {}), ...(command.redact ?? [])];
    const commandLine = buildCommandLine(command);
    const stdin = buildStdin(command);
    const client = await this.connect(host);
    const started = performance.now();
    try {
      const result = await this.run(client, host, command, commandLine, stdin, secrets, started);
      this.options.logger?.debug('remote command finished', {
        host: host.name,
        description: redact(command.description, secrets),
        exitCode: result.exitCode,
        durationMs: result.durationMs,
      });
      return result;
    } catch (error) {
      this.options.logger?.debug('remote command failed', {
        host: host.name,
        description: redact(command.description, secrets),
        error: redact(error instanceof Error ? error.message : String(error), secrets),
      });
      throw error;
    }
  }

  /**
   * `source` on `from` | `target` on `to`, streamed through this process with
   * back-pressure. Both are bounded by the larger timeout; on a timeout or a dropped
   * connection both channels are stopped and the error says which side failed.
   */
  async pipe(from: Host, source: RemoteCommand, to: Host, target: RemoteCommand): Promise<PipeResult> {
    const secrets = [...Object.values(source.secretEnv ?? {}), ...(source.redact ?? []), ...Object.values(target.secretEnv ?? {}), ...(target.redact ?? [])];
    if (source.stdin !== undefined || (source.secretEnv && Object.keys(source.secretEnv).length > 0)) throw new InvalidInputError('a pipe source takes no stdin');
    if (target.stdin !== undefined || (target.secretEnv && Object.keys(target.secretEnv).length > 0)) throw new InvalidInputError('a pipe target reads only the stream');
    const [sourceClient, targetClient] = await Promise.all([this.connect(from), this.connect(to)]);
    const started = performance.now();
    const timeoutMs = Math.max(source.timeoutMs, target.timeoutMs);
    const open = (client: SshClient, host: Host, command: RemoteCommand): Promise<ClientChannel> =>
      new Promise((resolve, reject) => {
        client.exec(buildCommandLine(command), (error, channel) => {
          if (error) reject(new HostUnreachableError(`cannot open a session on ${host.name}: ${redact(error.message, secrets)}`, { cause: error, phase: 'session' }));
          else resolve(channel);
        });
      });
    const sourceChannel = await open(sourceClient, from, source);
    let targetChannel: ClientChannel;
    try {
      targetChannel = await open(targetClient, to, target);
    } catch (error) {
      stopChannel(sourceChannel);
      throw error;
    }
    return new Promise<PipeResult>((resolve, reject) => {
      const sourceErr = new BoundedBuffer();
      const targetOut = new BoundedBuffer();
      const targetErr = new BoundedBuffer();
      let sourceExit: number | undefined;
      let targetExit: number | undefined;
      let sourceClosed = false;
      let targetClosed = false;
      let bytes = 0;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sourceClient.removeListener('close', onSourceDrop);
        targetClient.removeListener('close', onTargetDrop);
        outcome();
      };
      const fail = (error: Error) =>
        settle(() => {
          stopChannel(sourceChannel);
          stopChannel(targetChannel);
          reject(error);
        });
      const describe = `"${redact(source.description, secrets)}" on ${from.name} | "${redact(target.description, secrets)}" on ${to.name}`;
      const onSourceDrop = () => fail(new HostUnreachableError(`connection to ${from.name} dropped while streaming ${describe}`, { phase: 'session' }));
      const onTargetDrop = () => fail(new HostUnreachableError(`connection to ${to.name} dropped while streaming ${describe}`, { phase: 'session' }));
      sourceClient.once('close', onSourceDrop);
      targetClient.once('close', onTargetDrop);
      const timer = setTimeout(() => fail(new RemoteTimeoutError(`${describe} did not finish within ${timeoutMs} ms`)), timeoutMs);
      const finish = () => {
        if (!sourceClosed || !targetClosed) return;
        const durationMs = Math.round(performance.now() - started);
        settle(() =>
          resolve({
            source: { exitCode: sourceExit ?? -1, stdout: '', stderr: sourceErr.redactedText(secrets), durationMs },
            target: { exitCode: targetExit ?? -1, stdout: targetOut.redactedText(secrets), stderr: targetErr.redactedText(secrets), durationMs },
            bytes,
          }),
        );
      };
      sourceChannel.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (!targetChannel.write(chunk)) sourceChannel.pause();
      });
      targetChannel.on('drain', () => sourceChannel.resume());
      sourceChannel.stderr.on('data', (chunk: Buffer) => sourceErr.push(chunk));
      targetChannel.on('data', (chunk: Buffer) => targetOut.push(chunk));
      targetChannel.stderr.on('data', (chunk: Buffer) => targetErr.push(chunk));
      sourceChannel.on('exit', (code: number | null, signal?: string) => (sourceExit = code ?? exitCodeOfSignal(signal)));
      targetChannel.on('exit', (code: number | null, signal?: string) => (targetExit = code ?? exitCodeOfSignal(signal)));
      sourceChannel.on('error', () => undefined);
      targetChannel.on('error', () => undefined);
      sourceChannel.on('close', () => {
        sourceClosed = true;
        targetChannel.end();
        finish();
      });
      targetChannel.on('close', () => {
        targetClosed = true;
        // A target that ended early (it failed): the source has nowhere to write.
        if (!sourceClosed) stopChannel(sourceChannel);
        finish();
      });
      sourceChannel.end();
    });
  }

  /** Ends every connection; later execs connect again. */
  async close(): Promise<void> {
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map((connection) => endConnection(connection)));
  }

  private connect(host: Host): Promise<SshClient> {
    const key = connectionKey(host);
    const existing = this.connections.get(key);
    if (existing && !existing.closed) return existing.ready;
    let connection: Connection | undefined = undefined;
    const forget = () => {
      if (connection && this.connections.get(key) === connection) this.connections.delete(key);
    };
    connection = this.open(host, forget);
    this.connections.set(key, connection);
    return connection.ready;
  }

  private open(host: Host, forget: () => void): Connection {
    const client = new ssh2.Client();
    // Every exec in flight listens for the connection's close.
    client.setMaxListeners(MAX_CONCURRENT_EXECS);
    const connection: Connection = { client, ready: Promise.resolve(client), closed: false };
    const where = `${host.user}@${host.address}:${host.sshPort}`;
    const ready = new Promise<SshClient>((resolve, reject) => {
      let hostKeyRejected = false;
      let presented = '';
      let settled = false;
      const fail = (error: Error) => {
        connection.closed = true;
        forget();
        if (!settled) {
          settled = true;
          reject(error);
        }
      };
      if (!isPinnedFingerprint(host.hostKey)) {
        fail(new HostKeyMismatchError(`host ${host.name} has no pinned host key (SHA256:…): refusing to connect`));
        return;
      }
      if (!Number.isInteger(host.sshPort) || host.sshPort < 1 || host.sshPort > 65_535) {
        fail(new InvalidInputError(`host ${host.name} has an invalid SSH port ${host.sshPort}`));
        return;
      }
      client.on('ready', () => {
        settled = true;
        resolve(client);
      });
      client.on('error', (error: Error) => {
        if (hostKeyRejected) {
          fail(new HostKeyMismatchError(`host ${host.name} (${where}) presented host key ${presented}, not the pinned ${host.hostKey}`, { cause: error }));
        } else if ((error as Error & { level?: string }).level === 'client-authentication') {
          fail(new SshAuthenticationError(`${host.user}@${host.name} (${where}) refused the control plane's key: check authorized_keys`, { cause: error }));
        } else {
          fail(new HostUnreachableError(`cannot connect to ${host.name} (${where}): ${error.message}`, { cause: error }));
        }
      });
      client.on('close', () => {
        fail(new HostUnreachableError(`connection to ${host.name} (${where}) closed before it was ready`));
      });
      try {
        client.connect({
          host: host.address,
          port: host.sshPort,
          username: host.user,
          privateKey: this.options.privateKey,
          readyTimeout: this.connectTimeoutMs,
          keepaliveInterval: 15_000,
          tryKeyboard: false,
          agent: undefined,
          // Runs during key exchange, before any authentication is sent.
          hostVerifier: (key: Buffer): boolean => {
            presented = fingerprintOf(key);
            const accepted = fingerprintsEqual(presented, host.hostKey);
            if (!accepted) hostKeyRejected = true;
            return accepted;
          },
        });
      } catch (error) {
        fail(new HostUnreachableError(`cannot connect to ${host.name} (${where})`, { cause: error }));
      }
    });
    return Object.assign(connection, { ready });
  }

  private run(
    client: SshClient,
    host: Host,
    command: RemoteCommand,
    commandLine: string,
    stdin: string,
    secrets: readonly string[],
    started: number,
  ): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve, reject) => {
      const stdout = new BoundedBuffer();
      const stderr = new BoundedBuffer();
      let exitCode: number | undefined;
      let settled = false;
      let channel: ClientChannel | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('close', onConnectionClose);
        outcome();
      };
      const onConnectionClose = () =>
        settle(() => reject(new HostUnreachableError(`connection to ${host.name} dropped while running "${redact(command.description, secrets)}"`, { phase: 'session' })));
      client.once('close', onConnectionClose);
      const timer = setTimeout(() => {
        settle(() => reject(new RemoteTimeoutError(`"${redact(command.description, secrets)}" on ${host.name} did not finish within ${command.timeoutMs} ms`)));
        if (channel) stopChannel(channel);
      }, command.timeoutMs);

      client.exec(commandLine, (error, opened) => {
        if (error) {
          settle(() => reject(new HostUnreachableError(`cannot open a session on ${host.name}: ${redact(error.message, secrets)}`, { cause: error, phase: 'session' })));
          return;
        }
        channel = opened;
        if (settled) {
          stopChannel(opened);
          return;
        }
        opened.on('data', (chunk: Buffer) => stdout.push(chunk));
        opened.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        opened.on('exit', (code: number | null, signal?: string) => {
          exitCode = code ?? exitCodeOfSignal(signal);
        });
        opened.on('close', () =>
          settle(() =>
            resolve({
              exitCode: exitCode ?? -1,
              stdout: stdout.redactedText(secrets),
              stderr: stderr.redactedText(secrets),
              durationMs: Math.round(performance.now() - started),
            }),
          ),
        );
        // A remote that exits without reading stdin closes its side: not a fault.
        opened.on('error', () => undefined);
        if (stdin.length > 0) opened.write(stdin);
        opened.end();
      });
    });
  }
}

/**
 * Ask the remote side to KILL the command, then close the channel. The signal is
 * best effort (OpenSSH may ignore it); the remote `timeout` wrapper is the backstop.
 */
export function stopChannel(channel: ClientChannel): void {
  try {
    sendSignal(channel, 'KILL');
  } catch {
    // channel already closing, or signals unsupported
  }
  channel.close();
}

/** ssh2 1.x internals a channel has: its protocol and the remote channel id. */
interface ChannelInternals {
  readonly outgoing?: { readonly id?: number; readonly state?: string };
  readonly _client?: { readonly _protocol?: { signal?(channelId: number, signalName: string): void } };
}

/**
 * `channel.signal(name)`, also once stdin was ended: ssh2's public `signal()` silently
 * does nothing on a channel that is no longer writable (and every exec ends stdin at
 * once), so the request then goes through the channel's protocol while the channel is
 * not closed (RFC 4254 allows requests after EOF).
 */
function sendSignal(channel: ClientChannel, name: string): void {
  if (channel.writable) {
    channel.signal(name);
    return;
  }
  const internals = channel as unknown as ChannelInternals;
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  const state = internals.outgoing?.state;
  // After our EOF (state 'eof') the channel still takes requests: EOF only ends our data.
  if ((state === 'open' || state === 'eof') && typeof id === 'number' && typeof protocol?.signal === 'function') protocol.signal(id, name);
}

function endConnection(connection: Connection): Promise<void> {
  if (connection.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      connection.client.destroy();
      resolve();
    }, CLOSE_TIMEOUT_MS);
    connection.client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.client.end();
  });
}
