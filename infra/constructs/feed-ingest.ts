import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FEED_DIMENSION } from '../../shared/adapters/cloudwatch-feed-metrics.js';
import { FEED_METRICS } from '../../shared/config/metric-names.js';
import { FILE_LEDGER_TABLE } from '../../shared/adapters/dynamo-file-ledger.js';
import { QUARANTINE_PREFIX } from '../../shared/adapters/s3-feed-files.js';
import { ENV } from '../../shared/config/env-names.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { FEED_MAPPINGS_VARIABLE } from '../../functions/ingest-feed-files/config.js';
import { acknowledgeWildcardResource } from '../nag.js';
import { silenceWindow, type FeedConfig } from '../feeds-config.js';
import type { EventStream } from './event-stream.js';
import { bindQueue, bindStreamProducer, bindTable, METRICS_NAMESPACE, SpendcapFunction } from './spendcap-function.js';

export interface FeedIngestProps {
  /** The feeds: each one's mapping and health thresholds (infra/feeds-config.ts). */
  readonly feeds: readonly FeedConfig[];
  /** The usage stream the records go to. */
  readonly stream: EventStream;
  readonly settings: PolicySettings;
  readonly logRetention: logs.RetentionDays;
  /** Days a landed or quarantined file is kept. @default 400 */
  readonly retentionDays?: number;
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
}

/** Files in flight at once: a file's records go to the stream in order, and the stream's write capacity is the limit anyway. */
const MAX_CONCURRENCY = 5;

/**
 * Usage files: the feed bucket (one prefix per feed, KMS, versioned, TLS only, access logged, files
 * kept `retentionDays`), S3 "Object Created" events through EventBridge to a queue (one message per file,
 * retried, dead-lettered), the file-ingest function that maps each line to a usage-event.v1 record on the
 * usage stream, the file ledger (progress per file, so a crash or a split across invocations resumes),
 * and feed health: per feed, alarms on silence, delay, rejected lines and quarantined files, and dashboard
 * widgets.
 *
 * Large files are split across invocations of the same function, not fanned out to a Step Functions
 * distributed map: the usage stream's write capacity (1,000 records/s per shard) bounds how fast a file
 * can go whatever reads it, a gzip file cannot be split without decompressing it from its start, and one
 * reader keeps physical line numbers and per-subscriber order. A file that needs more than one
 * invocation saves its progress every stretch and queues its own continuation.
 */
