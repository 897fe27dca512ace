import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import { LINE_ATTRIBUTES } from '../shared/adapters/dynamo-bar-store.js';
import type { Construct } from 'constructs';
import { ENV } from '../shared/config/env-names.js';
import type { DeploymentConfig } from './config.js';
import { addDeploymentWarnings } from './deployment-warnings.js';
import { acknowledgeWildcardResource } from './nag.js';
import { CarrierGateway } from './constructs/carrier-gateway.js';
import { EventStream } from './constructs/event-stream.js';
import { FeedIngest } from './constructs/feed-ingest.js';
import { FeedSftp } from './constructs/feed-sftp.js';
import { Ingest } from './constructs/ingest.js';
import { QuarantineRedrive } from './constructs/quarantine-redrive.js';
import { Monitoring } from './constructs/monitoring.js';
import { Notifications } from './constructs/notifications.js';
import { PolicyWorkflow } from './constructs/policy-workflow.js';
import { PseudonymKey } from './constructs/pseudonym-key.js';
import { Realtime } from './constructs/realtime.js';
import { SelfCareApi } from './constructs/self-care-api.js';
import { SesMailer } from './constructs/ses-mailer.js';
import { bindStateMachine, bindTable, bindTopic, SpendcapFunction, type SpendcapFunctionProps } from './constructs/spendcap-function.js';
import { Store } from './constructs/store.js';
import { UnbarScheduler } from './constructs/unbar-scheduler.js';

export interface SpendcapStackProps extends StackProps {
  /** The validated deployment configuration (infra/config.ts). */
  readonly config: DeploymentConfig;
}

/**
 * One spendcap deployment: carrier events stream in, ingest counts them, the policy workflow warns and bars,
 * and monitoring watches it all. Composed of one construct per concern; every construct is exposed so that
 * a further concern (the self-care API) is added with `newFunction` and the bindings, without reaching into
 * the constructs' internals.
 */
export class SpendcapStack extends Stack {
  public readonly config: DeploymentConfig;
  public readonly store: Store;
  /** The key of subscriber pseudonyms (logs, alerts, execution and schedule names), retained with the tables. */
  public readonly pseudonymKey: PseudonymKey;
  public readonly stream: EventStream;
  public readonly notifications: Notifications;
  public readonly carrierGateway: CarrierGateway;
  public readonly unbarScheduler: UnbarScheduler;
  public readonly workflow: PolicyWorkflow;
  public readonly ingest: Ingest;
  /** The quarantine's redrive, invoked by an operator once the cause of rejections is fixed. */
  public readonly redrive: QuarantineRedrive;
  public readonly selfCareApi: SelfCareApi;
  /** The SES mailer, when `mailer.enabled`. */
  public readonly mailer?: SesMailer;
  public readonly monitoring: Monitoring;
  /** The real-time path (online quota, spending limit control), when the deployment enables it. */
  public readonly realtime?: Realtime;
  /** Usage files (docs/feeds.md): present when feeds are configured. */
  public readonly feeds?: FeedIngest;
  /** SFTP in front of the feed bucket: present when `feeds.sftp.enabled`. */
  public readonly feedSftp?: FeedSftp;
  /** Every function of the stack by a readable name (monitored: errors and throttles). */
  public readonly functions: Record<string, SpendcapFunction> = {};

