/**
 * Kinesis-shaped Lambda events, built the way the Lambda event source mapping builds them, so that the
 * real ingest handler cannot tell the local runtime from AWS.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** What the local runtime invokes: the ingest handler's own signature. */
export type KinesisHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse | void | undefined>;

export interface RecordSource {
  readonly region: string;
  readonly streamArn: string;
}

export function localStreamArn(region: string, streamName: string): string {
  return `arn:aws:kinesis:${region}:000000000000:stream/${streamName}`;
}

export function kinesisRecord(
  source: RecordSource,
  record: {
    readonly shardId: string;
    readonly sequenceNumber: string;
    readonly partitionKey: string;
    readonly data: Uint8Array | string;
    /** Epoch milliseconds. */
    readonly arrival: number;
  },
): KinesisStreamRecord {
  const data = typeof record.data === 'string' ? Buffer.from(record.data, 'utf8') : Buffer.from(record.data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: data.toString('base64'),
      // Lambda sends seconds with a fraction.
      approximateArrivalTimestamp: record.arrival / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/spendcap-local-ingest',
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
}

/** A Lambda context for local invocations (the handlers only read the request id and remaining time). */
export function localLambdaContext(functionName: string): Context {
  const requestId = `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
