/**
 * The quarantine in AWS: an SQS queue of rejected inputs, one message each with the reason, the raw
 * payload and its stream position. Resolves only when SQS has every message, so the handler can treat
 * the records as done; otherwise it throws and Lambda delivers them again.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { Quarantine, RejectedInput } from '../ports/quarantine.js';

/** SendMessageBatch takes 10 messages and 1 MiB in all; stay well under both. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 900_000;
/** A Kinesis record can reach 1 MiB, more than one SQS message: keep the head and say so. */
const MAX_RAW_CHARS = 80_000;

export interface QuarantineMessage {
  readonly reason: string;
  readonly raw: string;
  readonly rawTruncated?: true;
  readonly position?: RejectedInput['position'];
  readonly recordId?: string;
  readonly rejectedAt: string;
}

export class SqsQuarantine implements Quarantine {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  private readonly now: () => Date;

  constructor(options: { readonly client: SQSClient; readonly queueUrl: string; readonly now?: () => Date }) {
    this.sqs = options.client;
    this.queueUrl = options.queueUrl;
    this.now = options.now ?? (() => new Date());
  }

  async reject(items: readonly RejectedInput[]): Promise<void> {
    const rejectedAt = this.now().toISOString();
    let batch: SendMessageBatchRequestEntry[] = [];
    let bytes = 0;
    for (const item of items) {
      const body = JSON.stringify(messageOf(item, rejectedAt));
      const size = Buffer.byteLength(body, 'utf8');
      if (batch.length === MAX_ENTRIES || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        await this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ Id: String(batch.length), MessageBody: body });
      bytes += size;
    }
    if (batch.length > 0) await this.send(batch);
  }

  private async send(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    // Entries can fail one by one (throttling); retry those, then give up loudly.
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      if (failed.size === 0) return;
      const reasons = (out.Failed ?? []).map((f) => `${f.Code ?? 'error'}${f.SenderFault === true ? ' (sender fault)' : ''}`);
      if (attempt >= 3 || (out.Failed ?? []).some((f) => f.SenderFault === true)) {
        throw new Error(`quarantine: ${failed.size} message(s) not stored: ${reasons.join(', ')}`);
      }
      pending = pending.filter((e) => e.Id !== undefined && failed.has(e.Id));
    }
  }
}

export function messageOf(item: RejectedInput, rejectedAt: string): QuarantineMessage {
  const truncated = item.raw.length > MAX_RAW_CHARS;
  return {
    reason: item.reason,
    raw: truncated ? item.raw.slice(0, MAX_RAW_CHARS) : item.raw,
    ...(truncated ? { rawTruncated: true as const } : {}),
    ...(item.position !== undefined ? { position: item.position } : {}),
    ...(item.recordId !== undefined ? { recordId: item.recordId } : {}),
    rejectedAt,
  };
}
