/**
 * The usage table in DynamoDB (keys in tables.ts, items in dynamo-usage-store-items.ts). Each method is
 * one single-item conditional write or one strongly consistent BatchGetItem: no transactions.
 * Write units come from ReturnConsumedCapacity (AWS and dynalite both return it for successful writes);
 * a refused conditional write still costs units in AWS, so those are computed from the item size.
 */
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type {
  ClaimOutcome,
  CountersWrite,
  EventClaim,
  FailureLedger,
  HoldOutcome,
  OutboxClear,
  RedriveHold,
  StateWrite,
  StoredClaim,
  StoredCounters,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../ports/usage-store.js';
import { isConditionalCheckFailed } from './dynamo-client.js';
import {
  STATE_SK,
  claimItem,
  claimSk,
  countersItem,
  countersSk,
  failureSk,
  itemSize,
  stateAttributes,
  storedCountersOf,
  storedStateOf,
  writeUnitsOf,
  type Item,
} from './dynamo-usage-store-items.js';

const MAX_UNPROCESSED_ROUNDS = 8;

export class DynamoUsageStore implements UsageStore, FailureLedger {
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
    const values: Record<string, unknown> = { ':me': claim.claimedBy, ':exp': claim.expiresAt, ':pd': claim.period };
    const holders = ['claimedBy = :me'];
    if (claim.claimedByLegacy !== undefined) {
      values[':legacy'] = claim.claimedByLegacy;
      holders.push('claimedBy = :legacy');
    }
    (claim.takesOver ?? []).forEach((hold, i) => {
      values[`:hold${i}`] = hold;
      holders.push(`claimedBy = :hold${i}`);
    });
    try {
      // An update, not a put: a period recorded by an earlier claim of the same record is kept.
      const out = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: claim.subscriberId, sk: claimSk(claim.eventKey) },
          UpdateExpression: 'SET claimedBy = :me, expiresAt = :exp, pd = if_not_exists(pd, :pd)',
          ConditionExpression: `attribute_not_exists(pk) OR ${holders.join(' OR ')}`,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      const recorded = out.Attributes?.pd;
      return {
        claimed: true,
        writeUnits: unitsOf(out.ConsumedCapacity, itemSize(item)),
        ...(typeof recorded === 'string' && { period: recorded }),
      };
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return { claimed: false, writeUnits: writeUnitsOf(itemSize(item)) };
      throw e;
    }
  }

  async clearOutbox(clear: OutboxClear): Promise<WriteOutcome> {
    if (clear.crossingIds.length === 0) return { saved: true, writeUnits: 0 };
    const names: Record<string, string> = { '#p': 'p', '#v': 'v' };
    const paths = clear.crossingIds.map((id, i) => {
      names[`#c${i}`] = id;
      return `#p.#c${i}`;
    });
    const conditions = paths.map((path) => `attribute_exists(${path})`).join(' OR ');
    const sk = clear.period === undefined ? STATE_SK : countersSk(clear.period);
    try {
      const out = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: clear.subscriberId, sk },
          UpdateExpression: `REMOVE ${paths.join(', ')} ADD #v :one`,
          ConditionExpression: conditions,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':one': 1 },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return { saved: true, writeUnits: out.ConsumedCapacity?.CapacityUnits ?? 1 };
    } catch (e: unknown) {
      // None of them is there any more (another writer cleared them first): nothing to do.
      if (isConditionalCheckFailed(e)) return { saved: false, writeUnits: 1 };
      throw e;
    }
  }

  async readClaim(subscriberId: string, eventKey: string): Promise<StoredClaim | undefined> {
    const out = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: subscriberId, sk: claimSk(eventKey) }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined || typeof item.claimedBy !== 'string') return undefined;
    return { claimedBy: item.claimedBy, ...(typeof item.pd === 'string' && { period: item.pd }) };
  }

  async holdForRedrive(hold: RedriveHold): Promise<HoldOutcome> {
    const values: Record<string, unknown> = { ':me': hold.claimedBy, ':hold': hold.marker, ':exp': hold.expiresAt };
    let condition = 'attribute_not_exists(pk) OR claimedBy = :me OR claimedBy = :hold';
    if (hold.claimedByLegacy !== undefined) {
      values[':legacy'] = hold.claimedByLegacy;
      condition += ' OR claimedBy = :legacy';
    }
    const size = itemSize(claimItem({ subscriberId: hold.subscriberId, eventKey: hold.eventKey, claimedBy: hold.marker, expiresAt: hold.expiresAt }));
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: hold.subscriberId, sk: claimSk(hold.eventKey) },
          // The hold outlives the quarantine's retention: the later expiry wins.
          UpdateExpression: 'SET claimedBy = :hold, expiresAt = if_not_exists(expiresAt, :exp)',
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return { held: true, writeUnits: writeUnitsOf(size) };
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return { held: false, writeUnits: writeUnitsOf(size) };
      throw e;
    }
  }

  async countFailure(subscriberId: string, position: string, expiresAt: number): Promise<number> {
    const out = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: subscriberId, sk: failureSk(position) },
        UpdateExpression: 'ADD n :one SET expiresAt = :exp',
        ExpressionAttributeValues: { ':one': 1, ':exp': expiresAt },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = out.Attributes?.n;
    return typeof count === 'number' ? count : 1;
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