  constructor(scope: Construct, id: string, props: SpendcapStackProps) {
    super(scope, id, {
      description: 'spendcap: per-subscriber spend caps for MVNOs (EU Regulation 2022/612 Art. 14)',
      terminationProtection: props.config.terminationProtection,
      tags: { ...props.config.tags },
      ...props,
    });
    const { config } = props;
    this.config = config;
    addDeploymentWarnings(this, config);

    this.store = new Store(this, 'Store', { profilesStream: config.realtime.enabled });
    this.pseudonymKey = new PseudonymKey(this, 'PseudonymKey');
    this.stream = new EventStream(this, 'EventStream', {
      capacityMode: config.stream.capacityMode,
      ...(config.stream.shardCount === undefined ? {} : { shardCount: config.stream.shardCount }),
      retentionHours: config.stream.retentionHours,
    });
    this.notifications = new Notifications(this, 'Notifications', {
      smsSenderId: config.sms.senderId,
      opsEmails: config.ops.emails,
      smsDeliveryLogRetention: config.logs.retentionDays,
      createSmsDeliveryLogGroups: config.sms.createDeliveryLogGroups,
    });
    this.carrierGateway = new CarrierGateway(
      this,
      'CarrierGateway',
      config.carrier.mode === 'https' ? { mode: 'https', endpointUrl: config.carrier.endpointUrl } : { mode: config.carrier.mode },
    );
    this.unbarScheduler = new UnbarScheduler(this, 'UnbarScheduler');

    const { usageTable, profilesTable, auditTable } = this.store;
    const { opsTopic, emailTopic } = this.notifications;

    const reconcile = this.newFunction('ReconcileLine', {
      functionDir: 'reconcile-line',
      description: 'Cap policy: brings the line\'s carrier bars in line with the caps (lift scheduled first, commands once)',
      // Retries with backoff are the state machine's; one attempt must still outlast a slow operator endpoint.
      timeout: Duration.seconds(30),
    });
    this.carrierGateway.bindCommandSender(reconcile);
    this.unbarScheduler.bindScheduleCreator(reconcile);
    bindTable(reconcile, ENV.profilesTable, profilesTable, { actions: ['dynamodb:GetItem'] });
    // Reads the current period's counters; writes only the line's own attributes (bars, lease, index keys).
    bindTable(reconcile, ENV.usageTable, usageTable, { actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'] });
    bindTable(reconcile, ENV.usageTable, usageTable, { actions: ['dynamodb:UpdateItem'], onlyAttributes: LINE_ATTRIBUTES });
    bindTable(reconcile, ENV.auditTable, auditTable, 'append');

    const plan = this.newFunction('PolicyPlan', {
      functionDir: 'policy-plan',
      description: 'Cap policy: which messages a request calls for once the line is reconciled, texts rendered',
    });
    bindTable(plan, ENV.profilesTable, profilesTable, { actions: ['dynamodb:GetItem'] });
    // Where the subscriber is (the price in a roaming cap message that no usage event caused).
    bindTable(plan, ENV.usageTable, usageTable, { actions: ['dynamodb:BatchGetItem'] });
    // The plan only addresses bill-shock alerts to the ops topic; the notify task publishes them.
    plan.addEnvironment(ENV.opsTopicArn, opsTopic.topicArn);

    const notify = this.newFunction('PolicyNotify', {
      functionDir: 'policy-notify',
      description: 'Cap policy: sends one notification (SMS, e-mail topic or ops topic) once, with its audit entry',
    });
    this.notifications.bindSmsSender(notify);
    bindTopic(notify, ENV.emailTopicArn, emailTopic);
    bindTopic(notify, ENV.opsTopicArn, opsTopic);
    bindTable(notify, ENV.auditTable, auditTable, 'append');

    const reportFailure = this.newFunction('PolicyReportFailure', {
      functionDir: 'policy-report-failure',
      description: 'Cap policy: records an action that failed after its retries and alerts the ops topic',
    });
    bindTopic(reportFailure, ENV.opsTopicArn, opsTopic);
    bindTable(reportFailure, ENV.auditTable, auditTable, 'append');

    this.workflow = new PolicyWorkflow(this, 'PolicyWorkflow', {
      tasks: { reconcile, plan, notify, reportFailure },
      logRetention: config.logs.retentionDays,
    });
    this.unbarScheduler.allowStart(this.workflow.stateMachine);
    this.acknowledgeWorkflowRole([reconcile, plan, notify, reportFailure]);

    const sweep = this.newFunction('SweepOverdueBars', {
      functionDir: 'sweep-bars',
      description: 'Safety net: starts the lift of any bar still in force after its period ended (alarmed)',
      timeout: Duration.minutes(5),
    });
    bindTable(sweep, ENV.usageTable, usageTable, { actions: ['dynamodb:Query', 'dynamodb:GetItem'] });
    bindStateMachine(sweep, ENV.policyStateMachineArn, this.workflow.stateMachine);
    const sweepSchedule = new events.Rule(this, 'SweepOverdueBarsSchedule', {
      description: 'spendcap: look for bars that outlived their period',
      schedule: events.Schedule.rate(Duration.minutes(15)),
      targets: [new eventsTargets.LambdaFunction(sweep, { retryAttempts: 2 })],
    });
    Validations.of(sweepSchedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason: 'A periodic sweep carries no data: an invocation that cannot be delivered is made good by the next one 15 minutes later, and the function\'s errors are alarmed.',
    });

    this.ingest = new Ingest(this, 'Ingest', {
      stream: this.stream,
      store: this.store,
      policyStateMachine: this.workflow.stateMachine,
      settings: config.policy,
      logRetention: config.logs.retentionDays,
      batchSize: config.ingest.batchSize,
      maxBatchingWindow: Duration.seconds(config.ingest.maxBatchingWindowSeconds),
      parallelizationFactor: config.ingest.parallelizationFactor,
      retryAttempts: config.ingest.retryAttempts,
      maxRecordAge: Duration.seconds(config.ingest.maxRecordAgeSeconds),
      memorySize: config.ingest.memorySizeMb,
      timeout: Duration.seconds(config.ingest.timeoutSeconds),
      limits: config.ingest.limits,
      quarantineRetention: Duration.days(config.ingest.quarantineRetentionDays),
    });
    this.functions.IngestEvents = this.ingest.function;
    this.redrive = new QuarantineRedrive(this, 'QuarantineRedrive', {
      quarantineQueue: this.ingest.quarantineQueue,
      stream: this.stream,
      store: this.store,
      settings: config.policy,
      logRetention: config.logs.retentionDays,
      limits: config.ingest.limits,
    });
    this.functions.RedriveQuarantine = this.redrive.function;

    if (config.feeds.definitions.length > 0) {
      this.feeds = new FeedIngest(this, 'Feeds', {
        feeds: config.feeds.definitions,
        stream: this.stream,
        settings: config.policy,
        logRetention: config.logs.retentionDays,
        retentionDays: config.feeds.retentionDays,
        timeout: Duration.seconds(config.feeds.timeoutSeconds),
        memorySize: config.feeds.memorySizeMb,
      });
      this.functions.IngestFeedFiles = this.feeds.function;
      if (config.feeds.sftp.enabled) {
        this.feedSftp = new FeedSftp(this, 'FeedSftp', {
          bucket: this.feeds.bucket,
          key: this.feeds.key,
          users: config.feeds.sftp.users,
          logRetention: config.logs.retentionDays,
        });
      }
    }

    this.selfCareApi = new SelfCareApi(this, 'SelfCareApi', {
      tables: { usage: usageTable, profiles: profilesTable, audit: auditTable },
      policyStateMachine: this.workflow.stateMachine,
      settings: config.policy,
      logRetention: config.logs.retentionDays,
      pseudonymKey: this.pseudonymKey,
      messages: { emailTopic, bindSmsSender: (fn) => this.notifications.bindSmsSender(fn) },
    });
    Object.assign(this.functions, this.selfCareApi.functions);

    if (config.mailer.enabled && config.mailer.fromAddress !== undefined) {
      this.mailer = new SesMailer(this, 'Mailer', {
        emailTopic,
        opsTopic,
        key: this.notifications.key,
        fromAddress: config.mailer.fromAddress,
        settings: config.policy,
        logRetention: config.logs.retentionDays,
      });
      Object.assign(this.functions, this.mailer.functions);
    }
    const { realtime } = config;
    if (realtime.enabled && realtime.certificateArn !== undefined && realtime.auth !== undefined) {
      const quota = realtime.quota;
      this.realtime = new Realtime(this, 'Realtime', {
        store: this.store,
        stream: this.stream,
        settings: config.policy,
        realtimeSettings: quota,
        certificateArn: realtime.certificateArn,
        auth: realtime.auth,
        ingressCidrs: realtime.ingressCidrs,
        internetFacing: realtime.internetFacing,
        logRetention: config.logs.retentionDays,
        opsTopic,
      });
      Object.assign(this.functions, this.realtime.functions);
      if (config.carrier.mode === 'nchf') this.realtime.bindCarrierCommand(reconcile, this.store);
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      opsTopic,
      stream: this.stream.stream,
      ingestFunction: this.ingest.function,
      policyStateMachine: this.workflow.stateMachine,
      functions: this.functions,
      reconcileFunction: reconcile,
      liftSchedules: this.unbarScheduler.group,
      notifyFunction: notify,
      reportFailureFunction: reportFailure,
      deadLetterQueues: {
        FailedBatches: this.ingest.failedBatchQueue,
        IngestDeadLetters: this.ingest.deadLetterQueue,
        NotificationDeadLetters: this.notifications.deadLetterQueue,
        InboundSmsDeadLetters: this.selfCareApi.inboundSmsDeadLetterQueue,
        LiftScheduleDeadLetters: this.unbarScheduler.deadLetterQueue,
        ...(this.mailer !== undefined && { MailerDeadLetters: this.mailer.deadLetterQueue }),
      },
      quarantineQueue: this.ingest.quarantineQueue,
      smsFailures: this.notifications.metricSmsFailures(),
      iteratorAgeThresholdMs: config.alarms.iteratorAgeMs,
      smsFailuresThreshold: config.alarms.smsFailuresPer5Min,
      quarantineDepthThreshold: config.alarms.quarantineDepth,
      quarantineAgeThreshold: Duration.hours(config.alarms.quarantineAgeHours),
    });

    if (this.feeds !== undefined) this.monitoring.addSection('Usage files (feeds)', this.feeds.dashboardRows(), this.feeds.alarms);

    // Every function that logs, names or alerts about a subscriber reads the pseudonym key (the API's own
    // functions are bound by their construct); a function without it fails rather than use the public key.
    for (const fn of [reconcile, plan, notify, reportFailure, sweep, this.ingest.function]) this.pseudonymKey.bindTo(fn);
    if (this.realtime !== undefined) this.pseudonymKey.bindTo(this.realtime.subscriberRemovedFunction);

    this.outputs();
  }

