/** ParameterStore over SSM Parameter Store (SecureString for secrets, decrypted on read). */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ParameterStoreError } from '../../core/errors.ts';
import type { ParameterStore, PutParameterOptions } from '../../core/ports.ts';

/** Values above this many bytes need the Advanced tier (Standard holds 4 KiB). */
export const STANDARD_TIER_MAX_BYTES = 4096;
/** Bound on GetParametersByPath pages (10 parameters each): 10 000 parameters. */
const MAX_PAGES = 1000;

/** The SDK's command classes, loaded on first use: a bundle that imports this module does not load the SDK until it sends. */
const sdk = () => import('@aws-sdk/client-ssm');

export class SsmParameterStore implements ParameterStore {
  constructor(private readonly client: SSMClient) {}

  /** The decrypted value, or undefined when the parameter does not exist. */
  async get(name: string): Promise<string | undefined> {
    const { GetParameterCommand } = await sdk();
    try {
      const output = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return output.Parameter?.Value;
    } catch (error) {
      if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
      throw wrap(error, `cannot read parameter ${name}`);
    }
  }

  /** Overwrites; SecureString when secret; Advanced tier only when the value needs it. */
  async put(name: string, value: string, options: PutParameterOptions = {}): Promise<void> {
    const { PutParameterCommand } = await sdk();
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: options.secret ? 'SecureString' : 'String',
          Overwrite: true,
          Tier: Buffer.byteLength(value, 'utf8') > STANDARD_TIER_MAX_BYTES ? 'Advanced' : 'Standard',
        }),
      );
    } catch (error) {
      throw wrap(error, `cannot write parameter ${name}`);
    }
  }

  /** Every parameter under `prefix/` (recursive, all pages, decrypted), by full name. */
  async getByPath(prefix: string): Promise<Record<string, string>> {
    const path = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
    const { GetParametersByPathCommand } = await sdk();
    const result: Record<string, string> = {};
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let output;
      try {
        output = await this.client.send(
          new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken: nextToken }),
        );
      } catch (error) {
        throw wrap(error, `cannot list parameters under ${path}`);
      }
      for (const parameter of output.Parameters ?? []) {
        if (parameter.Name !== undefined && parameter.Value !== undefined) result[parameter.Name] = parameter.Value;
      }
      nextToken = output.NextToken;
      if (!nextToken) return result;
    }
    throw new ParameterStoreError(`more than ${MAX_PAGES} pages of parameters under ${path}`);
  }
}

function wrap(error: unknown, message: string): ParameterStoreError {
  return new ParameterStoreError(`${message}: ${error instanceof Error ? error.name : 'error'}`, { cause: error });
}