export class FeedIngest extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly key: kms.Key;
  public readonly ledgerTable: dynamodb.Table;
  /** S3 events and continuations, one file per message. */
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: SpendcapFunction;
  public readonly rule: events.Rule;
  /** Feed health alarms (the stack sends them to the ops topic through the monitoring). */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly feeds: readonly FeedConfig[];

  constructor(scope: Construct, id: string, props: FeedIngestProps) {
    super(scope, id);
    if (props.feeds.length === 0) throw new Error(`${this.node.path}: at least one feed is required`);
    this.feeds = props.feeds;
    const retention = Duration.days(props.retentionDays ?? 400);
    const timeout = props.timeout ?? Duration.minutes(15);

    this.key = new kms.Key(this, 'Key', {
      description: 'spendcap usage files: feed bucket, file-event queue, file ledger',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // Server access log delivery supports SSE-S3 only on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: retention }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the feed bucket; logging its own accesses into itself would loop.',
    });
    this.bucket = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'feed-files/',
      lifecycleRules: [
        // Usage files are the evidence behind every charge: kept for billing disputes, then deleted.
        { expiration: retention, noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The native CloudFormation setting: `eventBridgeEnabled: true` would deploy a custom resource (a Lambda
    // function of CDK's) to set the same flag.
    (this.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', true);

    this.ledgerTable = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: FILE_LEDGER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: FILE_LEDGER_TABLE.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const queueDefaults = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    } as const;
    this.deadLetterQueue = new sqs.Queue(this, 'FileEventsDeadLetters', queueDefaults);
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself the dead-letter queue of the file-event queue; a dead-letter queue has no further redrive.',
    });
    this.queue = new sqs.Queue(this, 'FileEvents', {
      ...queueDefaults,
      // Shorter than Lambda's guidance for SQS sources (six times the function timeout), on purpose: a second
      // delivery while an invocation still works on the file is harmless (the ledger's lock stops one of
      // them), whereas a failed file should resume within minutes, not hours: a feed's delay is what lets
      // usage slip past a cap.
      visibilityTimeout: timeout.plus(Duration.minutes(2)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    this.rule = new events.Rule(this, 'FileLanded', {
      description: 'A usage file landed in a feed folder of the feed bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.bucket.bucketName] },
          object: { key: props.feeds.map((f) => ({ prefix: `${f.mapping.feed}/` })) },
        },
      },
      // An event EventBridge cannot deliver (the queue unreachable after its retries) waits in the same
      // dead-letter queue as a file that failed five times: one place to look, one alarm.
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });

    this.function = new SpendcapFunction(this, 'Function', {
      functionDir: 'ingest-feed-files',
      description: 'Maps each line of a landed usage file to a carrier event on the usage stream; bad lines and bad files to the quarantine',
      settings: props.settings,
      logRetention: props.logRetention,
      memorySize: props.memorySize ?? 1_024,
      timeout,
      // Too large for the environment (4 KB with the settings): baked into the bundle, validated at synth.
      define: { [`process.env.${FEED_MAPPINGS_VARIABLE}`]: JSON.stringify(JSON.stringify(Object.fromEntries(props.feeds.map((f) => [f.mapping.feed, f.mapping])))) },
    });
    bindStreamProducer(this.function, ENV.usageStreamArn, props.stream.stream);
    bindTable(this.function, ENV.feedLedgerTable, this.ledgerTable, { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] });
    bindQueue(this.function, ENV.feedQueueUrl, this.queue);
    this.grantFiles(props.feeds);
    const eventSource = new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: MAX_CONCURRENCY });
    this.function.addEventSource(eventSource);
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'An SQS event source has no on-failure destination (Lambda offers one for stream and Kafka sources); a message that fails five times goes to the queue\'s own dead-letter queue, which is alarmed.',
    });

    for (const feed of props.feeds) this.feedAlarms(feed);
    this.alarms.push(
      new cloudwatch.Alarm(this, 'FileEventsDeadLettersDepth', {
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'A usage file failed five times: its lines after the last saved stretch are not on the stream (docs/operations.md).',
      }),
    );
  }

  /**
   * Least privilege on the bucket: read the files of the configured feeds (any version), write only under
   * quarantine/, and use the key for both.
   */
  private grantFiles(feeds: readonly FeedConfig[]): void {
    const fn = this.function;
    const feedObjects = feeds.map((f) => this.bucket.arnForObjects(`${f.mapping.feed}/*`));
    const quarantineObjects = this.bucket.arnForObjects(`${QUARANTINE_PREFIX}*`);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: feedObjects }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [quarantineObjects] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.key.keyArn] }));
    // PutMetricData has no resource-level permissions; the condition holds it to the stack's namespace.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
    const role = fn.role!;
    for (const [i, arn] of feedObjects.entries()) {
      acknowledgeWildcardResource(role, arn, `Reads the files of feed "${feeds[i]!.mapping.feed}": any file under its folder, by design.`);
    }
    acknowledgeWildcardResource(role, quarantineObjects, 'Writes bad lines and refused files under quarantine/ (names derived from the file): nowhere else.');
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData supports no resource-level permission; the statement is held to the spendcap namespace by the cloudwatch:namespace condition. Also X-Ray (xray:PutTraceSegments, PutTelemetryRecords).',
    });
  }

  private metric(name: string, feed: string, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [FEED_DIMENSION]: feed },
      statistic,
      period,
      ...(label !== undefined ? { label } : {}),
    });
  }

  private feedAlarms(feed: FeedConfig): void {
    const name = feed.mapping.feed;
    const id = name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());
    const window = silenceWindow(feed.silenceMinutes);
    const base = {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 1,
    };
    this.alarms.push(
      new cloudwatch.Alarm(this, `Feed${id}Silent`, {
        metric: this.metric(FEED_METRICS.filesReceived, name, 'Sum', Duration.minutes(window.periodMinutes)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data at all is exactly the silence this alarm is for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        evaluationPeriods: window.evaluationPeriods,
        datapointsToAlarm: window.evaluationPeriods,
        alarmDescription: `Feed ${name}: no file for ${feed.silenceMinutes} minutes. Usage is not reaching the caps: bars come late and the write-off grows (docs/operations.md).`,
      }),
      new cloudwatch.Alarm(this, `Feed${id}Late`, {
        ...base,
        metric: this.metric(FEED_METRICS.delay, name, feed.delayStatistic, Duration.minutes(15)),
        threshold: feed.maxDelayMinutes * 60,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        alarmDescription: `Feed ${name}: records arrive more than ${feed.maxDelayMinutes} minutes after the usage (${feed.delayStatistic}). The usage a cap lets through before it bars grows with the delay (docs/operations.md).`,
      }),
      new cloudwatch.Alarm(this, `Feed${id}RejectedLines`, {
        ...base,
        metric: this.metric(FEED_METRICS.rejectedLines, name, 'Sum', Duration.minutes(5)),
        threshold: feed.rejectedLinesThreshold,
        alarmDescription: `Feed ${name}: lines were rejected (kept under quarantine/ with file, line and reason) and not counted.`,
      }),
      new cloudwatch.Alarm(this, `Feed${id}FileQuarantined`, {
        ...base,
        metric: this.metric(FEED_METRICS.filesQuarantined, name, 'Sum', Duration.minutes(5)),
        threshold: 1,
        alarmDescription: `Feed ${name}: a whole file was refused (not what its mapping says) and none of it counted; the reason is under quarantine/.`,
      }),
    );
  }

  /** Dashboard rows of feed health: delay, files and records, rejections. */
  dashboardRows(): cloudwatch.IWidget[][] {
    const period = Duration.minutes(5);
    const feeds = this.feeds.map((f) => f.mapping.feed);
    return [
      [
        new cloudwatch.GraphWidget({
          title: 'Feed delay: arrival minus usage (minutes)',
          left: feeds.flatMap((feed, f) =>
            (['p50', 'p99'] as const).map(
              (statistic) =>
                new cloudwatch.MathExpression({
                  // Ids are per graph: one per feed and statistic.
                  expression: `delay${f}${statistic} / 60`,
                  usingMetrics: { [`delay${f}${statistic}`]: this.metric(FEED_METRICS.delay, feed, statistic, Duration.minutes(15)) },
                  label: `${feed} ${statistic}`,
                  period: Duration.minutes(15),
                }),
            ),
          ),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Feed files and records',
          left: feeds.map((feed) => this.metric(FEED_METRICS.filesReceived, feed, 'Sum', period, `${feed} files`)),
          right: feeds.map((feed) => this.metric(FEED_METRICS.records, feed, 'Sum', period, `${feed} records`)),
          width: 12,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Feed rejections',
          left: feeds.flatMap((feed) => [
            this.metric(FEED_METRICS.rejectedLines, feed, 'Sum', period, `${feed} lines rejected`),
            this.metric(FEED_METRICS.filesQuarantined, feed, 'Sum', period, `${feed} files refused whole`),
          ]),
          right: [this.queue.metricApproximateAgeOfOldestMessage({ period, label: 'oldest file event waiting (s)' })],
          width: 12,
        }),
        new cloudwatch.AlarmStatusWidget({ title: 'Feed alarms', alarms: this.alarms, width: 12, height: 6 }),
      ],
    ];
  }
}
