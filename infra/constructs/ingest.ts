import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../../shared/config/ingest-limits.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import type { EventStream } from './event-stream.js';
import { bindQueue, bindStateMachine, bindTable, SpendcapFunction } from './spendcap-function.js';
import type { Store } from './store.js';

/**
 * The safe defaults of ingest, written once: the construct falls back to them and the deployment
 * configuration (infra/config.ts) takes its defaults from here. The retry bounds are the largest Lambda
 * allows on purpose: a record skipped by the event source mapping would be a silent under-count
 * (docs/architecture.md, "Assumptions and limits"), while a stuck shard pages through the iterator age.
 */
export const INGEST_DEFAULTS = Object.freeze({
  batchSize: 500,
  maxBatchingWindowSeconds: 1,
  parallelizationFactor: 2,
  retryAttempts: 10_000,
  /** The stream's default retention (24 h): ingest retries through any outage the stream survives. */
  maxRecordAgeSeconds: 86_400,
  memorySizeMb: 1_024,
  timeoutSeconds: 60,
  /** The longest SQS retention: a quarantined record stays redrivable for two weeks. */
  quarantineRetentionDays: 14,
});

export interface IngestProps {
  readonly stream: EventStream;
  readonly store: Store;
  readonly policyStateMachine: sfn.IStateMachine;
  readonly settings: PolicySettings;
  readonly logRetention: logs.RetentionDays;
  /** @default INGEST_DEFAULTS.batchSize (500) */
  readonly batchSize?: number;
  /** @default INGEST_DEFAULTS.maxBatchingWindowSeconds (1 s) */
  readonly maxBatchingWindow?: Duration;
  /** @default INGEST_DEFAULTS.parallelizationFactor (2) */
  readonly parallelizationFactor?: number;
  /** @default INGEST_DEFAULTS.retryAttempts (10,000, the maximum) */
  readonly retryAttempts?: number;
  /** @default INGEST_DEFAULTS.maxRecordAgeSeconds (24 h) */
  readonly maxRecordAge?: Duration;
  /** @default INGEST_DEFAULTS.memorySizeMb (1,024) */
  readonly memorySize?: number;
  /** @default INGEST_DEFAULTS.timeoutSeconds (60 s) */
  readonly timeout?: Duration;
  /** Bounds of a record and attempts before the quarantine. @default DEFAULT_INGEST_LIMITS */
  readonly limits?: IngestLimits;
  /** How long a quarantined record stays redrivable (SQS keeps a message 14 days at most). @default INGEST_DEFAULTS.quarantineRetentionDays (14 days) */
  readonly quarantineRetention?: Duration;
}

/** Longest SQS retention: a failed batch's position stays readable for two weeks. */
const FOURTEEN_DAYS = Duration.days(INGEST_DEFAULTS.quarantineRetentionDays);

/**
 * The ingest path: the function that validates, rates, de-duplicates and counts carrier events, its Kinesis
 * event source mapping (partial batch responses, bisect on error, bounded retries and record age, on-failure
 * queue: no batch is ever dropped silently), and the quarantine queue where rejected events are kept with
 * their reason. The function can read profiles, read and write the usage table, send to the quarantine and
 * start the policy workflow: nothing else (no SNS, no carrier).
 */
export class Ingest extends Construct {
  public readonly function: SpendcapFunction;
  /** Rejected events, each with its reason, position and first arrival: the redrive reads them back. */
  public readonly quarantineQueue: sqs.Queue;
  /** Where the event source mapping sends the position of records it gave up on (after retries / max age). */
  public readonly failedBatchQueue: sqs.Queue;
  /** Dead letters of the two queues above (a message an operator's tool failed to process 5 times). */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly eventSource: KinesisEventSource;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'spendcap ingest queues: quarantined events and failed batches',
      enableKeyRotation: true,
    });
    const queueDefaults = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: FOURTEEN_DAYS,
      // What is kept here is evidence of events that were not counted: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    } as const;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', queueDefaults);
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself the dead-letter queue of the quarantine and failed-batch queues; a dead-letter queue has no further redrive.',
    });
    const deadLetterQueue = { queue: this.deadLetterQueue, maxReceiveCount: 5 };
    this.quarantineQueue = new sqs.Queue(this, 'Quarantine', {
      ...queueDefaults,
      retentionPeriod: props.quarantineRetention ?? Duration.days(INGEST_DEFAULTS.quarantineRetentionDays),
      // The redrive reads a few messages at a time and keeps them hidden for its whole run.
      visibilityTimeout: Duration.minutes(15),
      // Every dry run of the redrive receives the messages it reports on: only a message that keeps
      // failing far more often than an operator looks at it moves to the dead letters.
      deadLetterQueue: { ...deadLetterQueue, maxReceiveCount: 100 },
    });
    this.failedBatchQueue = new sqs.Queue(this, 'FailedBatches', { ...queueDefaults, deadLetterQueue });

    this.function = new SpendcapFunction(this, 'Function', {
      functionDir: 'ingest-events',
      description: 'Validates, rates, de-duplicates and counts carrier events; starts the cap policy on threshold crossings',
      settings: props.settings,
      logRetention: props.logRetention,
      memorySize: props.memorySize ?? INGEST_DEFAULTS.memorySizeMb,
      timeout: props.timeout ?? Duration.seconds(INGEST_DEFAULTS.timeoutSeconds),
    });
    this.function.addEnvironment(ENV.ingestLimits, JSON.stringify(props.limits ?? DEFAULT_INGEST_LIMITS));
    // Exactly the calls of the profile and usage store adapters: no Scan, no Query, no DeleteItem (GetItem
    // reads a claim when a subscriber's records go to the quarantine).
    bindTable(this.function, ENV.profilesTable, props.store.profilesTable, { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'] });
    bindTable(this.function, ENV.usageTable, props.store.usageTable, {
      actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    });
    bindQueue(this.function, ENV.quarantineQueueUrl, this.quarantineQueue);
    bindStateMachine(this.function, ENV.policyStateMachineArn, props.policyStateMachine);

    this.eventSource = new KinesisEventSource(props.stream.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? INGEST_DEFAULTS.batchSize,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(INGEST_DEFAULTS.maxBatchingWindowSeconds),
      parallelizationFactor: props.parallelizationFactor ?? INGEST_DEFAULTS.parallelizationFactor,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? INGEST_DEFAULTS.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? Duration.seconds(INGEST_DEFAULTS.maxRecordAgeSeconds),
      reportBatchItemFailures: true,
      onFailure: new QueueFailureDestination(this.failedBatchQueue),
    });
    this.function.addEventSource(this.eventSource);
  }
}

/**
 * The event source mapping's on-failure destination, granting what Lambda needs to write to it and no more:
 * sqs:SendMessage on the queue and the two KMS actions SSE-KMS requires of a producer (CDK's SqsDlq grants
 * `kms:GenerateDataKey*` and `kms:ReEncrypt*` as well).
 */
class QueueFailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    targetHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    if (this.queue.encryptionMasterKey !== undefined) {
      targetHandler.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.queue.encryptionMasterKey.keyArn] }),
      );
    }
    return { destination: this.queue.queueArn };
  }
}