  /**
   * A function built with the deployment's settings and log retention, registered in `functions` (and so
   * monitored when created before the monitoring, or with `monitoring.watchFunction` after). Bind resources
   * to it with the helpers of constructs/spendcap-function.ts.
   */
  newFunction(id: string, props: Omit<SpendcapFunctionProps, 'settings' | 'logRetention'>): SpendcapFunction {
    const fn = new SpendcapFunction(this, id, {
      settings: this.config.policy,
      logRetention: this.config.logs.retentionDays,
      ...props,
    });
    this.functions[id] = fn;
    if (this.monitoring !== undefined) this.monitoring.watchFunction(id, fn);
    return fn;
  }

  /**
   * What CDK grants the state machine's role and cdk-nag flags. Kept here, next to the task functions, rather
   * than suppressed wholesale: each acknowledgement names one finding.
   */
  private acknowledgeWorkflowRole(taskFunctions: readonly SpendcapFunction[]): void {
    const role = this.workflow.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Granted by CDK for the state machine\'s X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and vended log delivery (logs:CreateLogDelivery, ...): these actions do not support resource-level permissions.',
    });
    for (const fn of taskFunctions) {
      acknowledgeWildcardResource(
        role,
        `${fn.functionArn}:*`,
        `lambda:InvokeFunction on the ${fn.functionDir} task function and its versions/aliases (the ARN qualifier), as CDK grants every LambdaInvoke task; no other function.`,
      );
    }
  }

  private outputs(): void {
    new CfnOutput(this, 'EventStreamName', {
      value: this.stream.stream.streamName,
      description: 'Kinesis stream the mediation layer writes carrier events to (partition key = subscriberId)',
    });
    new CfnOutput(this, 'EventStreamArn', {
      value: this.stream.stream.streamArn,
      description: 'Grant the mediation layer kinesis:PutRecord(s) on this stream and kms:GenerateDataKey on its key',
    });
    new CfnOutput(this, 'ProfilesTableName', { value: this.store.profilesTable.tableName, description: 'Subscriber profiles (subscriber.v1); retained' });
    new CfnOutput(this, 'UsageTableName', { value: this.store.usageTable.tableName, description: 'Counters, subscriber state and de-duplication claims; retained' });
    new CfnOutput(this, 'AuditTableName', { value: this.store.auditTable.tableName, description: 'Audit trail of notifications and carrier commands; retained' });
    new CfnOutput(this, 'QuarantineQueueUrl', { value: this.ingest.quarantineQueue.queueUrl, description: 'Rejected carrier events, each with its reason' });
    new CfnOutput(this, 'RedriveFunctionName', {
      value: this.redrive.function.functionName,
      description: 'Puts quarantined records back through ingest: npm run redrive -- --function <this> (dry run unless --apply)',
    });
    new CfnOutput(this, 'OpsTopicArn', { value: this.notifications.opsTopic.topicArn, description: 'Alarms, bill-shock alerts and failed actions: subscribe the on-call tools here' });
    new CfnOutput(this, 'EmailTopicArn', { value: this.notifications.emailTopic.topicArn, description: 'E-mail warnings, each with a recipient attribute: the mailer or your own subscription delivers them' });
    new CfnOutput(this, 'SmsDeliveryStatusRoleArn', {
      value: this.notifications.smsDeliveryStatusRole.roleArn,
      description: 'aws sns set-sms-attributes --attributes DeliveryStatusIAMRole=<this>,DeliveryStatusSuccessSamplingRate=0 (failures only; the stack sets the retention of the log groups)',
    });
    new CfnOutput(this, 'SelfCareApiUrl', {
      value: this.selfCareApi.url,
      description: 'The API (IAM auth, SigV4), /v1: self-care, operator and pseudonym lookup routes (docs/api.md)',
    });
    new CfnOutput(this, 'SelfCareApiInvokePolicyArn', {
      value: this.selfCareApi.invokePolicies.subscriber.managedPolicyArn,
      description: 'Attach to the role of the subscriber-facing portal backend: the /v1/self-care routes only',
    });
    new CfnOutput(this, 'OperatorApiInvokePolicyArn', {
      value: this.selfCareApi.invokePolicies.operator.managedPolicyArn,
      description: 'Attach to the roles of provisioning and support: the /v1/subscribers routes (any subscriber)',
    });
    new CfnOutput(this, 'PseudonymLookupInvokePolicyArn', {
      value: this.selfCareApi.invokePolicies.pseudonymLookup.managedPolicyArn,
      description: 'Attach to the few who may go from a pseudonym (logs, alerts) back to a subscriber: /v1/pseudonyms',
    });
    new CfnOutput(this, 'PseudonymKeySecretArn', {
      value: this.pseudonymKey.secret.secretArn,
      description: 'Key of the subscriber pseudonyms (generated, retained; docs/deploy.md before rotating it)',
    });
    new CfnOutput(this, 'InboundSmsTopicArn', {
      value: this.selfCareApi.inboundSmsTopic.topicArn,
      description: 'Two-way SMS destination of the origination number: CONTINUE/CONTINUER keywords',
    });
    if (this.mailer !== undefined) {
      new CfnOutput(this, 'MailerConfigurationSetName', {
        value: this.mailer.configurationSet.configurationSetName,
        description: 'SES configuration set of the mailer: bounces and complaints are reported to the ops topic (docs/deploy.md)',
      });
    }
    if (this.feeds !== undefined) {
      new CfnOutput(this, 'FeedBucketName', {
        value: this.feeds.bucket.bucketName,
        description: 'Usage files land here, one folder per feed (<feed>/...); refused lines and files under quarantine/ (docs/feeds.md)',
      });
    }
    if (this.feedSftp !== undefined) {
      new CfnOutput(this, 'FeedSftpEndpoint', { value: this.feedSftp.endpoint, description: 'SFTP host for the host operator (one user per feed)' });
    }
    new CfnOutput(this, 'PolicyStateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'The "apply cap policy" workflow (execution history of every warning and bar)' });
    if (this.carrierGateway.bus !== undefined) {
      new CfnOutput(this, 'CarrierCommandBusName', {
        value: this.carrierGateway.bus.eventBusName,
        description: 'Add a rule on this bus to forward carrier commands to the host operator (docs/deploy.md)',
      });
    }
    if (this.realtime !== undefined) {
      new CfnOutput(this, 'SbiLoadBalancerDnsName', {
        value: this.realtime.front.dnsName,
        description: 'Point the FQDN of the charging function (the certificate name) here; SMFs and PCFs use https://<FQDN>/nchf-... (docs/realtime.md)',
      });
    }
    if (this.carrierGateway.secret !== undefined) {
      new CfnOutput(this, 'CarrierSecretArn', {
        value: this.carrierGateway.secret.secretArn,
        description: 'Put the provisioning endpoint credentials here after deploy (docs/deploy.md)',
      });
    }
  }
}
