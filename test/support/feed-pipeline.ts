/**
 * The file-ingest function wired to local services for the tests and the bench: s3rver (S3), dynalite
 * (the file ledger) and kinesalite (the usage stream), with the adapters of the deployment; and the
 * ingest function fed with what the file-ingest function put on the stream, so that counters can be
 * compared with a replay of the same lines.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient, _Record } from '@aws-sdk/client-kinesis';
import { createHandler as createIngestHandler } from '../../functions/ingest-events/handler.js';
import { createHandler, type FeedFilesHandler } from '../../functions/ingest-feed-files/handler.js';
import { documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoFileLedger, FILE_LEDGER_TABLE } from '../../shared/adapters/dynamo-file-ledger.js';
import { storedCountersOf, type Item } from '../../shared/adapters/dynamo-usage-store-items.js';
import { KinesisRecordSink } from '../../shared/adapters/kinesis-record-sink.js';
import { S3FeedFileSource, S3FileQuarantine } from '../../shared/adapters/s3-feed-files.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { PeriodCounters, SubscriberProfile } from '../../shared/domain/model.js';
import type { FileOutcome } from '../../shared/feeds/ingest-file.js';
import type { FeedMapping } from '../../shared/feeds/mapping-schema.js';
import { MemoryUsageStore } from './memory-usage-store.js';
import { MemoryProfiles, MemoryQuarantine, RecordingWorkflowStarter } from './ingest-harness.js';
import type { UsageRecordSink } from '../../shared/ports/usage-stream.js';
import { kinesisRecord } from '../../local/kinesis-event.js';
import { RecordingContinuations, RecordingFeedMetrics } from './feed-files.js';
import type { LocalS3 } from './local-s3.js';

let tables = 0;

/** A fresh ledger table in the local DynamoDB. */
export async function createLedgerTable(dynamo: DynamoDBClient): Promise<string> {
  const name = `spendcap-feed-ledger-${++tables}-${Date.now().toString(36)}`;
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: FILE_LEDGER_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: FILE_LEDGER_TABLE.partitionKey, AttributeType: 'S' }],
    }),
  );
  return name;
}

export interface FeedPipeline {
  readonly handler: FeedFilesHandler;
  readonly sink: KinesisRecordSink;
  readonly metrics: RecordingFeedMetrics;
  readonly continuations: RecordingContinuations;
  readonly outcomes: FileOutcome[];
}

export function feedPipeline(options: {
  readonly s3: LocalS3;
  readonly dynamo: DynamoDBClient;
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly ledgerTable: string;
  readonly mappings: readonly FeedMapping[];
  readonly chunkLines?: number;
  /** Wraps the stream sink (fault injection). */
  readonly wrapSink?: (sink: UsageRecordSink) => UsageRecordSink;
}): FeedPipeline {
  const sink = new KinesisRecordSink({ client: options.kinesis, stream: { name: options.streamName }, baseDelayMs: 5 });
  const metrics = new RecordingFeedMetrics();
  const continuations = new RecordingContinuations();
  const outcomes: FileOutcome[] = [];
  const byFeed = new Map(options.mappings.map((m) => [m.feed, m]));
  const handler = createHandler({
    mappingOf: (feed) => byFeed.get(feed),
    source: new S3FeedFileSource(options.s3.client),
    ledger: new DynamoFileLedger({ client: documentClientOf(options.dynamo), tableName: options.ledgerTable }),
    sink: options.wrapSink?.(sink) ?? sink,
    quarantine: new S3FileQuarantine({ client: options.s3.client }),
    metrics,
    continuations,
    ...(options.chunkLines !== undefined ? { chunkLines: options.chunkLines } : {}),
    reserveMs: 1_000,
    onFile: (outcome) => outcomes.push(outcome),
  });
  return { handler, sink, metrics, continuations, outcomes };
}

export interface IngestedCounters {
  /** subscriberId -> counters of each period, in period order. */
  readonly counters: Map<string, PeriodCounters[]>;
  readonly applied: number;
  readonly duplicates: number;
  readonly rejected: number;
}

/**
 * Runs the ingest function over stream records, in stream order, in batches as the event source mapping
 * delivers them, on an in-memory usage table with DynamoUsageStore's items and conditions.
 */
export async function ingestRecords(
  records: ReadonlyArray<{ shardId: string; record: _Record }>,
  profiles: readonly SubscriberProfile[],
  batchSize = 1_000,
): Promise<IngestedCounters> {
  const usage = new MemoryUsageStore();
  const quarantine = new MemoryQuarantine();
  let applied = 0;
  let duplicates = 0;
  const ingest = createIngestHandler({
    usage,
    ledger: usage,
    profiles: new MemoryProfiles(new Map(profiles.map((p) => [p.subscriberId, p]))),
    quarantine,
    workflows: new RecordingWorkflowStarter(),
    settings: DEFAULT_SETTINGS,
    onBatch: (result) => {
      applied += result.stats.applied;
      duplicates += result.stats.duplicates;
    },
  });
  const source = { region: 'eu-west-3', streamArn: 'arn:aws:kinesis:eu-west-3:000000000000:stream/usage' };
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = records.slice(i, i + batchSize).map(({ shardId, record }) =>
      kinesisRecord(source, {
        shardId,
        sequenceNumber: record.SequenceNumber!,
        partitionKey: record.PartitionKey!,
        data: record.Data!,
        arrival: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
      }),
    );
    const response = await ingest({ Records: batch });
    if (response.batchItemFailures.length > 0) throw new Error(`ingest failed ${response.batchItemFailures.length} records`);
  }
  const counters = new Map<string, PeriodCounters[]>();
  for (const [key, item] of usage.items) {
    const [subscriberId, sk] = key.split('\u0000') as [string, string];
    if (!sk.startsWith('P#')) continue;
    const list = counters.get(subscriberId) ?? [];
    list.push(storedCountersOf(item as Item).counters);
    counters.set(subscriberId, list);
  }
  for (const list of counters.values()) list.sort((a, b) => a.period.localeCompare(b.period));
  return { counters, applied, duplicates, rejected: quarantine.items.length };
}
