/**
 * What the deployed redrive runs on: the quarantine queue, the usage stream it puts records back on, and
 * the two tables it checks a record against before doing so. Traced like every function, although an
 * operator runs it only now and then: a slow or failing redrive shows which request it waited on.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { KinesisRecordSink } from '../../shared/adapters/kinesis-record-sink.js';
import { SqsQuarantine } from '../../shared/adapters/sqs-quarantine.js';
import { boundsOf, perKeyClaimsUntilMsOf } from '../../shared/config/ingest-limits.js';
import type { RedriveDeps } from '../../shared/redrive/redrive-quarantine.js';
import { tracer } from '../../shared/tracing.js';
import type { RedriveConfig } from './config.js';

export function productionDeps(config: RedriveConfig): RedriveDeps {
  const documents = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  const perKeyClaimsUntilMs = perKeyClaimsUntilMsOf(config.limits);
  return {
    quarantine: new SqsQuarantine({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: config.quarantineQueueUrl }),
    stream: new KinesisRecordSink({ client: tracer.captureAWSv3Client(new KinesisClient({})), stream: { arn: config.usageStreamArn } }),
    profiles: new DynamoProfileStore({ client: documents, tableName: config.profilesTable }),
    ledger: new DynamoUsageStore({ client: documents, tableName: config.usageTable }),
    settings: config.settings,
    bounds: boundsOf(config.limits),
    ...(perKeyClaimsUntilMs !== undefined && { perKeyClaimsUntilMs }),
  };
}
