import type { ParameterStore, PutParameterOptions } from '../../../../functions/core/ports.ts';

/** A parameter store in memory; records writes and counts reads. */
export class MemoryParameterStore implements ParameterStore {
  readonly values = new Map<string, { value: string; secret: boolean }>();
  readonly puts: string[] = [];
  /** How many reads were made (tests assert that a path touches no parameter). */
  gets = 0;
  get(name: string): Promise<string | undefined> {
    this.gets++;
    return Promise.resolve(this.values.get(name)?.value);
  }
  put(name: string, value: string, options?: PutParameterOptions): Promise<void> {
    this.values.set(name, { value, secret: options?.secret === true });
    this.puts.push(name);
    return Promise.resolve();
  }
  getByPath(prefix: string): Promise<Record<string, string>> {
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return Promise.resolve(Object.fromEntries([...this.values].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k, v.value])));
  }
}
