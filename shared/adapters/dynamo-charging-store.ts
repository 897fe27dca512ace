/**
 * Charging sessions and budgets in the realtime table (items in realtime-items.ts). Each write is one
 * conditional PutItem on the version read: no transactions.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Budget } from '../domain/quota.js';
import { emptyBudget } from '../domain/quota.js';
import type { ChargingSession, ChargingStore, StoredBudget } from '../ports/charging-store.js';
import { isConditionalCheckFailed } from './dynamo-client.js';
import { budgetItem, budgetKey, budgetOf, sessionItem, sessionKey, sessionOf, type RealtimeItem } from './realtime-items.js';

export interface DynamoChargingStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default Date.now */
  readonly now?: () => number;
}

export class DynamoChargingStore implements ChargingStore {
  private readonly now: () => number;

  constructor(private readonly options: DynamoChargingStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async getSession(ref: string): Promise<ChargingSession | undefined> {
    const out = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: sessionKey(ref), ConsistentRead: true }));
    return out.Item === undefined ? undefined : sessionOf(out.Item as RealtimeItem);
  }

  async putSession(session: ChargingSession, expectedVersion: number): Promise<boolean> {
    return this.put(sessionItem(session, expectedVersion + 1, Math.floor(this.now() / 1000)), expectedVersion);
  }

  async getBudget(subscriberId: string, period: string): Promise<StoredBudget> {
    const out = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: budgetKey(subscriberId, period), ConsistentRead: true }));
    if (out.Item === undefined) return { budget: emptyBudget(subscriberId, period), version: 0 };
    return { budget: budgetOf(subscriberId, period, out.Item as RealtimeItem), version: Number(out.Item.v) };
  }

  async putBudget(budget: Budget, expectedVersion: number): Promise<boolean> {
    return this.put(budgetItem(budget, expectedVersion + 1), expectedVersion);
  }

  private async put(item: RealtimeItem, expectedVersion: number): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
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
}
