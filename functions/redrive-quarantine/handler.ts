/**
 * Redrive of the quarantine, invoked by an operator (`npm run redrive`, or `aws lambda invoke`) once the
 * cause of the rejections is fixed. A dry run unless `dryRun: false` is asked for: the first answer is
 * always what would happen.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { KinesisRecordSink } from '../../shared/adapters/kinesis-record-sink.js';
import { SqsQuarantine } from '../../shared/adapters/sqs-quarantine.js';
import { boundsOf } from '../../shared/config/ingest-limits.js';
import { formatIssues } from '../../shared/domain/validation.js';
import { logger, metrics, MetricUnit } from '../../shared/observability.js';
import { redriveQuarantine, type RedriveDeps, type RedriveReport } from '../../shared/redrive/redrive-quarantine.js';
import { redriveConfigFromEnv } from './config.js';

/** What the operator asks for; every key optional, a dry run of 100 messages by default. */
export const redriveRequestSchema = z.strictObject({
  dryRun: z.boolean({ error: 'must be true or false' }).default(true),
  max: z.number({ error: 'must be an integer from 1 to 10000' }).int().min(1).max(10_000).default(100),
  reasonContains: z.string({ error: 'must be a string' }).min(1).max(200).optional(),
});

export type RedriveHandler = (event: unknown) => Promise<RedriveReport>;

export function createHandler(deps: RedriveDeps): RedriveHandler {
  return async (event) => {
    const parsed = redriveRequestSchema.safeParse(event ?? {});
    if (!parsed.success) throw new Error(`redrive request: ${formatIssues(parsed.error)}`);
    const request = parsed.data;
    const report = await redriveQuarantine(
      { dryRun: request.dryRun, max: request.max, ...(request.reasonContains !== undefined && { reasonContains: request.reasonContains }) },
      deps,
    );
    metrics.addMetric(request.dryRun ? 'RedriveAssessed' : 'Redriven', MetricUnit.Count, request.dryRun ? report.read : report.counts.redriven);
    metrics.publishStoredMetrics();
    logger.info('quarantine redrive', { dryRun: report.dryRun, read: report.read, counts: report.counts });
    return report;
  };
}

let production: RedriveHandler | undefined;

function productionHandler(): RedriveHandler {
  const config = redriveConfigFromEnv(process.env);
  // Not traced: an operator runs it now and then, and the X-Ray SDK would double its bundle's start-up.
  const documents = documentClientOf(createDynamoClient());
  return createHandler({
    quarantine: new SqsQuarantine({ client: new SQSClient({}), queueUrl: config.quarantineQueueUrl }),
    stream: new KinesisRecordSink({ client: new KinesisClient({}), stream: { arn: config.usageStreamArn } }),
    profiles: new DynamoProfileStore({ client: documents, tableName: config.profilesTable }),
    ledger: new DynamoUsageStore({ client: documents, tableName: config.usageTable }),
    settings: config.settings,
    bounds: boundsOf(config.limits),
  });
}

export const handler: RedriveHandler = async (event) => {
  production ??= productionHandler();
  return production(event);
};
