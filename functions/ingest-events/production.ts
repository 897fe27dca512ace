/**
 * What the deployed ingest function runs on: its ports over DynamoDB, SQS and Step Functions, every AWS SDK
 * client traced (a slow write or start shows in X-Ray), built once per container from its configuration.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { SfnWorkflowStarter } from '../../shared/adapters/sfn-workflow-starter.js';
import { SqsQuarantine } from '../../shared/adapters/sqs-quarantine.js';
import type { IngestLimits } from '../../shared/config/ingest-limits.js';
import type { IngestDeps, IngestResult } from '../../shared/ingest/ingest-batch.js';
import type { FailureLedger, UsageStore } from '../../shared/ports/usage-store.js';
import { tracer } from '../../shared/tracing.js';
import type { IngestConfig } from './config.js';

/**
 * The use case's ports (workflow starts are awaited: when the handler returns, every start it caused has
 * been accepted, locally has run), and what the handler decides itself.
 */
export interface IngestHandlerDeps extends Pick<IngestDeps, 'usage' | 'ledger' | 'profiles' | 'quarantine' | 'workflows' | 'settings' | 'maxAttempts'> {
  /** Profile cache lifetime per container (default 60 s; 0 = always read). */
  readonly profileCacheTtlMs?: number;
  /** Bounds and attempts (default: DEFAULT_INGEST_LIMITS). */
  readonly limits?: IngestLimits;
  /** Sees each batch's outcome (benchmark, tests): write units, duplicates, ... */
  readonly onBatch?: (result: IngestResult) => void;
}

/** The usage table's adapter serves both ports: `{ usage, ledger }` of one store. */
export function withLedger<T extends UsageStore & FailureLedger>(store: T): { readonly usage: T; readonly ledger: T } {
  return { usage: store, ledger: store };
}

export function productionDeps(config: IngestConfig): IngestHandlerDeps {
  const documents = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  return {
    ...withLedger(new DynamoUsageStore({ client: documents, tableName: config.usageTable })),
    limits: config.limits,
    profiles: new DynamoProfileStore({ client: documents, tableName: config.profilesTable }),
    quarantine: new SqsQuarantine({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: config.quarantineQueueUrl }),
    workflows: new SfnWorkflowStarter({ client: tracer.captureAWSv3Client(new SFNClient({})), stateMachineArn: config.policyStateMachineArn }),
    settings: config.settings,
  };
}
