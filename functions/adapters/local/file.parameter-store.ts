/**
 * ParameterStore in one JSON file `{ "<name>": { "value": "...", "secret": bool } }`
 * for the local runtime. The file is mode 0600 (it holds secrets) and replaced
 * atomically; writes in this process are serialised so concurrent puts never lose one.
 * (Separate processes writing the same file are not coordinated.)
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ParameterStoreError } from '../../core/errors.ts';
import type { ParameterStore, PutParameterOptions } from '../../core/ports.ts';
import { atomicWriteFile } from './atomic-write-file.ts';
import { serialQueueFor } from './serial-queue.ts';

interface StoredParameter {
  readonly value: string;
  readonly secret: boolean;
}
type ParameterFile = Record<string, StoredParameter>;


export class FileParameterStore implements ParameterStore {
  private readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  async get(name: string): Promise<string | undefined> {
    const parameters = await this.read();
    return Object.hasOwn(parameters, name) ? parameters[name]?.value : undefined;
  }

  async put(name: string, value: string, options: PutParameterOptions = {}): Promise<void> {
    if (!name.startsWith('/') || name.endsWith('/')) throw new ParameterStoreError(`invalid parameter name ${JSON.stringify(name)}`);
    await serialQueueFor(this.path).run(async () => {
      const parameters = await this.read();
      parameters[name] = { value, secret: options.secret ?? false };
      try {
        await atomicWriteFile(this.path, `${JSON.stringify(parameters, null, 2)}\n`, 0o600);
      } catch (error) {
        throw new ParameterStoreError(`cannot write parameter file ${this.path}`, { cause: error });
      }
    });
  }

  async getByPath(prefix: string): Promise<Record<string, string>> {
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const parameters = await this.read();
    return Object.fromEntries(
      Object.entries(parameters)
        .filter(([name]) => name.startsWith(base))
        .map(([name, stored]) => [name, stored.value]),
    );
  }

  private async read(): Promise<ParameterFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ParameterStoreError(`cannot read parameter file ${this.path}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      const result: ParameterFile = Object.create(null) as ParameterFile;
      for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
        const candidate = entry as Partial<StoredParameter> | null;
        if (typeof candidate?.value !== 'string') throw new Error(`entry ${name} has no string value`);
        result[name] = { value: candidate.value, secret: candidate.secret === true };
      }
      return result;
    } catch (error) {
      throw new ParameterStoreError(`parameter file ${this.path} is malformed`, { cause: error });
    }
  }
}
