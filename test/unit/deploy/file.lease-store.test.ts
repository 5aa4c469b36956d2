import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLeaseStore } from '../../../functions/adapters/local/file.lease-store.ts';
import { LeaseStoreError } from '../../../functions/core/deploy/lease-store-error.ts';

describe('FileLeaseStore', () => {
  let dir: string;
  let now: number;
  const clock = { now: () => new Date(now) };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twinstack-lease-'));
    now = Date.parse('2026-01-01T12:00:00.000Z');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a key to one holder until it is released; the holder may renew', async () => {
    // Prepare
    const store = new FileLeaseStore(join(dir, 'leases.json'), clock);
    // Act
    const first = await store.acquire('deploy:shop', 'a', 60);
    const other = await store.acquire('deploy:shop', 'b', 60);
    const renew = await store.acquire('deploy:shop', 'a', 60);
    await store.release('deploy:shop', 'b');
    const stillHeld = await store.holderOf('deploy:shop');
    await store.release('deploy:shop', 'a');
    const afterRelease = await store.acquire('deploy:shop', 'b', 60);
    // Assess
    expect([first, other, renew, stillHeld, afterRelease]).toEqual([true, false, true, 'a', true]);
  });

  it('frees an expired lease', async () => {
    // Prepare
    const store = new FileLeaseStore(join(dir, 'leases.json'), clock);
    await store.acquire('deploy:shop', 'a', 60);
    // Act
    now += 61_000;
    const taken = await store.acquire('deploy:shop', 'b', 60);
    // Assess
    expect(taken).toBe(true);
    expect(await store.holderOf('deploy:shop')).toBe('b');
  });

  it('lets exactly one of many concurrent acquirers win, across store instances of the same file', async () => {
    // Prepare
    const path = join(dir, 'leases.json');
    // Act
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => new FileLeaseStore(path, clock).acquire('deploy:shop', `h${i}`, 60)));
    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')) as object)).toEqual(['deploy:shop']);
  });

  it('refuses a malformed file with LeaseStoreError', async () => {
    // Prepare
    const path = join(dir, 'leases.json');
    await writeFile(path, '{"deploy:shop": {"holder": 1}}');
    // Act + Assess
    await expect(new FileLeaseStore(path, clock).acquire('deploy:shop', 'a', 60)).rejects.toBeInstanceOf(LeaseStoreError);
  });
});
