import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BarInForce, BarName, BarState, BarStore } from '../ports/bar-store.js';
import { TABLES } from './tables.js';

const { partitionKey: PK, sortKey: SK } = TABLES.usage;
const STATE_SK = 'STATE';

const ATTRIBUTE: Readonly<Record<BarName, string>> = { dataRoaming: 'barDataRoaming', dataOverage: 'barDataOverage' };

function barOf(value: unknown): BarInForce | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { period, at, reason } = value as Record<string, unknown>;
  if (typeof period !== 'string' || typeof at !== 'string') return undefined;
  return { period, at, reason: typeof reason === 'string' ? reason : '' };
}

export interface DynamoBarStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** The usage table (bars live on the subscriber's STATE item). */
  readonly tableName: string;
}

/**
 * Bars in force as attributes of the usage table's STATE item. Updates touch only the bar attributes
 * (SET / REMOVE), never the whole item, so they cannot clobber what ingest keeps there (servingMcc).
 */
export class DynamoBarStore implements BarStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoBarStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async get(subscriberId: string): Promise<BarState> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: subscriberId, [SK]: STATE_SK },
        ProjectionExpression: '#r, #o',
        ExpressionAttributeNames: { '#r': ATTRIBUTE.dataRoaming, '#o': ATTRIBUTE.dataOverage },
        ConsistentRead: true,
      }),
    );
    const dataRoaming = barOf(Item?.[ATTRIBUTE.dataRoaming]);
    const dataOverage = barOf(Item?.[ATTRIBUTE.dataOverage]);
    return { ...(dataRoaming && { dataRoaming }), ...(dataOverage && { dataOverage }) };
  }

  async place(subscriberId: string, bar: BarName, value: BarInForce): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: subscriberId, [SK]: STATE_SK },
        UpdateExpression: 'SET #b = :v',
        ExpressionAttributeNames: { '#b': ATTRIBUTE[bar] },
        ExpressionAttributeValues: { ':v': { period: value.period, at: value.at, reason: value.reason } },
      }),
    );
  }

  async lift(subscriberId: string, bar: BarName): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: subscriberId, [SK]: STATE_SK },
          UpdateExpression: 'REMOVE #b',
          // Without it, REMOVE on a missing item would create an empty STATE item.
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#b': ATTRIBUTE[bar], '#pk': PK },
        }),
      );
    } catch (e: unknown) {
      if (e instanceof ConditionalCheckFailedException || (e instanceof Error && e.name === 'ConditionalCheckFailedException')) return;
      throw e;
    }
  }
}
