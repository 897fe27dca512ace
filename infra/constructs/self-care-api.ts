/**
 * The API: an API Gateway HTTP API whose every route requires IAM authorization (SigV4), split by role
 * (shared/selfcare/api.ts `ROUTES`): the self-care routes (`/v1/self-care/...`, the subscriber-facing portal
 * backend) go to a function of their own that may read and change only what a subscriber may; the operator
 * routes (`/v1/subscribers...`, provisioning and support) and the pseudonym lookup (`/v1/pseudonyms/...`) go
 * to the operator function. Each role has a managed policy allowing execute-api:Invoke on its routes only,
 * for the MVNO to attach to its callers' roles. And the inbound-sms function, subscribed to the topic where
 * AWS End User Messaging publishes two-way SMS (the CONTINUER / CONTINUE replies).
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { ROUTES, routesOf, type ApiRole, type RouteKey } from '../../shared/selfcare/api.js';
import { PROFILE_FIELDS_ATTRIBUTES } from '../../shared/adapters/dynamo-profile-fields.js';
import { OUTBOX_ATTRIBUTES } from '../../shared/adapters/dynamo-usage-store-items.js';
import { acknowledgeWildcardResource } from '../nag.js';
import type { PseudonymKey } from './pseudonym-key.js';
import { bindStateMachine, bindTable, bindTopic, SpendcapFunction, type TableAccess } from './spendcap-function.js';

export interface SelfCareApiProps {
  /** The three tables of the Store construct. */
  readonly tables: { readonly usage: dynamodb.ITable; readonly profiles: dynamodb.ITable; readonly audit: dynamodb.ITable };
  /** The "apply cap policy" state machine: caps and consent bar and un-bar through it. */
  readonly policyStateMachine: sfn.IStateMachine;
  readonly settings: PolicySettings;
  readonly logRetention: logs.RetentionDays;
  /**
   * The topic of the two-way SMS number (set it as the number's TwoWayChannelArn in AWS End User Messaging).
   * @default a new topic, encrypted, that End User Messaging of this account may publish to
   */
  readonly inboundSmsTopic?: sns.ITopic;
  /**
   * Stage throttling (requests per second, burst): the API is called by the MVNO's systems, not by the public.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /** The key of subscriber pseudonyms: every function of the API logs, names and looks up by them. */
  readonly pseudonymKey: PseudonymKey;
  /** Where support's resend of a subscriber's last message goes: SMS straight to the number, e-mail through the topic. */
  readonly messages: { readonly emailTopic: sns.ITopic; bindSmsSender(fn: SpendcapFunction): void };
}

/** The stage every route is deployed on; the invoke policies name it (never `*`, see `invokeResourceOf`). */
const STAGE = '$default';

/**
 * Usage table access of both functions: the counters (BatchGetItem to load, a conditional PutItem like ingest's)
 * and the bars in force (GetItem of the STATE item). Not UpdateItem or DeleteItem: bars are the workflow's.
 */
