import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { toHaveReceivedCommandTimes, toHaveReceivedCommandWith } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLeaseStore } from '../../../functions/adapters/aws/dynamodb.lease-store.ts';
import { LeaseStoreError } from '../../../functions/core/deploy/lease-store-error.ts';

expect.extend({ toHaveReceivedCommandWith, toHaveReceivedCommandTimes });

const dynamo = mockClient(DynamoDBClient);
const NOW = Date.parse('2026-01-01T12:00:00.000Z') / 1000;
const store = () => new DynamoDbLeaseStore(new DynamoDBClient({ region: 'eu-central-1' }), 'leases', { now: () => new Date(NOW * 1000) });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDbLeaseStore', () => {
  beforeEach(() => {
    dynamo.reset();
  });

  it('acquires with one conditional put: free, expired, or already ours', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});
    // Act
    const acquired = await store().acquire('deploy:shop', 'exec-1', 600);
    // Assess
    expect(acquired).toBe(true);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'leases',
      Item: { pk: { S: 'deploy:shop' }, holder: { S: 'exec-1' }, expiresAt: { N: String(NOW + 600) } },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder',
      ExpressionAttributeValues: { ':now': { N: String(NOW) }, ':holder': { S: 'exec-1' } },
    });
  });

  it('answers false when another holder has an unexpired lease', async () => {
    // Prepare
    dynamo.on(PutItemCommand).rejects(conditionFailed());
    // Act + Assess
    await expect(store().acquire('deploy:shop', 'exec-2', 600)).resolves.toBe(false);
  });

  it('turns other faults into a transient LeaseStoreError', async () => {
    // Prepare
    dynamo.on(PutItemCommand).rejects(new Error('throttled'));
    // Act
    const failure = await store().acquire('deploy:shop', 'exec-1', 600).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(LeaseStoreError);
    expect(failure).toMatchObject({ name: 'LeaseStoreError', code: 'LEASE_STORE_FAILED', transient: true });
  });

  it('releases only when it is the holder; another holder is a no-op', async () => {
    // Prepare
    dynamo.on(DeleteItemCommand).rejectsOnce(conditionFailed()).resolves({});
    // Act
    await store().release('deploy:shop', 'not-me');
    await store().release('deploy:shop', 'exec-1');
    // Assess
    expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 2);
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: 'leases',
      Key: { pk: { S: 'deploy:shop' } },
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: { ':holder': { S: 'exec-1' } },
    });
  });
});
