/**
 * Puts mapped usage records on the usage stream with PutRecords (500 records and 5 MB per call at most),
 * partition key = subscriber. Records the stream refuses one by one (ProvisionedThroughputExceeded while
 * an on-demand stream scales, InternalFailure) are put again with exponential backoff and jitter; only
 * when they still fail does `put` throw, and the file's stretch is then redone by a later invocation
 * (its recordIds make that harmless).
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { StreamRecordOut, UsageRecordSink } from '../ports/usage-stream.js';

const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024 - 64 * 1024;

export interface KinesisRecordSinkOptions {
  readonly client: KinesisClient;
  /** Stream ARN (in AWS) or name (locally, kinesalite addresses streams by name). */
  readonly stream: { readonly arn: string } | { readonly name: string };
  /** Attempts for records the stream refuses. @default 10 */
  readonly maxAttempts?: number;
  /** First backoff (doubles each attempt, with full jitter). @default 100 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class KinesisRecordSink implements UsageRecordSink {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Records accepted by the stream so far (the bench and tests read it). */
  accepted = 0;

  constructor(private readonly options: KinesisRecordSinkOptions) {
    this.maxAttempts = options.maxAttempts ?? 10;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async put(records: readonly StreamRecordOut[]): Promise<void> {
    let batch: PutRecordsRequestEntry[] = [];
    let bytes = 0;
    for (const record of records) {
      const data = Buffer.from(record.data, 'utf8');
      const size = data.length + Buffer.byteLength(record.partitionKey, 'utf8');
      if (batch.length === MAX_RECORDS || (batch.length > 0 && bytes + size > MAX_BYTES)) {
        await this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ Data: data, PartitionKey: record.partitionKey });
      bytes += size;
    }
    if (batch.length > 0) await this.send(batch);
  }

  private async send(entries: PutRecordsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      const target = 'arn' in this.options.stream ? { StreamARN: this.options.stream.arn } : { StreamName: this.options.stream.name };
      const out = await this.options.client.send(new PutRecordsCommand({ ...target, Records: pending }));
      const results = out.Records ?? [];
      if ((out.FailedRecordCount ?? 0) === 0) {
        this.accepted += pending.length;
        return;
      }
      const failed = pending.filter((_, i) => results[i]?.ErrorCode !== undefined);
      this.accepted += pending.length - failed.length;
      if (attempt >= this.maxAttempts) {
        const codes = [...new Set(results.map((r) => r.ErrorCode).filter((c) => c !== undefined))].join(', ');
        throw new Error(`usage stream: ${failed.length} record(s) refused after ${attempt} attempts (${codes})`);
      }
      pending = failed;
      await this.sleep(Math.random() * this.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
