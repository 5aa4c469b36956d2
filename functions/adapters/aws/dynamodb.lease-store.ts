/**
 * LeaseStore on a DynamoDB table (partition key `pk`, string; TTL attribute `expiresAt`,
 * epoch seconds). One item per lease key: `{pk, holder, expiresAt}`.
 *
 * Invariants:
 * - acquire is one conditional PutItem: it succeeds only when no item exists, the
 *   existing one has expired, or the caller already holds it (renewal);
 * - release is one DeleteItem conditional on the holder: it never removes another's lease;
 * - DynamoDB's TTL deletion is lazy, so expiry is decided by `expiresAt` in the condition, never by the item's presence.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LeaseStoreError } from '../../core/deploy/lease-store-error.ts';
import type { Clock, LeaseStore } from '../../core/ports.ts';

/** The SDK's classes, loaded on first use: importing this module does not load the SDK. */
const sdk = () => import('@aws-sdk/client-dynamodb');

export class DynamoDbLeaseStore implements LeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async acquire(key: string, holder: string, ttlSeconds: number): Promise<boolean> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const { ConditionalCheckFailedException, PutItemCommand } = await sdk();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: key }, holder: { S: holder }, expiresAt: { N: String(now + Math.max(1, Math.ceil(ttlSeconds))) } },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':holder': { S: holder } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new LeaseStoreError(`cannot acquire lease ${key}`, { cause: error });
    }
  }

  async release(key: string, holder: string): Promise<void> {
    const { ConditionalCheckFailedException, DeleteItemCommand } = await sdk();
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key } },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new LeaseStoreError(`cannot release lease ${key}`, { cause: error });
    }
  }
}
