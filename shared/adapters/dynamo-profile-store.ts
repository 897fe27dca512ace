/**
 * Subscriber profiles in DynamoDB: one item per subscriber, the subscriber.v1 document as attributes
 * (`msisdn` feeds the byMsisdn index). Items are validated on the way out, so a hand-edited item that
 * breaks the contract is reported with the field at fault instead of being rated on wrong data.
 */
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SubscriberProfile } from '../domain/model.js';
import { parseSubscriberProfile } from '../domain/subscriber-schema.js';
import type { ProfileStore } from '../ports/profile-store.js';

/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 8;

export class DynamoProfileStore implements ProfileStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.documents = options.client;
    this.tableName = options.tableName;
  }

  async get(subscriberId: string): Promise<SubscriberProfile | undefined> {
    const out = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { subscriberId } }));
    return out.Item === undefined ? undefined : profileOf(out.Item);
  }

  async getMany(subscriberIds: readonly string[]): Promise<ReadonlyMap<string, SubscriberProfile>> {
    const found = new Map<string, SubscriberProfile>();
    const unique = [...new Set(subscriberIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Array<Record<string, unknown>> = unique.slice(i, i + BATCH_GET_LIMIT).map((subscriberId) => ({ subscriberId }));
      for (let round = 0; keys.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error(`profiles table: keys still unprocessed after ${round} rounds`);
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
        const out = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const profile = profileOf(item);
          found.set(profile.subscriberId, profile);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  async put(profile: SubscriberProfile): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: { ...profile } }));
  }

  async delete(subscriberId: string): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { subscriberId } }));
  }
}

function profileOf(item: Record<string, unknown>): SubscriberProfile {
  const parsed = parseSubscriberProfile(item);
  if (!parsed.ok) throw new Error(`profiles table: stored profile invalid: ${parsed.reason}`);
  return parsed.value;
}
