import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lazyPort } from '../../../functions/handlers/deps/lazy-port.ts';
import { STEPS } from '../../../functions/handlers/step-catalog.ts';

const HANDLERS = join(import.meta.dirname, '..', '..', '..', 'functions', 'handlers');

describe('AWS entry wiring', () => {
  it.each(STEPS.map((s) => [s.state, s] as const))('%s uses the ssh entry exactly when the catalog gives it the ssh capability', (_state, step) => {
    // Act
    const source = readFileSync(join(HANDLERS, `${step.file}.handler.ts`), 'utf8');
    const entry = /export const handler = (\w+)\(createHandler\);/.exec(source)?.[1];
    // Assess: a step without ssh bundles no ssh2; one with it gets a shell.
    expect(entry).toBe((step.capabilities as readonly string[]).includes('ssh') ? 'awsSshEntry' : 'awsEntry');
  });
});

describe('lazyPort', () => {
  interface Store {
    get(name: string): Promise<string>;
  }

  it('builds the adapter on the first call only, and never just for being awaited or passed around', async () => {
    // Prepare
    let loads = 0;
    const port = lazyPort<Store>(() => {
      loads++;
      return Promise.resolve({ get: (name: string) => Promise.resolve(`value of ${name}`) });
    });
    // Act
    const unused = await Promise.resolve(port);
    const before = loads;
    const answers = await Promise.all([port.get('a'), unused.get('b')]);
    // Assess
    expect(before).toBe(0);
    expect(answers).toEqual(['value of a', 'value of b']);
    expect(loads).toBe(1);
  });

  it('retries a failed load on the next call instead of failing forever', async () => {
    // Prepare
    let loads = 0;
    const port = lazyPort<Store>(() => {
      loads++;
      if (loads === 1) return Promise.reject(new Error('SDK not loadable'));
      return Promise.resolve({ get: () => Promise.resolve('ok') });
    });
    // Act / Assess
    await expect(port.get('a')).rejects.toThrow('SDK not loadable');
    await expect(port.get('a')).resolves.toBe('ok');
    expect(loads).toBe(2);
  });
});
