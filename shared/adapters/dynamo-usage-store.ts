/**
 * The usage table in DynamoDB (keys in tables.ts, items in dynamo-usage-store-items.ts and claim-groups.ts).
 * Each write is one conditional item write (a claims group that outgrows one item also puts archives
 * that nothing reads until its head lists them); each read is strongly consistent: no transactions.
 * Events older than the upgrade from the first release also read that release's per-key claim items
 * (`PerKeyClaim`), read-only, with the group's archives.
 * Write units come from ReturnConsumedCapacity (AWS and dynalite both return it for successful writes);
 * a refused conditional write still costs units in AWS, so those are computed from the item size.
 */
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type {
  ClaimsOutcome,
  CountersWrite,
  EventClaims,
  FailureLedger,
  HoldOutcome,
  OutboxClear,
  PerKeyClaim,
  RedriveHold,
  StateWrite,
  StoredClaim,
  StoredCounters,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../ports/usage-store.js';
import {
  archiveIdsOf,
  claimArchiveSk,
  claimGroupOf,
  claimGroupSk,
  decideClaims,
  decideHold,
  perKeyHolderOf,
  planGroupWrite,
  type ClaimGroupRead,
} from './claim-groups.js';
import { isConditionalCheckFailed } from './dynamo-client.js';
import {
  STATE_SK,
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
const MAX_HOLD_ATTEMPTS = 8;
/** Keys one BatchGetItem may ask for. */
const BATCH_GET_KEYS = 100;

/** A key whose event is older than the upgrade from the first release, and where that release kept its claim. */
interface PerKeyLookup {
  readonly eventKey: string;
  readonly claim: PerKeyClaim;
}

/** A group as read, with the holders the first release's per-key items give the keys the group does not hold. */
interface GroupRead {
  readonly read: ClaimGroupRead;
  readonly perKey: ReadonlyMap<string, StoredClaim>;
}

export class DynamoUsageStore implements UsageStore, FailureLedger {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;

  /** `now`: the wall clock (epoch ms) that says whether a per-key claim item has expired, as DynamoDB's TTL does. */
  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string; readonly now?: () => number }) {
    this.documents = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  async load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage> {
    const keys: Array<Record<string, string>> = [{ pk: subscriberId, sk: STATE_SK }];
    for (const period of new Set(periods)) keys.push({ pk: subscriberId, sk: countersSk(period) });
    const items = await this.batchGet(keys);
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

  async claim(claims: EventClaims): Promise<ClaimsOutcome> {
    const perKey: PerKeyLookup[] = [];
    for (const key of claims.keys) if (key.perKeyClaim !== undefined) perKey.push({ eventKey: key.eventKey, claim: key.perKeyClaim });
    const { read, perKey: holders } = await this.readGroup(claims.subscriberId, claims.group, perKey);
    const decision = decideClaims(read, claims.keys, holders);
    if (!decision.write) return { saved: true, results: decision.results, writeUnits: 0 };
    const written = await this.writeGroup(claims.subscriberId, claims.group, read, decision.changes, decision.expiresAt);
    return written.saved ? { saved: true, results: decision.results, writeUnits: written.writeUnits } : { saved: false, results: [], writeUnits: written.writeUnits };
  }

  /**
   * Strongly consistent: the head, then in one BatchGetItem the archives it lists and the first release's
   * per-key items of the keys the head does not hold (none for events after the upgrade from it).
   */
  private async readGroup(subscriberId: string, group: string, perKey: readonly PerKeyLookup[] = []): Promise<GroupRead> {
    const out = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: subscriberId, sk: claimGroupSk(group) }, ConsistentRead: true }));
    const head = out.Item as Item | undefined;
    const archiveSks = archiveIdsOf(head).map((id) => claimArchiveSk(group, id));
    const inHead = perKey.length > 0 && head !== undefined ? claimGroupOf(head, new Map()).head : undefined;
    const perKeySks = new Set(perKey.filter((p) => inHead?.has(p.eventKey) !== true).map((p) => p.claim.sk));
    const archives = new Map<string, Item>();
    const perKeyItems = new Map<string, Item>();
    const sks = [...archiveSks, ...perKeySks];
    if (sks.length > 0) {
      for (const item of await this.batchGet(sks.map((sk) => ({ pk: subscriberId, sk })))) {
        const sk = String(item.sk);
        if (perKeySks.has(sk)) perKeyItems.set(sk, item);
        else archives.set(sk.slice(claimGroupSk(group).length + 1), item);
      }
    }
    const read = claimGroupOf(head, archives);
    const holders = new Map<string, StoredClaim>();
    const nowSeconds = Math.floor(this.now() / 1000);
    for (const { eventKey, claim } of perKey) {
      if (read.claims.has(eventKey)) continue;
      const holder = perKeyHolderOf(perKeyItems.get(claim.sk), claim, nowSeconds);
      if (holder !== undefined) holders.set(eventKey, holder);
    }
    return { read, perKey: holders };
  }

  /** New archives first (each one's content is fixed by its id), then the head under its version. */
  private async writeGroup(subscriberId: string, group: string, read: ClaimGroupRead, changes: ReadonlyMap<string, StoredClaim>, expiresAt: number): Promise<WriteOutcome> {
    const plan = planGroupWrite(subscriberId, group, read, changes, expiresAt);
    let writeUnits = 0;
    for (const archive of plan.archives) {
      const out = await this.documents.send(new PutCommand({ TableName: this.tableName, Item: archive, ReturnConsumedCapacity: 'TOTAL' }));
      writeUnits += unitsOf(out.ConsumedCapacity, itemSize(archive));
    }
    const first = read.version === 0;
    try {
      const out = await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: plan.head,
          ConditionExpression: first ? 'attribute_not_exists(pk)' : 'v = :v',
          ExpressionAttributeValues: first ? undefined : { ':v': read.version },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return { saved: true, writeUnits: writeUnits + unitsOf(out.ConsumedCapacity, Math.max(itemSize(plan.head), read.headBytes)) };
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return { saved: false, writeUnits: writeUnits + writeUnitsOf(itemSize(plan.head), read.headBytes) };
      throw e;
    }
  }

  private async batchGet(keys: Array<Record<string, string>>): Promise<Item[]> {
    if (keys.length > BATCH_GET_KEYS) {
      const items: Item[] = [];
      for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) items.push(...(await this.batchGet(keys.slice(i, i + BATCH_GET_KEYS))));
      return items;
    }
    const items: Item[] = [];
    // BatchGetItem may leave keys unprocessed under throttling: ask again with a short backoff.
    for (let round = 0; keys.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error(`usage table: keys still unprocessed after ${round} rounds`);
      if (round > 0) await sleep(20 * 2 ** round);
      const out = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      items.push(...((out.Responses?.[this.tableName] ?? []) as Item[]));
      keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, string>>;
    }
    return items;
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

  async readClaim(subscriberId: string, group: string, eventKey: string, perKeyClaim?: PerKeyClaim): Promise<StoredClaim | undefined> {
    const { read, perKey } = await this.readGroup(subscriberId, group, perKeyClaim === undefined ? [] : [{ eventKey, claim: perKeyClaim }]);
    return read.claims.get(eventKey) ?? perKey.get(eventKey);
  }

  async holdForRedrive(hold: RedriveHold): Promise<HoldOutcome> {
    let writeUnits = 0;
    // Rare (the failure path): a group that keeps changing under it is read again a few times.
    for (let attempt = 1; ; attempt++) {
      const { read, perKey } = await this.readGroup(hold.subscriberId, hold.group, hold.perKeyClaim === undefined ? [] : [{ eventKey: hold.eventKey, claim: hold.perKeyClaim }]);
      const decision = decideHold(read, hold, perKey);
      if (!decision.held) return { held: false, writeUnits };
      const written = await this.writeGroup(hold.subscriberId, hold.group, read, decision.changes, decision.expiresAt);
      writeUnits += written.writeUnits;
      if (written.saved) return { held: true, writeUnits };
      if (attempt >= MAX_HOLD_ATTEMPTS) throw new Error(`usage table: claims group still changing after ${attempt} attempts`);
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
