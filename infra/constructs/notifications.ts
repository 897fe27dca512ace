import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { acknowledgeWildcardResource } from '../nag.js';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import type { SpendcapFunction } from './spendcap-function.js';

export interface NotificationsProps {
  /** Alphanumeric SMS sender ID handed to the notifier (SMS_SENDER_ID). */
  readonly smsSenderId: string;
  /** Addresses subscribed to the ops topic (each confirms by e-mail). @default [] */
  readonly opsEmails?: readonly string[];
  /**
   * Retention of the SMS delivery status log groups, which the stack creates itself: SNS would create them
   * without a retention, and they record destination phone numbers.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly smsDeliveryLogRetention?: logs.RetentionDays;
  /**
   * Whether this stack creates those two log groups (their names are SNS's, one pair per account and region):
   * false for a second stack in the same account and region, whose groups the first one owns.
   * @default true
   */
  readonly createSmsDeliveryLogGroups?: boolean;
}

/**
 * Where messages leave spendcap: SMS published directly to subscribers' phone numbers, an e-mail topic
 * (the MVNO subscribes its mailer with a filter policy), and an ops topic for alarms and bill-shock alerts.
 * Topics and their dead-letter queue share a customer managed key that CloudWatch (alarm actions) and SNS
 * (subscription dead letters) may use.
 */
export class Notifications extends Construct {
  /** Copies of subscriber notifications for the e-mail channel. */
  public readonly emailTopic: sns.Topic;
  /** Operations: CloudWatch alarms, bill-shock alerts, failed policy actions. */
  public readonly opsTopic: sns.Topic;
  /** Messages SNS could not deliver to a subscription after its retries. */
  public readonly deadLetterQueue: sqs.Queue;
  /**
   * Role that SNS assumes to write SMS delivery status logs to CloudWatch Logs. SMS delivery logging is an
   * account-level SNS setting (no CloudFormation resource): see docs/deploy.md for the one CLI call.
   */
  public readonly smsDeliveryStatusRole: iam.Role;
  /** The SMS delivery status log groups (success, failure), with their retention; empty when not created here. */
  public readonly smsDeliveryLogGroups: readonly logs.LogGroup[];
  public readonly key: kms.Key;
  private readonly smsSenderId: string;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.smsSenderId = props.smsSenderId;
    const { account } = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'spendcap notification topics and their dead letters',
      enableKeyRotation: true,
    });
    // Services that publish to the encrypted topics / queue on our behalf need the key (SNS developer guide,
    // "Enable compatibility between event sources from AWS services and encrypted topics").
    for (const service of ['cloudwatch.amazonaws.com', 'sns.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue: the redrive target of the ops e-mail subscriptions (SNS subscription redrive policy, which the rule does not recognize).',
      },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the dead-letter queue of the SNS subscriptions; a dead-letter queue has no further redrive.' },
    );
    this.emailTopic = new sns.Topic(this, 'EmailTopic', {
      displayName: 'spendcap subscriber notifications (e-mail)',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: 'spendcap operations',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.opsEmails ?? []) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: this.deadLetterQueue }));
    }

    const { region, partition } = Stack.of(this);
    this.smsDeliveryStatusRole = new iam.Role(this, 'SmsDeliveryStatusRole', {
      assumedBy: new iam.ServicePrincipal('sns.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'Lets SNS write SMS delivery status logs (DirectPublishToPhoneNumber) to CloudWatch Logs',
    });
    // SNS names these log groups itself (sns/<region>/<account>/DirectPublishToPhoneNumber[/Failure]). They
    // record destination numbers: the stack creates them with a retention (SNS would create them with none),
    // and the role may not change that retention.
    const smsLogGroupNames = [`sns/${region}/${account}/DirectPublishToPhoneNumber`, `sns/${region}/${account}/DirectPublishToPhoneNumber/Failure`];
    const smsLogGroups = smsLogGroupNames.map((name) => `arn:${partition}:logs:${region}:${account}:log-group:${name}`);
    this.smsDeliveryLogGroups =
      props.createSmsDeliveryLogGroups === false
        ? []
        : smsLogGroupNames.map(
            (name, i) =>
              new logs.LogGroup(this, i === 0 ? 'SmsDeliveryLogs' : 'SmsDeliveryFailureLogs', {
                // The name is SNS's, not ours: SNS writes to the group of that name and no other.
                logGroupName: name,
                retention: props.smsDeliveryLogRetention ?? logs.RetentionDays.ONE_MONTH,
                removalPolicy: RemovalPolicy.DESTROY,
              }),
          );
    this.smsDeliveryStatusRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [...smsLogGroups, ...smsLogGroups.map((arn) => `${arn}:*`)],
      }),
    );
    for (const arn of smsLogGroups) {
      acknowledgeWildcardResource(
        this.smsDeliveryStatusRole,
        `${arn}:*`,
        'Log streams of the SMS delivery status log groups that SNS creates and names itself: SNS picks the stream names, so the role is limited to the streams of these two groups.',
      );
    }
  }

  /**
   * Lets a function send SMS directly to phone numbers: sets SMS_SENDER_ID and allows sns:Publish on every
   * resource that is NOT an SNS ARN, i.e. on phone numbers only (a direct SMS publish has no resource ARN, so
   * IAM cannot name it; `NotResource` keeps the statement from reaching any topic or platform endpoint).
   */
  bindSmsSender(fn: SpendcapFunction): void {
    fn.addEnvironment(ENV.smsSenderId, this.smsSenderId);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        notResources: [`arn:${Stack.of(this).partition}:sns:*:*:*`],
      }),
    );
  }

  /** SMS that SNS failed to deliver (after carrier retries), all destinations. */
  metricSmsFailures(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SNS',
      metricName: 'NumberOfNotificationsFailed',
      dimensionsMap: { PhoneNumber: 'PhoneNumberDirect' },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }
}
