/**
 * Narrow changes of a stored profile: only the attributes a self-care request changes (the caps, the
 * notification channels) are written, and only if the profile still exists. So a caps change and a channels
 * change made at the same moment both land (a whole-profile put would let the last one undo the other), and
 * a change racing a DELETE cannot bring the profile back as a fragment. With an If-Match, the write is also
 * conditional on the revision the client saw.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './dynamo-client.js';
import { PSEUDONYM_ATTRIBUTE, REVISION_ATTRIBUTE } from './dynamo-profile-store.js';
import { TABLES } from './tables.js';
import { RevisionConflictError } from '../ports/profile-store.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import type { ProfileFields, ProfileFieldsChange } from '../ports/self-care.js';

const { partitionKey: SUBSCRIBER_KEY } = TABLES.profiles;

/** The only attributes this adapter writes (the self-care function's IAM policy allows no others). */
export const PROFILE_FIELDS_ATTRIBUTES = ['roamingCap', 'overageCap', 'notifications', REVISION_ATTRIBUTE, PSEUDONYM_ATTRIBUTE] as const;

export class DynamoProfileFields implements ProfileFields {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.documents = options.client;
    this.tableName = options.tableName;
  }

  async update(subscriberId: string, change: ProfileFieldsChange, options: { readonly expectedRevision?: number } = {}): Promise<number | undefined> {
    const entries = Object.entries(change).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { '#id': SUBSCRIBER_KEY, '#rev': REVISION_ATTRIBUTE, '#pn': PSEUDONYM_ATTRIBUTE };
    const values: Record<string, unknown> = { ':one': 1, ':pn': pseudonymOf(subscriberId) };
    const sets = entries.map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    const { expectedRevision } = options;
    let condition = 'attribute_exists(#id)';
    if (expectedRevision !== undefined) {
      // A profile written before revisions existed has none: it counts as revision 0.
      condition += expectedRevision > 0 ? ' AND #rev = :rev' : ' AND attribute_not_exists(#rev)';
      if (expectedRevision > 0) values[':rev'] = expectedRevision;
    }
    try {
      const out = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [SUBSCRIBER_KEY]: subscriberId },
          // The pseudonym rides along, so that a profile written before pseudonyms existed gets one.
          UpdateExpression: `SET ${[...sets, '#pn = :pn'].join(', ')} ADD #rev :one`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const revision = out.Attributes?.[REVISION_ATTRIBUTE];
      return typeof revision === 'number' ? revision : 0;
    } catch (e: unknown) {
      if (!isConditionalCheckFailed(e)) throw e;
      if (expectedRevision === undefined) return undefined;
      // Which condition failed: the profile is gone (404), or it changed since the client's ETag (412).
      const exists = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: { [SUBSCRIBER_KEY]: subscriberId }, ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': SUBSCRIBER_KEY } }),
      );
      if (exists.Item === undefined) return undefined;
      throw new RevisionConflictError('the profile changed since it was read');
    }
  }
}
