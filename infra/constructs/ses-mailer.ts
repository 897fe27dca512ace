/**
 * The optional e-mail delivery path (config `mailer.enabled`): a function subscribed to the e-mail topic
 * that sends each message with Amazon SES to its `recipient` message attribute, and an SES configuration
 * set whose bounces, complaints and rejections come back on a topic of their own to the same function,
 * which tells the ops topic without the address.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { bindTopic, SpendcapFunction } from './spendcap-function.js';

export interface SesMailerProps {
  /** Where the notify task publishes e-mail warnings, each with a `recipient` message attribute. */
  readonly emailTopic: sns.ITopic;
  /** Where bounces, complaints and refused messages are reported (without the address). */
  readonly opsTopic: sns.ITopic;
  /**
   * Key of the feedback topic; SES of this account is allowed to use it. The notification topics' key, so
   * that every topic that carries messages about subscribers shares one key policy.
   */
  readonly key: kms.IKey;
  /** Sender address: the address itself or its domain must be a verified SES identity in the stack's region. */
  readonly fromAddress: string;
  readonly settings: PolicySettings;
  readonly logRetention: logs.RetentionDays;
}

export class SesMailer extends Construct {
  public readonly function: SpendcapFunction;
  /** Bounces and complaints are tracked, and suppressed addresses skipped, through this configuration set. */
  public readonly configurationSet: ses.ConfigurationSet;
  /** Where SES publishes the mailer's bounce, complaint and reject events. */
  public readonly feedbackTopic: sns.Topic;
  /** Messages SNS could not hand to the function, and invocations that failed after Lambda's retries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The function by a readable name, for the stack's monitoring. */
  public readonly functions: Readonly<Record<string, SpendcapFunction>>;

  constructor(scope: Construct, id: string, props: SesMailerProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      // Bounced and complained addresses are not attempted again: repeated bounces get an SES account paused.
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    const configurationSetArn = `arn:${partition}:ses:${region}:${account}:configuration-set/${this.configurationSet.configurationSetName}`;

    const sesPrincipal = new iam.ServicePrincipal('ses.amazonaws.com');
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [sesPrincipal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.feedbackTopic = new sns.Topic(this, 'FeedbackTopic', {
      displayName: 'spendcap e-mail bounces and complaints (SES)',
      masterKey: props.key,
      enforceSSL: true,
    });
    const publish = this.feedbackTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [sesPrincipal],
        actions: ['sns:Publish'],
        resources: [this.feedbackTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account, 'aws:SourceArn': configurationSetArn } },
      }),
    );
    const destination = this.configurationSet.addEventDestination('ToFeedbackTopic', {
      destination: ses.EventDestination.snsTopic(this.feedbackTopic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.REJECT],
    });
    // SES checks that it may publish when the destination is created.
    if (publish.policyDependable !== undefined) destination.node.addDependency(publish.policyDependable);

    // SQS-managed encryption: SNS and the Lambda destination write to it without a key grant.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the mailer subscriptions and function.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself a dead-letter queue; a dead-letter queue has no further redrive.' },
    );

    this.function = new SpendcapFunction(this, 'Function', {
      functionDir: 'email-mailer',
      settings: props.settings,
      logRetention: props.logRetention,
      description: 'E-mail delivery: sends each e-mail topic message to its recipient with SES, reports bounces and complaints to ops',
      timeout: Duration.seconds(15),
    });
    this.function.addEnvironment(ENV.mailerFromAddress, props.fromAddress);
    this.function.addEnvironment(ENV.mailerConfigurationSet, this.configurationSet.configurationSetName);
    this.function.addEnvironment(ENV.mailerFeedbackTopicArn, this.feedbackTopic.topicArn);
    bindTopic(this.function, ENV.opsTopicArn, props.opsTopic);
    const domain = props.fromAddress.slice(props.fromAddress.lastIndexOf('@') + 1);
    // SES authorizes SendEmail on the sending identity (the address, or its verified domain) and on the
    // configuration set; the condition pins the From address whichever identity matches.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          `arn:${partition}:ses:${region}:${account}:identity/${domain}`,
          `arn:${partition}:ses:${region}:${account}:identity/${props.fromAddress}`,
          configurationSetArn,
        ],
        conditions: { StringEquals: { 'ses:FromAddress': props.fromAddress } },
      }),
    );
    this.functions = { EmailMailer: this.function };

    // Only messages for a subscriber carry a recipient; the account managers' copies are for their own subscriptions.
    props.emailTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.function, {
        deadLetterQueue: this.deadLetterQueue,
        filterPolicy: { recipient: sns.SubscriptionFilter.existsFilter() },
      }),
    );
    this.feedbackTopic.addSubscription(new subscriptions.LambdaSubscription(this.function, { deadLetterQueue: this.deadLetterQueue }));
    this.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
  }
}
