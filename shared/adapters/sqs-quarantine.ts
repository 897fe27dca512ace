/**
 * The quarantine in AWS: an SQS queue of rejected inputs, one message each with the reason, the raw
 * payload and its stream position. Resolves only when SQS has every message, so the handler can treat
 * the records as done; otherwise it throws and Lambda delivers them again. The redrive reads it back
 * (`QuarantineReader`): received messages stay hidden until deleted (handled) or released (left as they were).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QuarantinedInput, Quarantine, QuarantineReader, RejectedInput } from '../ports/quarantine.js';

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
  readonly fault: RejectedInput['fault'];
  readonly held?: true;
  readonly rejectedAt: string;
}

/** SQS receives at most 10 messages per call, and deletes or changes at most 10 per batch. */
const MAX_RECEIVE = 10;

export class SqsQuarantine implements Quarantine, QuarantineReader {
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

  async receive(max: number): Promise<QuarantinedInput[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(MAX_RECEIVE, max)),
        WaitTimeSeconds: 1,
        // Hidden for the whole run (released or deleted at its end), so that a message is read once per run.
        VisibilityTimeout: 900,
      }),
    );
    return (out.Messages ?? []).flatMap((m) => {
      if (m.ReceiptHandle === undefined || m.Body === undefined) return [];
      return [inputOf(m.Body, m.ReceiptHandle)];
    });
  }

  async delete(receipts: readonly string[]): Promise<void> {
    for (let i = 0; i < receipts.length; i += MAX_RECEIVE) {
      const entries = receipts.slice(i, i + MAX_RECEIVE).map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle }));
      const out = await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if ((out.Failed ?? []).length > 0) throw new Error(`quarantine: ${out.Failed?.length} message(s) not deleted`);
    }
  }

  async release(receipts: readonly string[]): Promise<void> {
    for (let i = 0; i < receipts.length; i += MAX_RECEIVE) {
      const entries = receipts.slice(i, i + MAX_RECEIVE).map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle, VisibilityTimeout: 0 }));
      await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    }
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
    fault: item.fault,
    ...(item.held === true ? { held: true as const } : {}),
    rejectedAt,
  };
}

/**
 * A message read back. Messages written before faults were recorded have none: they were all the
 * record's own fault then. A body that is not a quarantine message is still returned, as its raw text.
 */
function inputOf(body: string, receipt: string): QuarantinedInput {
  let value: Partial<QuarantineMessage> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) value = parsed as Partial<QuarantineMessage>;
  } catch {
    // Kept as raw text below: the redrive reports it as not a quarantine message.
  }
  const raw = typeof value.raw === 'string' ? value.raw : body;
  return {
    reason: typeof value.reason === 'string' ? value.reason : 'not a quarantine message',
    raw,
    ...(value.position !== undefined && typeof value.position === 'object' ? { position: value.position } : {}),
    ...(typeof value.recordId === 'string' ? { recordId: value.recordId } : {}),
    fault: value.fault === 'subscriber' ? 'subscriber' : 'record',
    ...(value.held === true ? { held: true } : {}),
    rejectedAt: typeof value.rejectedAt === 'string' ? value.rejectedAt : '',
    receipt,
    ...(value.rawTruncated === true ? { truncated: true } : {}),
  };
}
