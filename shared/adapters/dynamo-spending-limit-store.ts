/**
 * PCF subscriptions and policy counter statuses in the realtime table (items in realtime-items.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredCounterStatus } from '../domain/policy-counters.js';
import type { SpendingLimitStore, SpendingLimitSubscription, StoredCounterStatuses } from '../ports/spending-limit-store.js';
import { isConditionalCheckFailed } from './dynamo-client.js';
import {
  isExpired,
  statusesItem,
  statusesKey,
  statusesOf,
  SUBSCRIPTION_PREFIX,
  subscriptionIndexItem,
  subscriptionIndexKey,
  subscriptionItem,
  subscriptionKey,
  subscriptionOf,
  type RealtimeItem,
} from './realtime-items.js';

export interface DynamoSpendingLimitStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default Date.now */
  readonly now?: () => number;
}

export class DynamoSpendingLimitStore implements SpendingLimitStore {
  private readonly now: () => number;

  constructor(private readonly options: DynamoSpendingLimitStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async getSubscription(id: string): Promise<SpendingLimitSubscription | undefined> {
    const index = await this.get(subscriptionIndexKey(id));
    if (index === undefined || typeof index.s !== 'string') return undefined;
    const item = await this.get(subscriptionKey(index.s, id));
    if (item === undefined) return undefined;
    const subscription = subscriptionOf(item);
    return isExpired(subscription, this.now()) ? undefined : subscription;
  }

  async putSubscription(subscription: SpendingLimitSubscription): Promise<void> {
    // The subscriber's item first: a crash before the index leaves a subscription notified but not yet
    // addressable, never an index pointing at nothing.
    await this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item: subscriptionItem(subscription) }));
    await this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item: subscriptionIndexItem(subscription) }));
  }

  async deleteSubscription(id: string): Promise<SpendingLimitSubscription | undefined> {
    const index = await this.get(subscriptionIndexKey(id));
    if (index === undefined || typeof index.s !== 'string') return undefined;
    const item = await this.get(subscriptionKey(index.s, id));
    await this.options.client.send(new DeleteCommand({ TableName: this.options.tableName, Key: subscriptionIndexKey(id) }));
    await this.options.client.send(new DeleteCommand({ TableName: this.options.tableName, Key: subscriptionKey(index.s, id) }));
    return item === undefined ? undefined : subscriptionOf(item);
  }

  async subscriptionsOf(subscriberId: string): Promise<SpendingLimitSubscription[]> {
    const out: SpendingLimitSubscription[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :n)',
          ExpressionAttributeValues: { ':pk': `U#${subscriberId}`, ':n': SUBSCRIPTION_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(subscriptionOf(item as RealtimeItem));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    const nowMs = this.now();
    return out.filter((s) => !isExpired(s, nowMs));
  }

  async getStatuses(subscriberId: string): Promise<StoredCounterStatuses> {
    const item = await this.get(statusesKey(subscriberId));
    return item === undefined ? { statuses: {}, version: 0 } : { statuses: statusesOf(item), version: Number(item.v) };
  }

  async putStatuses(subscriberId: string, statuses: Readonly<Record<string, StoredCounterStatus>>, expectedVersion: number): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: statusesItem(subscriberId, statuses, expectedVersion + 1),
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ':v': expectedVersion },
        }),
      );
      return true;
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  private async get(key: { pk: string; sk: string }): Promise<RealtimeItem | undefined> {
    const out = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }));
    return out.Item as RealtimeItem | undefined;
  }
}
