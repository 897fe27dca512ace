/**
 * What the deployed file ingest runs on: the landed files (S3), their progress (DynamoDB), the usage
 * stream, the feed metrics and the continuation queue, every AWS SDK client traced (a slow file shows in
 * X-Ray).
 */
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
import type { FileOutcome, IngestFileDeps } from '../../shared/feeds/ingest-file.js';
import { METRICS_NAMESPACE } from '../../shared/observability.js';
import type { FileContinuations } from '../../shared/ports/feed-files.js';
import { tracer } from '../../shared/tracing.js';
import type { FeedFilesConfig } from './config.js';

export interface FeedFilesHandlerDeps extends Omit<IngestFileDeps, 'remainingMs' | 'log'> {
  readonly continuations: FileContinuations;
  /** Sees each file's outcome (tests, local runs). */
  readonly onFile?: (outcome: FileOutcome) => void;
}

export function productionDeps(config: FeedFilesConfig): FeedFilesHandlerDeps {
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  const documents = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  return {
    mappingOf: (feed) => config.mappings.get(feed),
    source: new S3FeedFileSource(s3),
    ledger: new DynamoFileLedger({ client: documents, tableName: config.ledgerTable }),
    sink: new KinesisRecordSink({ client: tracer.captureAWSv3Client(new KinesisClient({})), stream: { arn: config.usageStreamArn } }),
    quarantine: new S3FileQuarantine({ client: s3 }),
    metrics: new CloudWatchFeedMetrics(tracer.captureAWSv3Client(new CloudWatchClient({})), METRICS_NAMESPACE),
    continuations: new SqsFileContinuations(tracer.captureAWSv3Client(new SQSClient({})), config.queueUrl),
  };
}
