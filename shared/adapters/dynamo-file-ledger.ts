/**
 * File progress in DynamoDB: one item per version of a landed file (`fileId` = bucket/key#version), written
 * whole with an optimistic lock on `version`, so that of two invocations working on one file only one
 * carries on. Items expire (`expiresAt`, TTL) long after a file is done: what they hold afterwards is the
 * record of what was ingested, which the operator reads when a subscriber disputes a late charge.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FileLedger, FileProgress } from '../ports/feed-files.js';

/** The ledger table's key, for the construct and the local/test tables. */
export const FILE_LEDGER_TABLE = { partitionKey: 'fileId', ttlAttribute: 'expiresAt' } as const;

export interface DynamoFileLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long an item outlives its last write. @default 400 days (a year of billing disputes, and some) */
  readonly ttlDays?: number;
  readonly now?: () => number;
}

export class DynamoFileLedger implements FileLedger {
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: DynamoFileLedgerOptions) {
    this.ttlSeconds = (options.ttlDays ?? 400) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async get(fileId: string): Promise<FileProgress | undefined> {
    const out = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { fileId }, ConsistentRead: true }),
    );
    if (out.Item === undefined) return undefined;
    const { expiresAt: _expiresAt, updatedAt: _updatedAt, ...progress } = out.Item;
    return progress as FileProgress;
  }

  async save(progress: FileProgress, expectedVersion: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...progress, updatedAt: new Date(now).toISOString(), expiresAt: Math.floor(now / 1000) + this.ttlSeconds },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(fileId)' }
            : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
      return true;
    } catch (e: unknown) {
      if (e instanceof ConditionalCheckFailedException || (e as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }
}
