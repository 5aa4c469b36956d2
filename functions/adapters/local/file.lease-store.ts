/**
 * LeaseStore in one JSON file `{ "<key>": { "holder": "...", "expiresAt": <epoch ms> } }`
 * for the local runtime.
 *
 * Invariants: every acquire/release of this process on the same file runs one at a
 * time (a read-decide-write under a SerialQueue) and replaces the file atomically,
 * so two executions never both hold a key; an expired lease is free. (Separate
 * processes sharing the file are not coordinated, as with the parameter file.)
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LeaseStoreError } from '../../core/deploy/lease-store-error.ts';
import type { Clock, LeaseStore } from '../../core/ports.ts';
import { atomicWriteFile } from './atomic-write-file.ts';
import { serialQueueFor } from './serial-queue.ts';

interface StoredLease {
  readonly holder: string;
  readonly expiresAt: number;
}
type LeaseFile = Record<string, StoredLease>;


export class FileLeaseStore implements LeaseStore {
  private readonly path: string;

  constructor(
    path: string,
    private readonly clock: Clock,
  ) {
    this.path = resolve(path);
  }

  acquire(key: string, holder: string, ttlSeconds: number): Promise<boolean> {
    return serialQueueFor(this.path).run(async () => {
      const leases = await this.read();
      const now = this.clock.now().getTime();
      const current = leases[key];
      if (current && current.holder !== holder && current.expiresAt > now) return false;
      leases[key] = { holder, expiresAt: now + Math.max(1, ttlSeconds) * 1000 };
      await this.write(leases);
      return true;
    });
  }

  release(key: string, holder: string): Promise<void> {
    return serialQueueFor(this.path).run(async () => {
      const leases = await this.read();
      if (leases[key]?.holder !== holder) return;
      delete leases[key];
      await this.write(leases);
    });
  }

  /** Who holds `key` now (undefined: free or expired). */
  async holderOf(key: string): Promise<string | undefined> {
    const lease = (await this.read())[key];
    return lease && lease.expiresAt > this.clock.now().getTime() ? lease.holder : undefined;
  }

  private async write(leases: LeaseFile): Promise<void> {
    try {
      await atomicWriteFile(this.path, `${JSON.stringify(leases, null, 2)}\n`, 0o600);
    } catch (error) {
      throw new LeaseStoreError(`cannot write lease file ${this.path}`, { cause: error });
    }
  }

  private async read(): Promise<LeaseFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null) as LeaseFile;
      throw new LeaseStoreError(`cannot read lease file ${this.path}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      const result = Object.create(null) as LeaseFile;
      for (const [key, entry] of Object.entries(parsed as Record<string, unknown>)) {
        const lease = entry as Partial<StoredLease> | null;
        if (typeof lease?.holder !== 'string' || typeof lease.expiresAt !== 'number') throw new Error(`lease ${key} is malformed`);
        result[key] = { holder: lease.holder, expiresAt: lease.expiresAt };
      }
      return result;
    } catch (error) {
      throw new LeaseStoreError(`lease file ${this.path} is malformed`, { cause: error });
    }
  }
}
