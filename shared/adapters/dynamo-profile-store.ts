/**
 * Subscriber profiles in DynamoDB: one item per subscriber, the subscriber.v1 document as attributes
 * (`msisdn` feeds the byMsisdn index), its revision and its pseudonym (`pn`, feeding the byPseudonym index).
 * Items are validated on the way out, so a hand-edited item that breaks the contract is reported with the
 * field at fault instead of being rated on wrong data.
 */
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SubscriberProfile } from '../domain/model.js';
import { parseSubscriberProfile } from '../domain/subscriber-schema.js';
import { RevisionConflictError, type ProfileLookup, type ProfileStore, type VersionedProfile } from '../ports/profile-store.js';
import type { ParseResult } from '../domain/validation.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import { isConditionalCheckFailed } from './dynamo-client.js';

/** The revision attribute kept beside the subscriber.v1 document (not part of it). */
export const REVISION_ATTRIBUTE = 'rev';

/**
 * The subscriber's pseudonym, kept beside the document for the byPseudonym index: written with every write
 * of the profile (a profile written before pseudonyms existed gets it at its next change).
 */
export const PSEUDONYM_ATTRIBUTE = 'pn';

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
    return (await this.getVersioned(subscriberId))?.profile;
  }

  async getVersioned(subscriberId: string): Promise<VersionedProfile | undefined> {
    const out = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { subscriberId }, ConsistentRead: true }));
    if (out.Item === undefined) return undefined;
    const revision = out.Item[REVISION_ATTRIBUTE];
    return { profile: profileOf(out.Item), revision: typeof revision === 'number' ? revision : 0 };
  }

  async getMany(subscriberIds: readonly string[]): Promise<ProfileLookup> {
    const profiles = new Map<string, SubscriberProfile>();
    const unusable = new Map<string, string>();
    const unique = [...new Set(subscriberIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Array<Record<string, unknown>> = unique.slice(i, i + BATCH_GET_LIMIT).map((subscriberId) => ({ subscriberId }));
      for (let round = 0; keys.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error(`profiles table: keys still unprocessed after ${round} rounds`);
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
        const out = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          // One broken item must not hide the others: it is reported with its reason.
          const parsed = parsedProfileOf(item);
          if (parsed.ok) profiles.set(parsed.value.subscriberId, parsed.value);
          else if (typeof item.subscriberId === 'string') unusable.set(item.subscriberId, `profile: stored profile invalid: ${parsed.reason}`);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return { profiles, unusable };
  }

  /** The stored revision alone (0: none): a stored profile that no longer validates can still be replaced. */
  private async storedRevision(subscriberId: string): Promise<number> {
    const out = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { subscriberId },
        ConsistentRead: true,
        ProjectionExpression: '#rev',
        ExpressionAttributeNames: { '#rev': REVISION_ATTRIBUTE },
      }),
    );
    const revision = out.Item?.[REVISION_ATTRIBUTE];
    return typeof revision === 'number' ? revision : 0;
  }

  async put(profile: SubscriberProfile, expectedRevision?: number): Promise<number> {
    const expected = expectedRevision ?? (await this.storedRevision(profile.subscriberId));
    const exists = expected > 0;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...profile, [REVISION_ATTRIBUTE]: expected + 1, [PSEUDONYM_ATTRIBUTE]: pseudonymOf(profile.subscriberId) },
          // A profile written before revisions existed has none: it counts as revision 0.
          ConditionExpression: exists ? '#rev = :rev' : 'attribute_not_exists(#rev)',
          ExpressionAttributeNames: { '#rev': REVISION_ATTRIBUTE },
          ...(exists && { ExpressionAttributeValues: { ':rev': expected } }),
        }),
      );
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) throw new RevisionConflictError('the profile changed since it was read');
      throw e;
    }
    return expected + 1;
  }

  async delete(subscriberId: string, expectedRevision?: number): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { subscriberId },
          ...(expectedRevision !== undefined && {
            ConditionExpression: expectedRevision > 0 ? '#rev = :rev' : 'attribute_exists(subscriberId) AND attribute_not_exists(#rev)',
            ExpressionAttributeNames: { '#rev': REVISION_ATTRIBUTE },
            ...(expectedRevision > 0 && { ExpressionAttributeValues: { ':rev': expectedRevision } }),
          }),
        }),
      );
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) throw new RevisionConflictError('the profile changed since it was read');
      throw e;
    }
  }
}

function parsedProfileOf(item: Record<string, unknown>): ParseResult<SubscriberProfile> {
  const { [REVISION_ATTRIBUTE]: _revision, [PSEUDONYM_ATTRIBUTE]: _pseudonym, ...document } = item;
  return parseSubscriberProfile(document);
}

function profileOf(item: Record<string, unknown>): SubscriberProfile {
  const parsed = parsedProfileOf(item);
  if (!parsed.ok) throw new Error(`profiles table: stored profile invalid: ${parsed.reason}`);
  return parsed.value;
}
