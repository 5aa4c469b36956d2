/**
 * Loopback addresses for the lab's new hosts (clones), from a configured range.
 *
 * Invariants: an address is handed out only when it is in the range, in 127.0.0.0/8, not
 * claimed by another clone (a claim file created exclusively: two concurrent launches never
 * get the same address), not an address a lab host under the same lab root is configured
 * to listen on, and nothing accepts connections on it at any of the ports the host will
 * use. A claim is released only by `release`, at terminate.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../lab/lab-error.ts';
import { assertLoopbackAddress, canConnect } from '../lab/loopback-host.ts';
import { assertLabHostName, labHostPaths } from '../lab/lab-paths.ts';

export interface AddressRange {
  /** e.g. 127.0.72.1 */
  readonly first: string;
  /** e.g. 127.0.72.20 (inclusive) */
  readonly last: string;
}

/** Bound on a range: it is scanned address by address. */
const MAX_RANGE = 4096;

function toNumber(address: string): number {
  assertLoopbackAddress(address);
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** Where a lab host's sshd is configured to listen (its sshd_config's `ListenAddress a:p`); undefined without one. */
export function sshdListenOf(sshdConfig: string): { readonly address: string; readonly port: number } | undefined {
  let config: string;
  try {
    config = readFileSync(sshdConfig, 'utf8');
  } catch {
    return undefined;
  }
  const listen = /^ListenAddress (\S+):(\d+)$/m.exec(config);
  return listen?.[1] ? { address: listen[1], port: Number(listen[2]) } : undefined;
}

function isLabHostName(name: string): boolean {
  try {
    assertLabHostName(name);
    return true;
  } catch {
    return false;
  }
}

/** Addresses lab hosts under `labRoot` are configured to listen on (their sshd_config). */
export function configuredLabAddresses(labRoot: string): Map<string, string> {
  const byAddress = new Map<string, string>();
  if (!existsSync(labRoot)) return byAddress;
  for (const entry of readdirSync(labRoot, { withFileTypes: true })) {
    // Folders that cannot be lab hosts (the lab root also holds control-plane/, …) are skipped, not fatal.
    if (!entry.isDirectory() || !isLabHostName(entry.name)) continue;
    const listen = sshdListenOf(labHostPaths(labRoot, entry.name).sshdConfig);
    if (listen) byAddress.set(`${listen.address}:${listen.port}`, entry.name);
  }
  return byAddress;
}

export class AddressAllocator {
  private readonly first: number;
  private readonly last: number;

  constructor(
    range: AddressRange,
    private readonly claimsDir: string,
    private readonly labRoot: string,
  ) {
    this.first = toNumber(range.first);
    this.last = toNumber(range.last);
    if (this.last < this.first || this.last - this.first >= MAX_RANGE) {
      throw new LabError(`address range ${range.first}–${range.last} must be ascending and hold at most ${MAX_RANGE} addresses`);
    }
  }

  /** Claim a free address for `owner` that accepts nothing on any of `ports`; LabError naming the range when none is left. */
  async claim(owner: string, ports: readonly number[]): Promise<string> {
    // A launch that crashed after its claim and before its record: the same owner gets its address back.
    const held = this.heldBy(owner);
    if (held !== undefined) return held;
    const configured = new Set([...configuredLabAddresses(this.labRoot).keys()].map((a) => a.split(':')[0]));
    for (let n = this.first; n <= this.last; n += 1) {
      const address = toAddress(n);
      if (configured.has(address) || existsSync(this.claimFile(address))) continue;
      const busy = await Promise.all(ports.map((port) => canConnect(address, port, 200)));
      if (busy.some(Boolean)) continue;
      let fd: number;
      try {
        fd = openSync(this.claimFile(address), 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // a concurrent launch took it
        throw error;
      }
      try {
        writeSync(fd, `${owner}\n`);
      } finally {
        closeSync(fd);
      }
      return address;
    }
    throw new LabError(`no free loopback address left in ${toAddress(this.first)}–${toAddress(this.last)}: terminate clones, or give a wider range`);
  }

  /** Release `address` if `owner` holds it (idempotent). */
  release(address: string, owner: string): void {
    const file = this.claimFile(address);
    try {
      if (readFileSync(file, 'utf8').trim() === owner) rmSync(file, { force: true });
    } catch {
      // not claimed: nothing to release
    }
  }

  /** The address `owner` holds, if any. */
  heldBy(owner: string): string | undefined {
    return readdirSync(this.claimsDir).find((address) => {
      try {
        return readFileSync(join(this.claimsDir, address), 'utf8').trim() === owner;
      } catch {
        return false;
      }
    });
  }

  private claimFile(address: string): string {
    assertLoopbackAddress(address);
    return join(this.claimsDir, address);
  }
}
