/**
 * Narrow changes of a stored profile: only the attributes a self-care request changes (the caps, the
 * notification channels) are written, and only if the profile still exists. So a caps change and a channels
 * change made at the same moment both land (a whole-profile put would let the last one undo the other), and
 * a change racing a DELETE cannot bring the profile back as a fragment.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../adapters/dynamo-client.js';
import { REVISION_ATTRIBUTE } from '../adapters/dynamo-profile-store.js';
import { TABLES } from '../adapters/tables.js';
import type { ProfileFields, ProfileFieldsChange } from './ports.js';

const { partitionKey: SUBSCRIBER_KEY } = TABLES.profiles;

export class DynamoProfileFields implements ProfileFields {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.documents = options.client;
    this.tableName = options.tableName;
  }

  async update(subscriberId: string, change: ProfileFieldsChange): Promise<number | undefined> {
    const entries = Object.entries(change).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { '#id': SUBSCRIBER_KEY, '#rev': REVISION_ATTRIBUTE };
    const values: Record<string, unknown> = { ':one': 1 };
    const sets = entries.map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    try {
      const out = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [SUBSCRIBER_KEY]: subscriberId },
          UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}ADD #rev :one`,
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const revision = out.Attributes?.[REVISION_ATTRIBUTE];
      return typeof revision === 'number' ? revision : 0;
    } catch (e: unknown) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw e;
    }
  }
}
