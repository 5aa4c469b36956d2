import type { LeaseStore } from '../../../../functions/core/ports.ts';

/** A lease store in memory; time comes from `now()` so expiry can be tested. */
export class MemoryLeaseStore implements LeaseStore {
  readonly leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly acquisitions: { key: string; holder: string; acquired: boolean }[] = [];
  readonly releases: { key: string; holder: string }[] = [];
  constructor(private readonly now: () => number = () => Date.now()) {}
  acquire(key: string, holder: string, ttlSeconds: number): Promise<boolean> {
    const current = this.leases.get(key);
    const acquired = !current || current.holder === holder || current.expiresAt <= this.now();
    if (acquired) this.leases.set(key, { holder, expiresAt: this.now() + ttlSeconds * 1000 });
    this.acquisitions.push({ key, holder, acquired });
    return Promise.resolve(acquired);
  }
  release(key: string, holder: string): Promise<void> {
    this.releases.push({ key, holder });
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
    return Promise.resolve();
  }
}
