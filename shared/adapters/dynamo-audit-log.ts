import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActionKey, AuditEntry, AuditLog } from '../ports/audit-log.js';
import { TABLES } from './tables.js';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLES.audit;

/**
 * Guards outlive any redelivery (Step Functions keeps execution names 90 days; crossings are per period),
 * then expire. Audit entries themselves never expire: they are the re-consultable record.
 */
const GUARD_LIFETIME_SECONDS = 400 * 24 * 3600;

/** Every entry's sort key starts with its UTC time, so a Query on the key range is a time range. */
function iso(at: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new Error(`at: not a date-time (${at})`);
  return new Date(ms).toISOString();
}

function sortKeyOf(entry: AuditEntry): string {
  const at = iso(entry.at);
  switch (entry.type) {
    case 'NOTIFICATION':
      return `${at}#${entry.kind}#${entry.channel}#${entry.resend === undefined ? '' : 'RESEND#'}${entry.crossingId}`;
    case 'NOTIFICATION_FAILED':
      return `${at}#${entry.kind}#${entry.channel}#FAILED#${entry.crossingId}`;
    case 'CARRIER_COMMAND':
      return `${at}#${entry.command}#${entry.status === 'DONE' ? 'carrier' : 'FAILED'}#${entry.barId ?? entry.crossingId}`;
    case 'UNBAR_SCHEDULED':
      return `${at}#UNBAR_SCHEDULED#${entry.bucket}#${entry.barId}`;
    case 'LINE_FAILED':
      return `${at}#LINE_FAILED#${entry.crossingId}`;
    case 'CHOICE_CHANGED':
      return `${at}#CHOICE_CHANGED#${entry.crossingId}`;
  }
}

function guardKeyOf(key: ActionKey): string {
  return `G#${key.period}#${key.crossingId}#${key.action}`;
}

/** Upper bound for time keys: above any ISO year, below the `G#` guards. */
const END_OF_TIME = '9';

export interface DynamoAuditLogOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Audit trail on the audit table: pk = subscriberId, sk = `<at ISO>#<kind or command>#<channel>#<crossingId>`
 * (the crossing id keeps two actions at the same instant apart), and the workflow's idempotency guards
 * at sk = `G#<period>#<crossingId>#<action>`.
 */
export class DynamoAuditLog implements AuditLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoAuditLogOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async begin(key: ActionKey, at: string): Promise<'PROCEED' | 'DONE'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: key.subscriberId,
            [SK]: guardKeyOf(key),
            status: 'PENDING',
            at: iso(at),
            [TTL]: Math.floor(Date.now() / 1000) + GUARD_LIFETIME_SECONDS,
          },
          // A PENDING guard (an attempt that crashed before completing) is taken over: at least once.
          ConditionExpression: 'attribute_not_exists(#sk) OR #status <> :done',
          ExpressionAttributeNames: { '#sk': SK, '#status': 'status' },
          ExpressionAttributeValues: { ':done': 'DONE' },
        }),
      );
      return 'PROCEED';
    } catch (e: unknown) {
      if (e instanceof ConditionalCheckFailedException || (e instanceof Error && e.name === 'ConditionalCheckFailedException')) {
        return 'DONE';
      }
      throw e;
    }
  }

  async complete(key: ActionKey, entry: AuditEntry): Promise<void> {
    // No transaction (dynalite has none, and it would double the cost): the entry first, so a crash in
    // between leaves a PENDING guard (redo) rather than a DONE guard without its record.
    await this.record(entry);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: key.subscriberId, [SK]: guardKeyOf(key) },
        UpdateExpression: 'SET #status = :done, doneAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'DONE', ':at': iso(entry.at) },
      }),
    );
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...entry, at: iso(entry.at), [PK]: entry.subscriberId, [SK]: sortKeyOf(entry) },
      }),
    );
  }

  async list(subscriberId: string, fromIso?: string, toIso?: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          // `toIso` alone sorts before every `<toIso>#...` key: BETWEEN is then exclusive at the top.
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': subscriberId,
            ':from': fromIso === undefined ? '0' : iso(fromIso),
            ':to': toIso === undefined ? END_OF_TIME : iso(toIso),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const { [PK]: _pk, [SK]: _sk, ...entry } = item;
        entries.push(entry as AuditEntry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return entries;
  }
}
