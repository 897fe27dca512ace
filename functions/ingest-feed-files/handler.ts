/**
 * File ingest: one landed usage file per message of the file-event queue (S3 "Object Created" through
 * EventBridge, or a continuation of a large file), mapped line by line to usage-event.v1 records on the
 * usage stream (shared/feeds/ingest-file.ts). A file that needs more time than the invocation has left
 * queues its own continuation and returns; a failure leaves the message on the queue, which delivers it
 * again (then to its dead-letter queue, alarmed) and the file resumes from its saved progress.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchFeedMetrics } from '../../shared/adapters/cloudwatch-feed-metrics.js';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoFileLedger } from '../../shared/adapters/dynamo-file-ledger.js';
import { KinesisRecordSink } from '../../shared/adapters/kinesis-record-sink.js';
import { S3FeedFileSource, S3FileQuarantine } from '../../shared/adapters/s3-feed-files.js';
import { SqsFileContinuations } from '../../shared/adapters/sqs-file-continuations.js';
import { filesOfMessage } from '../../shared/feeds/file-events.js';
import { ingestFeedFile, type FileOutcome, type IngestFileDeps } from '../../shared/feeds/ingest-file.js';
import { logger, METRICS_NAMESPACE } from '../../shared/observability.js';
import { tracer } from '../../shared/tracing.js';
import type { FileContinuations } from '../../shared/ports/feed-files.js';
import { feedFilesConfigFromEnv } from './config.js';

export interface FeedFilesHandlerDeps extends Omit<IngestFileDeps, 'remainingMs' | 'log'> {
  readonly continuations: FileContinuations;
  /** Sees each file's outcome (tests, local runs). */
  readonly onFile?: (outcome: FileOutcome) => void;
}

export type FeedFilesHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export function createHandler(deps: FeedFilesHandlerDeps): FeedFilesHandler {
  const log = { warn: (message: string, extra: Record<string, unknown> = {}) => logger.warn(message, extra) };
  return async (event, context) => {
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const files = filesOfMessage(record.body);
        if (files.length === 0) {
          // An S3 test event or a message of another kind: nothing to ingest, nothing to retry.
          logger.warn('file-event message names no file', { messageId: record.messageId });
          return;
        }
        for (const file of files) {
          const outcome = await ingestFeedFile(file, { ...deps, log, remainingMs: () => context.getRemainingTimeInMillis() });
          if (outcome.status === 'continue') await deps.continuations.continueLater(file);
          // File names and counts only: a reason names fields and columns, never a line's values.
          logger.info('usage file', { ...outcome, key: file.key });
          deps.onFile?.(outcome);
        }
      },
      processor,
      { context },
    );
  };
}

let production: FeedFilesHandler | undefined;

function productionHandler(): FeedFilesHandler {
  const config = feedFilesConfigFromEnv(process.env);
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  const documents = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  return createHandler({
    mappingOf: (feed) => config.mappings.get(feed),
    source: new S3FeedFileSource(s3),
    ledger: new DynamoFileLedger({ client: documents, tableName: config.ledgerTable }),
    sink: new KinesisRecordSink({ client: tracer.captureAWSv3Client(new KinesisClient({})), stream: { arn: config.usageStreamArn } }),
    quarantine: new S3FileQuarantine({ client: s3 }),
    metrics: new CloudWatchFeedMetrics(tracer.captureAWSv3Client(new CloudWatchClient({})), METRICS_NAMESPACE),
    continuations: new SqsFileContinuations(tracer.captureAWSv3Client(new SQSClient({})), config.queueUrl),
  });
}

export const handler: FeedFilesHandler = async (event, context) => {
  production ??= productionHandler();
  return production(event, context);
};
