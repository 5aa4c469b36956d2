/**
 * Established TCP connections on this machine (`ss`), and aborting one: the kernel
 * resets it at once (sock_diag destroy, `ss -K`), as a peer's crash or a middlebox's
 * reset would. A fault that only added a rule would leave connections open before
 * it untouched until their next packet timed out; aborting them makes a cut a cut.
 */
import { execFileSync } from 'node:child_process';

const MAX_SOCKETS = 500;

/** An established TCP socket with its owners (from `ss -tnpH state established`). */
export interface OwnedSocket {
  readonly local: string;
  readonly peer: string;
  readonly pids: readonly number[];
}

/** Pure: parses `ss -tnpH state established` (columns: Recv-Q Send-Q Local Peer Process). */
export function parseEstablishedSockets(text: string): OwnedSocket[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[0] ?? ''))
    .map((f) => ({ local: f[2] ?? '', peer: f[3] ?? '', pids: [...f.slice(4).join(' ').matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])) }));
}

function assertLoopback(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) throw new Error(`${address} is not a loopback address (127.0.0.0/8)`);
}

/** Established connections to `address` (optionally its `port`), at most MAX_SOCKETS. */
export function establishedTo(address: string, port?: number): OwnedSocket[] {
  assertLoopback(address);
  const destination = port === undefined ? address : `${address}:${port}`;
  return parseEstablishedSockets(execFileSync('ss', ['-tnpH', 'state', 'established', 'dst', destination], { encoding: 'utf8', timeout: 10_000 })).slice(0, MAX_SOCKETS);
}

/** Aborts each socket (by its exact local and peer address:port). */
export function abortSockets(sockets: readonly OwnedSocket[]): number {
  for (const s of sockets) execFileSync('ss', ['-K', '-tnH', 'src', s.local, 'dst', s.peer], { stdio: 'ignore', timeout: 10_000 });
  return sockets.length;
}
