/**
 * The Kinesis side of the ingest function: the records of a Lambda Kinesis event as the stream records
 * ingest reads, and the batch's outcome as the partial batch response Lambda expects back.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { streamNameOf } from '../../shared/adapters/kinesis-stream-name.js';
import { positionKey, type StreamRecord } from '../../shared/ingest/ingest-batch.js';

/** Every record of the batch failed (transiently): Lambda retries the whole batch. */
export class AllRecordsFailedError extends Error {
  override readonly name = 'AllRecordsFailedError';
  constructor(readonly records: number) {
    super(`all ${records} records failed transiently; the batch is retried`);
  }
}

/** The shard of a record: its `eventID` is `<shardId>:<sequenceNumber>`. */
function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID;
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'shard';
}

/** The records of a Lambda Kinesis event, their data decoded from base64 (UTF-8 JSON expected). */
export function streamRecordsOf(event: KinesisStreamEvent): StreamRecord[] {
  return event.Records.map((record) => ({
    stream: streamNameOf(record.eventSourceARN),
    shardId: shardIdOf(record),
    sequenceNumber: record.kinesis.sequenceNumber,
    data: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
    arrivalTime: record.kinesis.approximateArrivalTimestamp,
  }));
}

/**
 * The partial batch response of Powertools' processPartialResponse for Kinesis, without its record loop
 * (a tenth of the ingest bundle's budget): every failed record named (Lambda resumes the shard at the
 * lowest), and when all failed, a throw, so that Lambda retries the whole batch, bisecting it when
 * configured.
 */
export function batchResponseOf(event: KinesisStreamEvent, failed: ReadonlySet<string>): KinesisStreamBatchResponse {
  if (failed.size === 0) return { batchItemFailures: [] };
  const records = event.Records.filter((record) => failed.has(positionKey(shardIdOf(record), record.kinesis.sequenceNumber)));
  if (records.length === event.Records.length) throw new AllRecordsFailedError(records.length);
  return { batchItemFailures: records.map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber })) };
}