const USAGE_ACCESS: TableAccess = { actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'] };
/** The outbox of the counters item, emptied of the requests a change started (as ingest empties it). */
const OUTBOX_ACCESS: TableAccess = { actions: ['dynamodb:UpdateItem'], onlyAttributes: OUTBOX_ATTRIBUTES };

/**
 * One JSON line per request, without the path or query string: they hold the subscriber id (often an IMSI),
 * and no personal data may reach the logs. The route key names the operation (`PUT /subscribers/{id}/caps`).
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLatency: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
    caller: '$context.identity.userArn',
  }),
);

export class SelfCareApi extends Construct {
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  /** The API's base URL (the `$default` stage). */
  public readonly url: string;
  /** The operator function: profile lifecycle, support on any subscriber, pseudonym lookup. */
  public readonly apiFunction: SpendcapFunction;
  /** The self-care function: the subscriber-facing routes only, with a subscriber's access to the tables. */
  public readonly selfCareFunction: SpendcapFunction;
  /**
   * One managed policy per role, allowing execute-api:Invoke on that role's routes only: attach the self-care
   * one to the portal backend's role, the operator one to provisioning and support, the lookup one to few.
   */
  public readonly invokePolicies: Readonly<Record<ApiRole, iam.ManagedPolicy>>;
  public readonly inboundSmsFunction: SpendcapFunction;
  public readonly inboundSmsTopic: sns.ITopic;
  /** Inbound SMS the function failed to handle after Lambda's asynchronous retries (a consent not yet given). */
  public readonly inboundSmsDeadLetterQueue: sqs.Queue;
  /** Both functions by a readable name, for the stack's monitoring. */
  public readonly functions: Readonly<Record<string, SpendcapFunction>>;

  constructor(scope: Construct, id: string, props: SelfCareApiProps) {
    super(scope, id);
    const { tables } = props;

    this.apiFunction = new SpendcapFunction(this, 'Api', {
      functionDir: 'api',
      settings: props.settings,
      logRetention: props.logRetention,
      description: 'Operator API: profile lifecycle, support on any subscriber (usage, caps, consent, channels, resend), pseudonym lookup',
      timeout: Duration.seconds(15),
    });
    // Profiles: read, write, delete, and the byMsisdn / byPseudonym indexes (search, lookup).
    bindTable(this.apiFunction, ENV.profilesTable, tables.profiles, 'readWrite');
    bindTable(this.apiFunction, ENV.usageTable, tables.usage, USAGE_ACCESS);
    bindTable(this.apiFunction, ENV.usageTable, tables.usage, OUTBOX_ACCESS);
    bindTable(this.apiFunction, ENV.auditTable, tables.audit, { actions: ['dynamodb:Query'] });
    // Choices changed on a subscriber's behalf and messages sent again are recorded in the trail.
    bindTable(this.apiFunction, ENV.auditTable, tables.audit, 'append');
    bindStateMachine(this.apiFunction, ENV.policyStateMachineArn, props.policyStateMachine);
    props.messages.bindSmsSender(this.apiFunction);
    bindTopic(this.apiFunction, ENV.emailTopicArn, props.messages.emailTopic);
    props.pseudonymKey.bindTo(this.apiFunction);

    this.selfCareFunction = new SpendcapFunction(this, 'SelfCare', {
      functionDir: 'self-care-api',
      settings: props.settings,
      logRetention: props.logRetention,
      description: "Self-care API: a subscriber's own usage and audit trail, caps within bounds, consent, notification channels",
      timeout: Duration.seconds(15),
    });
    // A subscriber reads their profile and changes only their own choices (caps, channels): no put, no
    // delete, no index (no search by number, no lookup), and no other attribute (msisdn, email, plan).
    bindTable(this.selfCareFunction, ENV.profilesTable, tables.profiles, { actions: ['dynamodb:GetItem'] });
    bindTable(this.selfCareFunction, ENV.profilesTable, tables.profiles, { actions: ['dynamodb:UpdateItem'], onlyAttributes: PROFILE_FIELDS_ATTRIBUTES });
    bindTable(this.selfCareFunction, ENV.usageTable, tables.usage, USAGE_ACCESS);
    bindTable(this.selfCareFunction, ENV.usageTable, tables.usage, OUTBOX_ACCESS);
    bindTable(this.selfCareFunction, ENV.auditTable, tables.audit, { actions: ['dynamodb:Query'] });
    bindTable(this.selfCareFunction, ENV.auditTable, tables.audit, 'append');
    bindStateMachine(this.selfCareFunction, ENV.policyStateMachineArn, props.policyStateMachine);
    props.pseudonymKey.bindTo(this.selfCareFunction);

    this.inboundSmsFunction = new SpendcapFunction(this, 'InboundSms', {
      functionDir: 'inbound-sms',
      settings: props.settings,
      logRetention: props.logRetention,
      description: 'Two-way SMS: a CONTINUER / CONTINUE reply becomes the consent to continue past the cap',
      timeout: Duration.seconds(15),
    });
    // Read only: the byMsisdn index finds the subscriber, the profile gives the billing period.
    bindTable(this.inboundSmsFunction, ENV.profilesTable, tables.profiles, 'read');
    bindTable(this.inboundSmsFunction, ENV.usageTable, tables.usage, USAGE_ACCESS);
    bindTable(this.inboundSmsFunction, ENV.usageTable, tables.usage, OUTBOX_ACCESS);
    // The consent the keyword gives is recorded in the trail (who: the line's number, when, by SMS).
    bindTable(this.inboundSmsFunction, ENV.auditTable, tables.audit, 'append');
    bindStateMachine(this.inboundSmsFunction, ENV.policyStateMachineArn, props.policyStateMachine);
    props.pseudonymKey.bindTo(this.inboundSmsFunction);
    this.functions = { SelfCareApi: this.apiFunction, SelfCareSubscriberApi: this.selfCareFunction, InboundSms: this.inboundSmsFunction };

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'spendcap API: self-care, operator and pseudonym lookup routes (IAM authorization on every route)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    this.url = this.stage.url;

    const operatorIntegration = new HttpLambdaIntegration('Api', this.apiFunction, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    const selfCareIntegration = new HttpLambdaIntegration('SelfCare', this.selfCareFunction, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    // The route list is the router's own (shared/selfcare/api.ts): a route cannot exist here and not there.
    for (const { key, role } of ROUTES) {
      const [method, path] = key.split(' ') as [string, string];
      this.httpApi.addRoutes({
        path,
        methods: [method as apigwv2.HttpMethod],
        integration: role === 'subscriber' ? selfCareIntegration : operatorIntegration,
        // Explicit on each route as well as the default: nothing here may ever be reachable unsigned.
        authorizer: new HttpIamAuthorizer(),
      });
    }
    this.invokePolicies = {
      subscriber: this.invokePolicy('SelfCareInvokePolicy', 'subscriber', "spendcap API: the self-care routes, for the subscriber-facing portal backend (a subscriber's own data and choices)"),
      operator: this.invokePolicy('OperatorInvokePolicy', 'operator', 'spendcap API: the operator routes, for provisioning and support (any subscriber)'),
      pseudonymLookup: this.invokePolicy('PseudonymLookupInvokePolicy', 'pseudonymLookup', 'spendcap API: the pseudonym lookup, from a log line or an alert back to the subscriber (grant to few)'),
    };

    this.inboundSmsTopic = props.inboundSmsTopic ?? this.newInboundSmsTopic();
    // SQS-managed encryption: SNS and the Lambda destination can write to it without a key grant, whose
    // CDK form (grantEncryptDecrypt) would give the function kms:ReEncrypt* and kms:GenerateDataKey*.
    this.inboundSmsDeadLetterQueue = new sqs.Queue(this, 'InboundSmsDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.inboundSmsDeadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the inbound SMS subscription and function.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself a dead-letter queue; a dead-letter queue has no further redrive.' },
    );
    // A lost reply is a consent never given: what SNS cannot deliver, or the function fails on after its retries, is kept.
    this.inboundSmsTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.inboundSmsFunction, { deadLetterQueue: this.inboundSmsDeadLetterQueue }),
    );
    this.inboundSmsFunction.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.inboundSmsDeadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
  }

  /**
   * The execute-api ARN a route's callers need, path parameters as `*`. The stage is named, not `*`: IAM's `*`
   * also matches `/`, so a `*` stage could let one role's pattern reach into another role's paths; with the
   * stage and the path's literal prefix fixed, each pattern can only match its own role's paths.
   */
  invokeResourceOf(route: RouteKey): string {
    const [method, path] = route.split(' ') as [string, string];
    return Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.httpApi.apiId,
      resourceName: `${STAGE}/${method}${path.replace(/\{[^}]+\}/g, '*')}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private invokePolicy(id: string, role: ApiRole, description: string): iam.ManagedPolicy {
    const resources = [...new Set(routesOf([role]).map((route) => this.invokeResourceOf(route)))];
    const policy = new iam.ManagedPolicy(this, id, {
      description,
      statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources })],
    });
    for (const resource of resources) {
      acknowledgeWildcardResource(
        policy,
        resource,
        `execute-api:Invoke on one ${role} route: the \`*\` stands for its path parameter (the subscriber id or pseudonym), after a fixed stage and path prefix that no other role's route shares.`,
      );
    }
    return policy;
  }

  /**
   * The two-way SMS topic, encrypted with a key of its own that End User Messaging of this account may use,
   * and a topic policy that lets it publish (End User Messaging SMS user guide, "Topic policies for Amazon
   * SNS topics"; SourceAccount guards against the confused deputy).
   */
  private newInboundSmsTopic(): sns.Topic {
    const { account } = Stack.of(this);
    const smsVoice = new iam.ServicePrincipal('sms-voice.amazonaws.com');
    const key = new kms.Key(this, 'InboundSmsKey', { description: 'spendcap inbound (two-way) SMS topic', enableKeyRotation: true });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [smsVoice],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    const topic = new sns.Topic(this, 'InboundSmsTopic', { displayName: 'spendcap inbound SMS (two-way)', masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [smsVoice],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    return topic;
  }
}
