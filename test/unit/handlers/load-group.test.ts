import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/core/errors.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import { getOrCreateSecrets, loadGroup, loadSecrets, loadState, saveState } from '../../../functions/handlers/stores/load-group.ts';
import { MemoryParameterStore, createHarness } from './fakes/fake-world.ts';

describe('loadGroup', () => {
  it('returns the stored group', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const group = await loadGroup(h.params, 'shop');
    // Assess
    expect(group).toEqual(h.group);
  });

  it.each([
    ['an unknown group', 'nope'],
    ['a malformed name', '../etc'],
    ['a non-string name', 42],
  ])('rejects %s with InvalidInputError', async (_label, name) => {
    // Prepare
    const h = await createHarness();
    // Act + Assess
    await expect(loadGroup(h.params, name)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('loadState / saveState', () => {
  it('defaults to the primary being active and round-trips', async () => {
    // Prepare
    const params = new MemoryParameterStore();
    // Act
    const initial = await loadState(params, 'shop');
    await saveState(params, 'shop', { active: 'twin', lastFailoverAt: '2026-01-01T00:00:00.000Z' });
    // Assess
    expect(initial).toEqual({ active: 'primary' });
    expect(await loadState(params, 'shop')).toEqual({ active: 'twin', lastFailoverAt: '2026-01-01T00:00:00.000Z' });
  });
});

describe('getOrCreateSecrets', () => {
  it('creates random secret passwords once and returns the same ones afterwards', async () => {
    // Prepare
    const params = new MemoryParameterStore();
    // Act
    const first = await getOrCreateSecrets(params, 'shop', 'main');
    const second = await getOrCreateSecrets(params, 'shop', 'main');
    // Assess
    expect(second).toEqual(first);
    expect(first.appPassword).not.toEqual(first.replicationPassword);
    expect(first.appPassword.length).toBeGreaterThanOrEqual(24);
    expect(params.values.get(parameterNames.secret('shop', 'main', 'app-password'))).toEqual({ value: first.appPassword, secret: true });
    expect(params.puts).toHaveLength(2);
  });

  it('loadSecrets refuses when none were created', async () => {
    // Prepare
    const params = new MemoryParameterStore();
    // Act + Assess
    await expect(loadSecrets(params, 'shop', 'main')).rejects.toBeInstanceOf(InvalidInputError);
  });
});
