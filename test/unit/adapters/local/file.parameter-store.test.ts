import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileParameterStore } from '../../../../functions/adapters/local/file.parameter-store.ts';
import { ParameterStoreError } from '../../../../functions/core/errors.ts';

describe('FileParameterStore', () => {
  let directory: string;
  let path: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'twinstack-params-'));
    path = join(directory, 'parameters.json');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('answers undefined and an empty path while the file does not exist', async () => {
    // Prepare
    const store = new FileParameterStore(path);

    // Act
    const value = await store.get('/twinstack/g/state');
    const all = await store.getByPath('/twinstack/g');

    // Assess
    expect(value).toBeUndefined();
    expect(all).toEqual({});
  });

  it('round-trips values, keeps the secret flag and overwrites', async () => {
    // Prepare
    const store = new FileParameterStore(path);

    // Act
    await store.put('/twinstack/g/secrets/main/app-password', 'first', { secret: true });
    await store.put('/twinstack/g/secrets/main/app-password', 'second', { secret: true });
    await store.put('/twinstack/g/state', '{"active":"twin"}');

    // Assess
    expect(await new FileParameterStore(path).get('/twinstack/g/secrets/main/app-password')).toBe('second');
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toEqual({
      '/twinstack/g/secrets/main/app-password': { value: 'second', secret: true },
      '/twinstack/g/state': { value: '{"active":"twin"}', secret: false },
    });
  });

  it('writes the file with mode 0600 and leaves no temporary files', async () => {
    // Prepare
    const store = new FileParameterStore(path);

    // Act
    await store.put('/twinstack/g/ssh/private-key', 'KEY', { secret: true });

    // Assess
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(directory)).toEqual(['parameters.json']);
  });

  it('keeps every one of 50 concurrent puts, from two store instances on one file', async () => {
    // Prepare
    const stores = [new FileParameterStore(path), new FileParameterStore(path)];

    // Act
    await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.put(`/twinstack/g/env/shop/VAR_${i}`, `value-${i}`)));

    // Assess
    const all = await stores[0]!.getByPath('/twinstack/g/env/shop');
    expect(Object.keys(all)).toHaveLength(50);
    expect(all['/twinstack/g/env/shop/VAR_49']).toBe('value-49');
  });

  it('lists by path only names under prefix/ (not siblings sharing the prefix text)', async () => {
    // Prepare
    const store = new FileParameterStore(path);
    await store.put('/twinstack/g/env/shop/A', '1');
    await store.put('/twinstack/g/env/shop/deep/B', '2');
    await store.put('/twinstack/g/env/shop-twin/C', '3');

    // Act
    const all = await store.getByPath('/twinstack/g/env/shop');

    // Assess
    expect(all).toEqual({ '/twinstack/g/env/shop/A': '1', '/twinstack/g/env/shop/deep/B': '2' });
  });

  it('rejects a malformed file with ParameterStoreError', async () => {
    // Prepare
    await writeFile(path, '{"broken":');
    const store = new FileParameterStore(path);

    // Act
    const outcome = store.get('/twinstack/g/state');

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ParameterStoreError);
  });
});
