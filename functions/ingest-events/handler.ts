/**
 * Ingest: Kinesis batch of carrier events in, exactly-once counter updates out (shared/ingest), with a
 * partial batch response so that only the failed tail of a shard is delivered again.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { isTransientAwsError } from '../../shared/adapters/aws-faults.js';
import { INGEST_METRICS } from '../../shared/config/metric-names.js';
import { boundsOf, DEFAULT_INGEST_LIMITS, perKeyClaimsUntilMsOf } from '../../shared/config/ingest-limits.js';
import { ingestBatch } from '../../shared/ingest/ingest-batch.js';
import { CachedProfiles } from '../../shared/ingest/profile-cache.js';
import { addCounts, logger, maskSubscriber, observed, useCaseLog, type LambdaHandler } from '../../shared/observability.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { traced } from '../../shared/tracing.js';
import { ingestConfigFromEnv } from './config.js';
import { batchResponseOf, streamRecordsOf } from './kinesis-records.js';
import { productionDeps, type IngestHandlerDeps } from './production.js';

export { AllRecordsFailedError } from './kinesis-records.js';
export { withLedger, type IngestHandlerDeps } from './production.js';

export type IngestHandler = (event: KinesisStreamEvent, context?: Context) => Promise<KinesisStreamBatchResponse>;

export function createHandler(deps: IngestHandlerDeps): IngestHandler {
  const { profileCacheTtlMs: ttlMs, limits = DEFAULT_INGEST_LIMITS, onBatch, ...ports } = deps;
  const ingestDeps = {
    ...ports,
    profiles: new CachedProfiles({ store: deps.profiles, ...(ttlMs !== undefined && { ttlMs }) }),
    bounds: boundsOf(limits),
    maxRecordAttempts: limits.maxRecordAttempts,
    perKeyClaimsUntilMs: perKeyClaimsUntilMsOf(limits),
    isTransient: isTransientAwsError,
    log: useCaseLog,
    mask: maskSubscriber,
  };
  return async (event) => {
    if (event.Records.length === 0) return { batchItemFailures: [] };
    const result = await ingestBatch(streamRecordsOf(event), ingestDeps);
    addCounts(INGEST_METRICS, result.stats);
    logger.info('batch ingested', { ...result.stats, failedRecords: result.failed.size });
    onBatch?.(result);
    return batchResponseOf(event, result.failed);
  };
}

let production: IngestHandler | undefined;

export const handler: LambdaHandler<KinesisStreamEvent, KinesisStreamBatchResponse> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    production ??= createHandler(productionDeps(ingestConfigFromEnv(process.env)));
    return production(event);
  }),
);
