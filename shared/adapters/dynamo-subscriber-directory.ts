/**
 * Finds subscribers through the profiles table's indexes (shared/adapters/tables.ts): by MSISDN (`byMsisdn`:
 * an inbound SMS carries only the sender's number; a support agent searches by number) and by pseudonym
 * (`byPseudonym`: operations going back from a log line or an alert to the subscriber).
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PSEUDONYM_ATTRIBUTE, REVISION_ATTRIBUTE } from './dynamo-profile-store.js';
import { TABLES } from './tables.js';
import type { SubscriberProfile } from '../domain/model.js';
import { parseSubscriberProfile } from '../domain/subscriber-schema.js';
import type { SubscriberDirectory } from '../ports/self-care.js';

const BY_MSISDN = 'byMsisdn';
const BY_PSEUDONYM = 'byPseudonym';
const { partitionKey: SUBSCRIBER_KEY } = TABLES.profiles;
const MSISDN_KEY = TABLES.profiles.indexes[BY_MSISDN].partitionKey;
const PSEUDONYM_KEY = TABLES.profiles.indexes[BY_PSEUDONYM].partitionKey;

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
        IndexName: BY_MSISDN,
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

  async listByMsisdn(msisdn: string, limit: number): Promise<SubscriberProfile[]> {
    const out = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_MSISDN,
        KeyConditionExpression: '#m = :m',
        ExpressionAttributeNames: { '#m': MSISDN_KEY },
        ExpressionAttributeValues: { ':m': msisdn },
        Limit: limit,
      }),
    );
    const profiles: SubscriberProfile[] = [];
    for (const item of out.Items ?? []) {
      const { [REVISION_ATTRIBUTE]: _revision, [PSEUDONYM_ATTRIBUTE]: _pseudonym, ...document } = item;
      const parsed = parseSubscriberProfile(document);
      // An item that breaks the contract is reported by GET of its id; a search shows the valid ones.
      if (parsed.ok) profiles.push(parsed.value);
    }
    return profiles.sort((a, b) => a.subscriberId.localeCompare(b.subscriberId));
  }

  async findByPseudonym(pseudonym: string): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_PSEUDONYM,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': PSEUDONYM_KEY },
          ExpressionAttributeValues: { ':p': pseudonym },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const id = item[SUBSCRIBER_KEY];
        if (typeof id === 'string') ids.push(id);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return ids.sort();
  }
}
