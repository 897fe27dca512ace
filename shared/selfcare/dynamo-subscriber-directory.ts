/**
 * Finds a subscriber by MSISDN through the profiles table's `byMsisdn` index (shared/adapters/tables.ts):
 * an inbound SMS carries only the sender's number.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../adapters/tables.js';
import type { SubscriberDirectory } from './ports.js';

const INDEX = 'byMsisdn';
const { partitionKey: SUBSCRIBER_KEY } = TABLES.profiles;
const MSISDN_KEY = TABLES.profiles.indexes[INDEX].partitionKey;

export class DynamoSubscriberDirectory implements SubscriberDirectory {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.documents = options.client;
    this.tableName = options.tableName;
  }

  async findByMsisdn(msisdn: string): Promise<string | undefined> {
    const out = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX,
        KeyConditionExpression: '#m = :m',
        ExpressionAttributeNames: { '#m': MSISDN_KEY, '#s': SUBSCRIBER_KEY },
        ExpressionAttributeValues: { ':m': msisdn },
        ProjectionExpression: '#s',
        // Two profiles may share a number for a moment (a number moved to a new line): the index cannot
        // say which is current, so an ambiguous number is treated as unknown rather than guessed.
        Limit: 2,
      }),
    );
    const items = out.Items ?? [];
    if (items.length !== 1) return undefined;
    const id = items[0]?.[SUBSCRIBER_KEY];
    return typeof id === 'string' ? id : undefined;
  }
}
