/**
 * The real-time path for operators with a 5G core (docs/realtime.md): the charging function's two services
 * (Nchf_ConvergedCharging for online data quota, Nchf_SpendingLimitControl for PCF subscriptions), the
 * table of sessions, budgets and subscriptions, the notification queue and its worker (retries with backoff,
 * dead letters alarmed), the end of subscriptions when a profile is deleted (the profiles table's stream),
 * and the HTTP/2 front (SbiFront). Created only when the deployment enables it.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REALTIME_TABLE } from '../../shared/adapters/realtime-items.js';
import type { RealtimeSettingsInput } from '../../shared/config/realtime-settings.js';
import { API_ROOT_PATH as CHARGING_PATH } from '../../shared/charging/schemas.js';
import { SBI_NOTIFICATION_METRICS } from '../../shared/config/metric-names.js';
import { ENV } from '../../shared/config/env-names.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { API_ROOT_PATH as SPENDING_LIMIT_PATH } from '../../shared/spending-limit/schemas.js';
import type { EventStream } from './event-stream.js';
import { SbiFront, type SbiAuth } from './sbi-front.js';
import { bindQueue, bindStreamProducer, bindTable, SpendcapFunction, METRICS_NAMESPACE, SERVICE_NAME } from './spendcap-function.js';
import type { Store } from './store.js';

export interface RealtimeProps {
  /** The usage table (counters, bars) and the profiles table (with its stream: see Store's `profilesStream`). */
  readonly store: Store;
  /** Where the charging function puts committed usage. */
  readonly stream: EventStream;
  readonly settings: PolicySettings;
  /** Quota sizes, validity, final unit action (shared/config/realtime-settings.ts); `auth` is set from `auth.mode`. */
  readonly realtimeSettings: Omit<RealtimeSettingsInput, 'auth'>;
  readonly certificateArn: string;
  readonly auth: SbiAuth;
  readonly ingressCidrs: readonly string[];
  /** @default false */
  readonly internetFacing?: boolean;
  readonly logRetention: logs.RetentionDays;
  /** Alarms notify this topic. */
  readonly opsTopic: sns.ITopic;
  /**
   * p99 answer time of the functions above which an alarm is raised (SMFs time out at a few seconds).
   * @default Duration.millis(500)
   */
  readonly latencyAlarmThreshold?: Duration;
  /**
   * Deliveries of a notification before it moves to the dead-letter queue (with 10 s to 15 min backoff:
   * about an hour and a half of a PCF being unreachable).
   * @default 10
   */
  readonly maxNotificationAttempts?: number;
}

