import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { toHaveReceivedCommandTimes, toHaveReceivedCommandWith } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmParameterStore } from '../../../../functions/adapters/aws/ssm.parameter-store.ts';
import { ParameterStoreError } from '../../../../functions/core/errors.ts';

expect.extend({ toHaveReceivedCommandWith, toHaveReceivedCommandTimes });

const ssm = mockClient(SSMClient);
const store = () => new SsmParameterStore(new SSMClient({ region: 'eu-west-1' }));

describe('SsmParameterStore', () => {
  beforeEach(() => {
    ssm.reset();
  });

  it('gets a parameter decrypted', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/twinstack/g/state', Value: '{"active":"primary"}' } });

    // Act
    const value = await store().get('/twinstack/g/state');

    // Assess
    expect(value).toBe('{"active":"primary"}');
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/twinstack/g/state', WithDecryption: true });
  });

  it('answers undefined for a parameter that does not exist', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    // Act
    const value = await store().get('/twinstack/g/missing');

    // Assess
    expect(value).toBeUndefined();
  });

  it('wraps other faults in ParameterStoreError with the cause', async () => {
    // Prepare
    const fault = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    ssm.on(GetParameterCommand).rejects(fault);

    // Act
    const outcome = store().get('/twinstack/g/state');

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ParameterStoreError);
    await expect(outcome).rejects.toHaveProperty('cause', fault);
  });

  it.each([
    ['a secret as SecureString', 'p4ss', { secret: true }, 'SecureString', 'Standard'],
    ['a plain value as String', 'x', {}, 'String', 'Standard'],
    ['a value over 4 KiB in the Advanced tier', 'a'.repeat(4097), {}, 'String', 'Advanced'],
    ['a value of exactly 4 KiB in the Standard tier', 'a'.repeat(4096), { secret: true }, 'SecureString', 'Standard'],
  ] as const)('puts %s with Overwrite', async (_case, value, options, type, tier) => {
    // Prepare
    ssm.on(PutParameterCommand).resolves({ Version: 2 });

    // Act
    await store().put('/twinstack/g/secrets/main/app-password', value, options);

    // Assess
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/twinstack/g/secrets/main/app-password',
      Value: value,
      Type: type,
      Overwrite: true,
      Tier: tier,
    });
  });

  it('gets every parameter under a path, recursively, across pages', async () => {
    // Prepare
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce({ Parameters: [{ Name: '/twinstack/g/env/shop/A', Value: '1' }], NextToken: 't1' })
      .resolvesOnce({ Parameters: [{ Name: '/twinstack/g/env/shop/sub/B', Value: '2' }], NextToken: 't2' })
      .resolvesOnce({ Parameters: [{ Name: '/twinstack/g/env/shop/C', Value: '3' }] });

    // Act
    const values = await store().getByPath('/twinstack/g/env/shop/');

    // Assess
    expect(values).toEqual({ '/twinstack/g/env/shop/A': '1', '/twinstack/g/env/shop/sub/B': '2', '/twinstack/g/env/shop/C': '3' });
    expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 3);
    expect(ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, { Path: '/twinstack/g/env/shop', Recursive: true, WithDecryption: true, NextToken: 't2' });
  });
});
