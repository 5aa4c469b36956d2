/**
 * In-process SSH server (ssh2's own Server) on 127.0.0.1 for Ssh2RemoteShell tests.
 * It records authentication attempts, exec command strings and stdin, and runs each
 * exec as a local `sh -c <command>` child (killed by PID when the channel closes),
 * so the secret-env wrapper really runs.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';
import { fingerprintOfOpenSshPublicKey } from '../../../../functions/adapters/ssh/host-key-fingerprint.ts';

export interface ExecRecord {
  readonly command: string;
  stdin: string;
}

export interface FakeSshServer {
  readonly port: number;
  /** Pinned form of the server's host key. */
  readonly hostKeyFingerprint: string;
  readonly clientPrivateKey: string;
  readonly authAttempts: string[];
  readonly execs: ExecRecord[];
  connectionCount(): number;
  /** Ends every client connection from the server side. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startFakeSshServer(): Promise<FakeSshServer> {
  const hostKey = generateParsableKeyPair();
  const clientKey = generateParsableKeyPair();
  const clientPublic = ssh2.utils.parseKey(clientKey.public) as ParsedKey;
  const authAttempts: string[] = [];
  const execs: ExecRecord[] = [];
  const clients = new Set<Connection>();
  const children = new Set<number>();
  let connections = 0;

  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    connections++;
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      authAttempts.push(ctx.method);
      if (ctx.method === 'publickey' && ctx.key.data.equals(clientPublic.getPublicSSH())) {
        if (!ctx.signature || (ctx.blob && clientPublic.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true)) {
          ctx.accept();
          return;
        }
      }
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => {
          const record: ExecRecord = { command: info.command, stdin: '' };
          execs.push(record);
          const stream = acceptExec();
          const child = spawn('sh', ['-c', info.command], { stdio: 'pipe' });
          const pid = child.pid;
          if (pid !== undefined) children.add(pid);
          stream.on('data', (chunk: Buffer) => {
            record.stdin += chunk.toString('utf8');
            child.stdin.write(chunk);
          });
          stream.on('end', () => child.stdin.end());
          stream.on('close', () => {
            if (pid !== undefined && children.has(pid)) killQuietly(pid);
          });
          child.stdin.on('error', () => undefined);
          child.stdout.on('data', (chunk: Buffer) => stream.write(chunk));
          child.stderr.on('data', (chunk: Buffer) => stream.stderr.write(chunk));
          child.on('close', (code, signal) => {
            if (pid !== undefined) children.delete(pid);
            if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
            else stream.exit(code ?? 0);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hostKeyFingerprint: fingerprintOfOpenSshPublicKey(hostKey.public),
    clientPrivateKey: clientKey.private,
    authAttempts,
    execs,
    connectionCount: () => connections,
    dropAll: () => clients.forEach((client) => client.end()),
    close: async () => {
      for (const pid of children) killQuietly(pid);
      children.clear();
      clients.forEach((client) => client.end());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** SIGKILL a child we spawned, by PID; it may have exited already. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * ssh2's generateKeyPairSync('ed25519') now and then yields a key its own parser
 * rejects ("Malformed OpenSSH public key"); try again, a bounded number of times.
 */
export function generateParsableKeyPair(): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    try {
      const publicKey = ssh2.utils.parseKey(pair.public);
      const privateKey = ssh2.utils.parseKey(pair.private);
      if (!(publicKey instanceof Error) && !(privateKey instanceof Error)) return pair;
    } catch {
      // malformed: generate another
    }
  }
  throw new Error('could not generate a parsable ed25519 key pair');
}
