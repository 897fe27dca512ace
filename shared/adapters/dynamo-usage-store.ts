/**
 * The usage table in DynamoDB (keys in tables.ts, items in dynamo-usage-store-items.ts). Each method is
 * one single-item conditional write or one strongly consistent BatchGetItem: no transactions.
 * Write units come from ReturnConsumedCapacity (AWS and dynalite both return it for successful writes);
 * a refused conditional write still costs units in AWS, so those are computed from the item size.
 */
import { BatchGetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type {
  ClaimOutcome,
  CountersWrite,
  EventClaim,
  StateWrite,
  StoredCounters,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../ports/usage-store.js';
import { isConditionalCheckFailed } from './dynamo-client.js';
import {
  STATE_SK,
  claimItem,
  countersItem,
  countersSk,
  itemSize,
  stateAttributes,
  storedCountersOf,
  storedStateOf,
  writeUnitsOf,
  type Item,
} from './dynamo-usage-store-items.js';

const MAX_UNPROCESSED_ROUNDS = 8;

export class DynamoUsageStore implements UsageStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.documents = options.client;
    this.tableName = options.tableName;
  }

  async load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage> {
    let keys: Array<Record<string, string>> = [{ pk: subscriberId, sk: STATE_SK }];
    for (const period of new Set(periods)) keys.push({ pk: subscriberId, sk: countersSk(period) });
    const items: Item[] = [];
    // BatchGetItem may leave keys unprocessed under throttling: ask again with a short backoff.
    for (let round = 0; keys.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error(`usage table: keys still unprocessed after ${round} rounds`);
      if (round > 0) await sleep(20 * 2 ** round);
      const out = await this.documents.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      items.push(...((out.Responses?.[this.tableName] ?? []) as Item[]));
      keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, string>>;
    }
    const counters = new Map<string, StoredCounters>();
    let state: Item | undefined;
    for (const item of items) {
      if (item.sk === STATE_SK) state = item;
      else {
        const stored = storedCountersOf(item);
        counters.set(stored.counters.period, stored);
      }
    }
    return { counters, state: storedStateOf(subscriberId, state) };
  }

  async claim(claim: EventClaim): Promise<ClaimOutcome> {
    const item = claimItem(claim);
    try {
      const out = await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR claimedBy = :me',
          ExpressionAttributeValues: { ':me': claim.claimedBy },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return { claimed: true, writeUnits: unitsOf(out.ConsumedCapacity, itemSize(item)) };
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return { claimed: false, writeUnits: writeUnitsOf(itemSize(item)) };
      throw e;
    }
  }

  async saveCounters(write: CountersWrite): Promise<WriteOutcome> {
    const item = countersItem({ ...write, version: write.expectedVersion + 1 });
    const first = write.expectedVersion === 0;
    try {
      const out = await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: first ? 'attribute_not_exists(pk)' : 'v = :v',
          ExpressionAttributeValues: first ? undefined : { ':v': write.expectedVersion },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return { saved: true, writeUnits: unitsOf(out.ConsumedCapacity, itemSize(item)) };
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return { saved: false, writeUnits: writeUnitsOf(itemSize(item)) };
      throw e;
    }
  }

  async saveState(write: StateWrite): Promise<WriteOutcome> {
    const { set, remove } = stateAttributes({ ...write, version: write.expectedVersion + 1 });
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(set).map(([name, value]) => {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      return `#${name} = :${name}`;
    });
    for (const name of remove) names[`#${name}`] = name;
    let condition = 'attribute_not_exists(#v)';
    if (write.expectedVersion > 0) {
      condition = '#v = :expected';
      values[':expected'] = write.expectedVersion;
    }
    // UpdateItem, not PutItem: only the attributes ingest owns are touched.
    const expression = `SET ${sets.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : ''}`;
    const size = itemSize({ pk: write.subscriberId, sk: STATE_SK, ...set });
    try {
      const out = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: write.subscriberId, sk: STATE_SK },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return { saved: true, writeUnits: unitsOf(out.ConsumedCapacity, size) };
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return { saved: false, writeUnits: writeUnitsOf(size) };
      throw e;
    }
  }
}

function unitsOf(consumed: ConsumedCapacity | undefined, size: number): number {
  return consumed?.CapacityUnits ?? writeUnitsOf(size);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
