/**
 * The line's bars in the usage table: one item per subscriber (sk = `LINE`), apart from the counters and
 * STATE that ingest writes, so that neither can clobber the other. Attributes:
 * - `barDataRoaming` / `barDataOverage` (the cap facts' bar attributes): the bar in force, with its identity;
 * - `barDataRoamingPending` / `barDataOveragePending`: a command written before it is sent;
 * - `lk` / `lu`: the lease owner and until when (epoch ms) it holds;
 * - `bs` / `bd`: the keys of the sparse `barsDue` index (shard, earliest `until`), present only while a bar is.
 */
import { createHash } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CAP_LIST, CAPS, type LineBars } from '../domain/caps.js';
import type { Bar, SpendBucketName } from '../domain/model.js';
import { CARRIER_COMMANDS, SPEND_BUCKETS } from '../domain/model.js';
import type { BarStore, LineState, OverdueLine, PendingCommand } from '../ports/bar-store.js';
import { isConditionalCheckFailed } from './dynamo-client.js';
import { TABLES } from './tables.js';

const { partitionKey: PK, sortKey: SK } = TABLES.usage;
export const LINE_SK = 'LINE';
const DUE_INDEX = 'barsDue';
/** Partitions of the index: the period-start lifts of a large base spread over them. */
const DUE_SHARDS = 16;

const pendingAttribute = (bucket: SpendBucketName): string => `${CAPS[bucket].barAttribute}Pending`;

/** Every attribute this store writes: what the IAM policy of its writers is limited to. */
export const LINE_ATTRIBUTES: readonly string[] = [
  ...CAP_LIST.map((cap) => cap.barAttribute),
  ...SPEND_BUCKETS.map(pendingAttribute),
  'lk',
  'lu',
  'bs',
  'bd',
];

/** The index shard of a subscriber (stable, spread evenly). */
export function dueShardOf(subscriberId: string): number {
  return createHash('sha256').update(subscriberId).digest().readUInt32BE(0) % DUE_SHARDS;
}

function barOf(value: unknown): Bar | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { id, bucket, period, placedAt, until, reason } = v;
  if (typeof id !== 'string' || typeof period !== 'string' || typeof placedAt !== 'string' || typeof until !== 'string') return undefined;
  if (bucket !== 'roaming' && bucket !== 'overage') return undefined;
  return { id, bucket, period, placedAt, until, reason: typeof reason === 'string' ? reason : '' };
}

function pendingOf(value: unknown): PendingCommand | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const bar = barOf(v.bar);
  const command = CARRIER_COMMANDS.find((c) => c === v.command);
  if (bar === undefined || command === undefined) return undefined;
  return { command, bar, reason: typeof v.reason === 'string' ? v.reason : bar.reason };
}

function stateOf(item: Record<string, unknown> | undefined): LineState {
  const bars: { [B in SpendBucketName]?: Bar } = {};
  const pending: { [B in SpendBucketName]?: PendingCommand } = {};
  for (const cap of CAP_LIST) {
    const bar = barOf(item?.[cap.barAttribute]);
    if (bar !== undefined) bars[cap.bucket] = bar;
    const p = pendingOf(item?.[pendingAttribute(cap.bucket)]);
    if (p !== undefined) pending[cap.bucket] = p;
  }
  return { bars, pending };
}

export interface DynamoBarStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** The usage table. */
  readonly tableName: string;
}

export class DynamoBarStore implements BarStore {
  readonly shards = DUE_SHARDS;
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoBarStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  private key(subscriberId: string): Record<string, string> {
    return { [PK]: subscriberId, [SK]: LINE_SK };
  }

  async get(subscriberId: string): Promise<LineState> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(subscriberId), ConsistentRead: true }));
    return stateOf(Item);
  }

  async acquire(subscriberId: string, owner: string, nowMs: number, untilMs: number): Promise<LineState | undefined> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(subscriberId),
          UpdateExpression: 'SET lk = :owner, lu = :until',
          ConditionExpression: 'attribute_not_exists(lk) OR lk = :owner OR lu < :now',
          ExpressionAttributeValues: { ':owner': owner, ':until': untilMs, ':now': nowMs },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stateOf(out.Attributes);
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw e;
    }
  }

  async markPending(subscriberId: string, owner: string, bucket: SpendBucketName, pending: PendingCommand): Promise<boolean> {
    return this.whileHeld(subscriberId, owner, 'SET #p = :p', { '#p': pendingAttribute(bucket) }, { ':p': { ...pending, bar: { ...pending.bar } } });
  }

  async commit(subscriberId: string, owner: string, bars: LineBars): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes = ['lk', 'lu'];
    for (const cap of CAP_LIST) {
      names[`#${cap.bucket}`] = cap.barAttribute;
      names[`#${cap.bucket}Pending`] = pendingAttribute(cap.bucket);
      removes.push(`#${cap.bucket}Pending`);
      const bar = bars[cap.bucket];
      if (bar === undefined) removes.push(`#${cap.bucket}`);
      else {
        values[`:${cap.bucket}`] = { ...bar };
        sets.push(`#${cap.bucket} = :${cap.bucket}`);
      }
    }
    const due = Object.values(bars).map((b) => b.until).sort()[0];
    if (due === undefined) removes.push('bs', 'bd');
    else {
      values[':bs'] = String(dueShardOf(subscriberId));
      values[':bd'] = due;
      sets.push('bs = :bs', 'bd = :bd');
    }
    const expression = `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}REMOVE ${removes.join(', ')}`;
    return this.whileHeld(subscriberId, owner, expression, names, values);
  }

  async release(subscriberId: string, owner: string): Promise<void> {
    await this.whileHeld(subscriberId, owner, 'REMOVE lk, lu', {}, {});
  }

  async overdue(shard: number, iso: string, limit: number): Promise<OverdueLine[]> {
    const found: OverdueLine[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'bs = :bs AND bd <= :due',
          ExpressionAttributeValues: { ':bs': String(shard), ':due': iso },
          Limit: limit - found.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        if (typeof item[PK] === 'string' && typeof item.bd === 'string') found.push({ subscriberId: item[PK], due: item.bd });
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined && found.length < limit);
    return found;
  }

  /** An update that applies only while `owner` holds the lease; false when it does not. */
  private async whileHeld(subscriberId: string, owner: string, expression: string, names: Record<string, string>, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(subscriberId),
          UpdateExpression: expression,
          ConditionExpression: 'lk = :owner',
          ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
          ExpressionAttributeValues: { ...values, ':owner': owner },
        }),
      );
      return true;
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }
}