export class Realtime extends Construct {
  public readonly table: dynamodb.Table;
  public readonly chargingFunction: SpendcapFunction;
  public readonly spendingLimitFunction: SpendcapFunction;
  public readonly notifyFunction: SpendcapFunction;
  public readonly subscriberRemovedFunction: SpendcapFunction;
  public readonly notificationQueue: sqs.Queue;
  public readonly notificationDeadLetters: sqs.Queue;
  public readonly front: SbiFront;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Every function, by a readable name (for the stack's errors and throttles alarms). */
  public readonly functions: Readonly<Record<string, SpendcapFunction>>;
  private readonly settingsJson: string;

  constructor(scope: Construct, id: string, props: RealtimeProps) {
    super(scope, id);
    const { store } = props;
    this.settingsJson = JSON.stringify({ ...props.realtimeSettings, auth: props.auth.mode });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: REALTIME_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: REALTIME_TABLE.sortKey ?? 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: store.key,
      timeToLiveAttribute: REALTIME_TABLE.ttlAttribute,
      // Budgets and sessions are what the quota was decided on: kept with the other tables.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.notificationDeadLetters = new sqs.Queue(this, 'NotificationDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.notificationDeadLetters).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the 5G core notifications.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself a dead-letter queue; a dead-letter queue has no further redrive.' },
    );
    this.notificationQueue = new sqs.Queue(this, 'Notifications', {
      // SQS-managed: the producers (carrier command, spending limit control) need no key grant.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(60),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.notificationDeadLetters, maxReceiveCount: props.maxNotificationAttempts ?? 10 },
    });

    this.chargingFunction = this.newFunction('Charging', props, {
      functionDir: 'nchf-charging',
      description: 'Nchf_ConvergedCharging: online data quota for PDU sessions, within the subscriber caps',
      memorySize: 1_024,
      timeout: Duration.seconds(10),
    });
    this.bindRealtimeTable(this.chargingFunction, ['dynamodb:GetItem', 'dynamodb:PutItem']);
    // The counters, read as ingest reads them (BatchGetItem of STATE and P# items): never written here.
    bindTable(this.chargingFunction, ENV.usageTable, store.usageTable, { actions: ['dynamodb:BatchGetItem'] });
    bindTable(this.chargingFunction, ENV.profilesTable, store.profilesTable, { actions: ['dynamodb:GetItem'] });
    bindStreamProducer(this.chargingFunction, ENV.usageStreamArn, props.stream.stream);

    this.spendingLimitFunction = this.newFunction('SpendingLimit', props, {
      functionDir: 'nchf-spending-limit',
      description: 'Nchf_SpendingLimitControl: PCF subscriptions to the status of the caps as policy counters',
      timeout: Duration.seconds(10),
    });
    this.bindRealtimeTable(this.spendingLimitFunction, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query']);
    bindTable(this.spendingLimitFunction, ENV.profilesTable, store.profilesTable, 'read');
    bindTable(this.spendingLimitFunction, ENV.usageTable, store.usageTable, { actions: ['dynamodb:GetItem'], onlyAttributes: ['barDataRoaming', 'barDataOverage'] });
    bindQueue(this.spendingLimitFunction, ENV.sbiNotificationQueueUrl, this.notificationQueue);

    this.notifyFunction = this.newFunction('Notify', props, {
      functionDir: 'nchf-notify',
      description: 'Delivers notifications to the 5G core over HTTP/2 (PCF status, SMF re-authorisation), with backoff',
      timeout: Duration.seconds(30),
    });
    this.bindRealtimeTable(this.notifyFunction, ['dynamodb:GetItem']);
    bindTable(this.notifyFunction, ENV.usageTable, store.usageTable, { actions: ['dynamodb:GetItem'], onlyAttributes: ['barDataRoaming', 'barDataOverage'] });
    const notifications = new SqsEventSource(this.notificationQueue, { batchSize: 10, reportBatchItemFailures: true });
    this.notifyFunction.addEventSource(notifications);
    const mapping = this.notifyFunction.node.children.find((c) => c.node.id.startsWith('SqsEventSource:'));
    if (mapping === undefined) throw new Error(`${this.node.path}: the notification queue's event source mapping was not created`);
    Validations.of(mapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'An SQS event source mapping has no on-failure destination: the queue\'s redrive policy moves a notification that keeps failing to its dead-letter queue (alarmed).',
    });

    this.subscriberRemovedFunction = this.newFunction('SubscriberRemoved', props, {
      functionDir: 'nchf-subscriber-removed',
      description: 'Ends the PCF subscriptions of a deleted subscriber profile (and tells each PCF)',
    });
    this.bindRealtimeTable(this.subscriberRemovedFunction, ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Query']);
    bindQueue(this.subscriberRemovedFunction, ENV.sbiNotificationQueueUrl, this.notificationQueue);
    if (store.profilesTable.tableStreamArn === undefined) {
      throw new Error(`${this.node.path}: the profiles table needs its stream (Store profilesStream: true)`);
    }
    const removedFailures = new sqs.Queue(this, 'SubscriberRemovedFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(removedFailures).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the on-failure destination of the profiles stream mapping.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself an on-failure destination; it has no further redrive.' },
    );
    this.subscriberRemovedFunction.addEventSource(
      new DynamoEventSource(store.profilesTable, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 50,
        bisectBatchOnError: true,
        retryAttempts: 20,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(removedFailures),
        filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('REMOVE') })],
      }),
    );

    this.functions = {
      NchfCharging: this.chargingFunction,
      NchfSpendingLimit: this.spendingLimitFunction,
      NchfNotify: this.notifyFunction,
      NchfSubscriberRemoved: this.subscriberRemovedFunction,
    };

    this.front = new SbiFront(this, 'Front', {
      certificateArn: props.certificateArn,
      auth: props.auth,
      ingressCidrs: props.ingressCidrs,
      ...(props.internetFacing !== undefined ? { internetFacing: props.internetFacing } : {}),
      routes: [
        { pathPrefix: CHARGING_PATH, function: this.chargingFunction },
        { pathPrefix: SPENDING_LIMIT_PATH, function: this.spendingLimitFunction },
      ],
      logRetention: props.logRetention,
    });

    this.alarmsOn(props, removedFailures);
  }

  /**
   * Lets the carrier-command function apply bars as policy counter statuses (carrier mode `nchf`): statuses and
   * subscriptions in the realtime table, budgets read for re-authorisations, profiles read for the current
   * period, notifications queued.
   */
  bindCarrierCommand(fn: SpendcapFunction, store: Store): void {
    this.bindRealtimeTable(fn, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    bindTable(fn, ENV.profilesTable, store.profilesTable, { actions: ['dynamodb:GetItem'] });
    bindQueue(fn, ENV.sbiNotificationQueueUrl, this.notificationQueue);
  }

  private newFunction(id: string, props: RealtimeProps, options: { functionDir: string; description: string; memorySize?: number; timeout?: Duration }): SpendcapFunction {
    return new SpendcapFunction(this, id, {
      ...options,
      settings: props.settings,
      logRetention: props.logRetention,
      environment: { [ENV.realtimeSettings]: this.settingsJson },
    });
  }

  private bindRealtimeTable(fn: SpendcapFunction, actions: readonly string[]): void {
    bindTable(fn, ENV.realtimeTable, this.table, { actions });
  }

  private alarmsOn(props: RealtimeProps, removedFailures: sqs.IQueue): void {
    const action = new actions.SnsAction(props.opsTopic);
    const fiveMinutes = Duration.minutes(5);
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string): void => {
      const a = new cloudwatch.Alarm(this, `${id}Alarm`, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };
    const emf = (metricName: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: fiveMinutes });
    alarm(
      'NotificationDeadLetters',
      this.notificationDeadLetters.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
      1,
      'A notification to the 5G core failed after every retry: a PCF may not know a bar or its lift (docs/realtime.md, operations).',
    );
    alarm('NotificationsRejected', emf(SBI_NOTIFICATION_METRICS.rejected), 1, 'A PCF or SMF refused a notification (4xx): check its configuration (docs/realtime.md).');
    alarm(
      'SubscriberRemovedFailures',
      removedFailures.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
      1,
      'The subscriptions of a deleted subscriber could not be ended: a PCF keeps a subscription to a subscriber that no longer exists.',
    );
    alarm('SbiServerErrors', this.front.metricServerErrors(), 5, 'The charging function answers 5xx to SMFs or PCFs: quota requests fail (the SMF applies its failure handling).');
    alarm(
      'SbiLatencyP99',
      this.front.metricTargetResponseTimeP99(),
      (props.latencyAlarmThreshold ?? Duration.millis(500)).toMilliseconds() / 1000,
      'Quota answers are slow (p99): SMFs may time out and apply their failure handling.',
    );
  }
}
