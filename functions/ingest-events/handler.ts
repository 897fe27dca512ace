/**
 * Ingest: Kinesis batch of carrier events in, exactly-once counter updates out (shared/ingest), with a
 * partial batch response so that only the failed tail of a shard is delivered again.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { SfnWorkflowStarter } from '../../shared/adapters/sfn-workflow-starter.js';
import { SqsQuarantine } from '../../shared/adapters/sqs-quarantine.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { ingestBatch, positionKey, type IngestResult, type StreamRecord } from '../../shared/ingest/ingest-batch.js';
import { streamNameOf } from '../../shared/adapters/kinesis-stream-name.js';
import { isTransientAwsError } from '../../shared/adapters/aws-faults.js';
import { boundsOf, DEFAULT_INGEST_LIMITS, type IngestLimits } from '../../shared/config/ingest-limits.js';
import { CachedProfiles } from '../../shared/ingest/profile-cache.js';
import { logger, maskSubscriber, metrics, MetricUnit } from '../../shared/observability.js';
import { tracer } from '../../shared/tracing.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import type { ProfileStore } from '../../shared/ports/profile-store.js';
import type { Quarantine } from '../../shared/ports/quarantine.js';
import type { FailureLedger, UsageStore } from '../../shared/ports/usage-store.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { ingestConfigFromEnv } from './config.js';

export interface IngestHandlerDeps {
  readonly usage: UsageStore;
  /** The failure path's store (the usage table). */
  readonly ledger: FailureLedger;
  readonly profiles: Pick<ProfileStore, 'getMany'>;
  readonly quarantine: Quarantine;
  /** Awaited: when the handler returns, every start it caused has been accepted (locally: has run). */
  readonly workflows: PolicyWorkflowStarter;
  readonly settings: PolicySettings;
  /** Profile cache lifetime per container (default 60 s; 0 = always read). */
  readonly profileCacheTtlMs?: number;
  /** Bounds and attempts (default: DEFAULT_INGEST_LIMITS). */
  readonly limits?: IngestLimits;
  readonly maxAttempts?: number;
  /** Sees each batch's outcome (benchmark, tests): write units, duplicates, ... */
  readonly onBatch?: (result: IngestResult) => void;
}

/** The usage table's adapter serves both ports: `{ usage, ledger }` of one store. */
export function withLedger<T extends UsageStore & FailureLedger>(store: T): { readonly usage: T; readonly ledger: T } {
  return { usage: store, ledger: store };
}

export type IngestHandler = (event: KinesisStreamEvent, context?: Context) => Promise<KinesisStreamBatchResponse>;

export function createHandler(deps: IngestHandlerDeps): IngestHandler {
  const profiles = new CachedProfiles({ store: deps.profiles, ...ttl(deps.profileCacheTtlMs) });
  const limits = deps.limits ?? DEFAULT_INGEST_LIMITS;
  return async (event) => {
    if (event.Records.length === 0) return { batchItemFailures: [] };
    const records = event.Records.map(streamRecordOf);
    const result = await ingestBatch(records, {
      usage: deps.usage,
      ledger: deps.ledger,
      profiles,
      quarantine: deps.quarantine,
      workflows: deps.workflows,
      settings: deps.settings,
      bounds: boundsOf(limits),
      maxRecordAttempts: limits.maxRecordAttempts,
      isTransient: isTransientAwsError,
      ...(deps.maxAttempts !== undefined ? { maxAttempts: deps.maxAttempts } : {}),
      log: ingestLog,
      mask: maskSubscriber,
    });
    report(result);
    deps.onBatch?.(result);
    if (result.failed.size === 0) return { batchItemFailures: [] };
    // The partial batch response of Powertools' processPartialResponse for Kinesis, without its record
    // loop (a tenth of this function's bundle budget): every failed record named (Lambda resumes the shard
    // at the lowest), and when all failed, a throw, so that Lambda retries the whole batch, bisecting it
    // when configured.
    const failed = event.Records.filter((record) => result.failed.has(positionOfRecord(record)));
    if (failed.length === event.Records.length) {
      throw new AllRecordsFailedError(failed.length);
    }
    return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber })) };
  };
}

/** Every record of the batch failed (transiently): Lambda retries the whole batch. */
export class AllRecordsFailedError extends Error {
  override readonly name = 'AllRecordsFailedError';
  constructor(readonly records: number) {
    super(`all ${records} records failed transiently; the batch is retried`);
  }
}

const ingestLog = {
  warn: (message: string, extra: Record<string, unknown> = {}) => logger.warn(message, extra),
  error: (message: string, extra: Record<string, unknown> = {}) => logger.error(message, extra),
};

function ttl(ms: number | undefined): { ttlMs?: number } {
  return ms === undefined ? {} : { ttlMs: ms };
}

function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID;
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'shard';
}

function positionOfRecord(record: KinesisStreamRecord): string {
  return positionKey(shardIdOf(record), record.kinesis.sequenceNumber);
}

function streamRecordOf(record: KinesisStreamRecord): StreamRecord {
  return {
    stream: streamNameOf(record.eventSourceARN),
    shardId: shardIdOf(record),
    sequenceNumber: record.kinesis.sequenceNumber,
    data: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
    arrivalTime: record.kinesis.approximateArrivalTimestamp,
  };
}

function report(result: IngestResult): void {
  const { stats } = result;
  metrics.addMetric('EventsApplied', MetricUnit.Count, stats.applied);
  metrics.addMetric('Duplicates', MetricUnit.Count, stats.duplicates);
  metrics.addMetric('Redelivered', MetricUnit.Count, stats.redelivered);
  metrics.addMetric('Rejected', MetricUnit.Count, stats.rejected);
  metrics.addMetric('Crossings', MetricUnit.Count, stats.crossings);
  metrics.addMetric('LateEvents', MetricUnit.Count, stats.lateEvents);
  metrics.addMetric('WriteUnits', MetricUnit.Count, stats.writeUnits);
  metrics.addMetric('FailedSubscribers', MetricUnit.Count, stats.failedSubscribers);
  metrics.addMetric('QuarantinedSubscribers', MetricUnit.Count, stats.quarantinedSubscribers);
  metrics.publishStoredMetrics();
  logger.info('batch ingested', { ...stats, failedRecords: result.failed.size });
}

let production: IngestHandler | undefined;

function productionHandler(): IngestHandler {
  const config = ingestConfigFromEnv(process.env);
  const dynamo = tracer.captureAWSv3Client(createDynamoClient());
  const documents = documentClientOf(dynamo);
  const usage = new DynamoUsageStore({ client: documents, tableName: config.usageTable });
  return createHandler({
    usage,
    ledger: usage,
    limits: config.limits,
    profiles: new DynamoProfileStore({ client: documents, tableName: config.profilesTable }),
    quarantine: new SqsQuarantine({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: config.quarantineQueueUrl }),
    workflows: new SfnWorkflowStarter({
      client: tracer.captureAWSv3Client(new SFNClient({})),
      stateMachineArn: config.policyStateMachineArn,
    }),
    settings: config.settings,
  });
}

export const handler: IngestHandler = async (event, context) => {
  // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
  await loadPseudonymKey();
  production ??= productionHandler();
  return production(event, context);
};
