/**
 * The one way spendcap builds a Lambda function, so that runtime, architecture, tracing, source maps, log
 * retention and bundling are decided once (as Powertools' FunctionWithLogGroup and aws-solutions-constructs
 * do), plus binding helpers that hand a resource to a function: they set the environment variable named in
 * shared/config/env-names.ts AND grant exactly the access the function needs, in one call, so that an
 * environment variable never exists without its permission, nor a permission without its use.
 */
import { existsSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV, OBSERVABILITY, type EnvName } from '../../shared/config/env-names.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { TABLES, type TableDesign } from '../../shared/adapters/tables.js';
import { REALTIME_TABLE } from '../../shared/adapters/realtime-items.js';
import { nodejsBundlingOf, PROJECT_ROOT, type LambdaBundleInput } from '../bundling/lambda-bundle.js';

export { PROJECT_ROOT };

/** Log retention when the deployment says nothing (`logs.retentionDays`): a month of logs, read for incidents; the
 * trail the regulation asks for is the audit table, not the logs. */
export const LOG_RETENTION_DEFAULT = logs.RetentionDays.ONE_MONTH;

/** Powertools metrics namespace of every spendcap function (the dashboard reads it). */
export const METRICS_NAMESPACE = OBSERVABILITY.metricsNamespace;

/** Default Powertools service name (the `service` dimension of every EMF metric). */
export const SERVICE_NAME = OBSERVABILITY.serviceName;

/** Lambda's limit on all environment variables of a function together is 4 KB; the settings must leave room. */
const MAX_SETTINGS_JSON_LENGTH = 3_000;

export interface SpendcapFunctionProps {
  /** Folder under functions/ whose handler.ts exports `handler`. */
  readonly functionDir: string;
  /** Deployment settings, handed to the function as SPENDCAP_SETTINGS (JSON). */
  readonly settings: PolicySettings;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default SERVICE_NAME */
  readonly serviceName?: string;
  /** Extra environment variables that are not resource bindings. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Constants baked into the bundle (esbuild `define`: expression -> JSON text), for configuration too
   * large for Lambda's 4 KB of environment (the feed mappings).
   * @default none
   */
  readonly define?: Readonly<Record<string, string>>;
}

/**
 * Node.js 22 on arm64 (Graviton: about 20% cheaper per GB-s than x86), X-Ray active tracing, a log group of
 * its own with a retention (no deprecated logRetention custom resource), an execution role with no managed
 * policy (write access to its own log group only), esbuild ESM bundle, minified, with source maps and
 * `@aws-sdk/*` left to the runtime (infra/bundling/lambda-bundle.ts).
 */
export class SpendcapFunction extends NodejsFunction {
  /** The function's log group (retention from the deployment config); metric filters attach here. */
  public readonly functionLogGroup: logs.LogGroup;
  public readonly functionDir: string;
  /** Entry and `define` of the function's bundle: with LAMBDA_ESBUILD_OPTIONS, everything esbuild is given. */
  public readonly bundle: LambdaBundleInput;

  constructor(scope: Construct, id: string, props: SpendcapFunctionProps) {
    const entry = `${PROJECT_ROOT}functions/${props.functionDir}/handler.ts`;
    if (!existsSync(entry)) {
      throw new Error(`SpendcapFunction ${id}: no handler at functions/${props.functionDir}/handler.ts`);
    }
    const settingsJson = JSON.stringify(props.settings);
    if (settingsJson.length > MAX_SETTINGS_JSON_LENGTH) {
      throw new Error(
        `spendcap.policy: the settings JSON is ${settingsJson.length} characters, more than ${MAX_SETTINGS_JSON_LENGTH} ` +
          '(Lambda allows 4 KB of environment per function); shorten the tariff zones',
      );
    }
    const bundle: LambdaBundleInput = { entry, ...(props.define !== undefined ? { define: { ...props.define } } : {}) };
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      // Logs expire by retention; what must outlive the stack (the audit trail) lives in DynamoDB.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the spendcap ${props.functionDir} function`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        [ENV.serviceName]: props.serviceName ?? SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        [ENV.settings]: settingsJson,
        ...props.environment,
      },
      // One description of the bundle (infra/bundling/lambda-bundle.ts), which the bundle-size test and the
      // start-up benchmark build too.
      bundling: nodejsBundlingOf(bundle),
    });
    this.functionLogGroup = logGroup;
    this.functionDir = props.functionDir;
    this.bundle = bundle;

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is the runtime spendcap is built and tested for (esbuild target node22, the local runtime runs the same major); moving to a newer runtime is a deliberate, tested change.',
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason:
          'Node.js 22 is the runtime spendcap is built and tested for (esbuild target node22, the local runtime runs the same major); moving to a newer runtime is a deliberate, tested change.',
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously only (Kinesis event source mapping with its own on-failure queue, Step Functions Task with Retry/Catch, API): a function dead-letter queue only receives failed asynchronous invocations and would stay empty.',
      },
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions (Service Authorization Reference, AWS X-Ray).',
    });
  }
}

/** What a function may do with a table. */
export type TableAccess =
  /** GetItem, BatchGetItem, Query (table and its indexes). */
  | 'read'
  /** read + PutItem, UpdateItem, DeleteItem, BatchWriteItem. */
  | 'readWrite'
  /**
   * An append-only audit trail with idempotency guards: PutItem, and UpdateItem limited to the guard's
   * `status` / `doneAt` attributes (no reads, no deletes, no rewriting an entry's content).
   */
  | 'append'
  /**
   * Exactly these actions, optionally only on these top-level attributes besides the table's keys
   * (DynamoDB fine-grained access control: `dynamodb:Attributes`, `dynamodb:Select`, `dynamodb:ReturnValues`).
   */
  | { readonly actions: readonly string[]; readonly onlyAttributes?: readonly string[] };

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** KMS actions, spelled out: `kms:GenerateDataKey*` / `kms:ReEncrypt*` wildcards grant more than a caller uses. */
const KEY_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** The audit guard's attributes that completing an action updates (shared/adapters/dynamo-audit-log.ts). */
const AUDIT_GUARD_ATTRIBUTES = ['status', 'doneAt'];

/**
 * DynamoDB fine-grained access control as documented: every attribute the request names (keys included)
 * must be in the list, a read may not ask for ALL_ATTRIBUTES, and a write may not return the old item.
 */
function onlyAttributesCondition(attributes: readonly string[]): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...new Set(attributes)] },
    StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES', 'dynamodb:ReturnValues': ['NONE', 'UPDATED_NEW'] },
  };
}

function keyAttributesOf(envName: EnvName): string[] {
  const design = TABLE_DESIGN_BY_ENV[envName];
  if (design === undefined) return [];
  return design.sortKey === undefined ? [design.partitionKey] : [design.partitionKey, design.sortKey];
}

const TABLE_DESIGN_BY_ENV: Partial<Record<EnvName, TableDesign>> = {
  [ENV.usageTable]: TABLES.usage,
  [ENV.profilesTable]: TABLES.profiles,
  [ENV.auditTable]: TABLES.audit,
  [ENV.realtimeTable]: REALTIME_TABLE,
};

/** The index ARNs of a table as designed in shared/adapters/tables.ts, by name (no `/index/*` wildcard). */
function indexArns(table: dynamodb.ITable, envName: EnvName): string[] {
  const indexes = TABLE_DESIGN_BY_ENV[envName]?.indexes ?? {};
  return Object.keys(indexes).map((index) => `${table.tableArn}/index/${index}`);
}

/**
 * Hands a table to a function: sets `envName` to the table name and grants `access` (plus the matching use
 * of the table's customer managed key).
 */
export function bindTable(fn: SpendcapFunction, envName: EnvName, table: dynamodb.ITable, access: TableAccess): void {
  fn.addEnvironment(envName, table.tableName);
  let actions: readonly string[];
  let conditions: Record<string, Record<string, unknown>> | undefined;
  let writes: boolean;
  if (access === 'read') {
    [actions, writes] = [READ_ACTIONS, false];
  } else if (access === 'readWrite') {
    [actions, writes] = [[...READ_ACTIONS, ...WRITE_ACTIONS], true];
  } else if (access === 'append') {
    [actions, writes] = [['dynamodb:PutItem'], true];
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: onlyAttributesCondition([...keyAttributesOf(envName), ...AUDIT_GUARD_ATTRIBUTES]),
      }),
    );
  } else {
    actions = access.actions;
    writes = actions.some((a) => WRITE_ACTIONS.includes(a));
    if (access.onlyAttributes !== undefined) {
      conditions = onlyAttributesCondition([...keyAttributesOf(envName), ...access.onlyAttributes]);
    }
  }
  const reads = actions.some((a) => READ_ACTIONS.includes(a) && a !== 'dynamodb:ConditionCheckItem');
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [...actions],
      resources: [table.tableArn, ...(reads && conditions === undefined ? indexArns(table, envName) : [])],
      ...(conditions === undefined ? {} : { conditions }),
    }),
  );
  grantKey(fn, table.encryptionKey, writes ? KEY_ENCRYPT_DECRYPT : KEY_DECRYPT);
}

/** Hands a queue to a producer: sets `envName` to the queue URL and grants sqs:SendMessage only. */
export function bindQueue(fn: SpendcapFunction, envName: EnvName, queue: sqs.IQueue): void {
  fn.addEnvironment(envName, queue.queueUrl);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
  // SSE-KMS: a producer generates the data key and must be able to decrypt it (SQS developer guide).
  grantKey(fn, queue.encryptionMasterKey, ['kms:Decrypt', 'kms:GenerateDataKey']);
}

/** Hands a topic to a publisher: sets `envName` to the topic ARN and grants sns:Publish on it only. */
export function bindTopic(fn: SpendcapFunction, envName: EnvName, topic: sns.ITopic): void {
  fn.addEnvironment(envName, topic.topicArn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
  grantKey(fn, topic.masterKey, ['kms:Decrypt', 'kms:GenerateDataKey']);
}

/** Hands the policy state machine to a starter: sets `envName` to its ARN and grants states:StartExecution only. */
export function bindStateMachine(fn: SpendcapFunction, envName: EnvName, stateMachine: sfn.IStateMachine): void {
  fn.addEnvironment(envName, stateMachine.stateMachineArn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }));
}

/** Hands an event bus to a publisher: sets `envName` to the bus name and grants events:PutEvents on it only. */
export function bindEventBus(fn: SpendcapFunction, envName: EnvName, bus: events.IEventBus): void {
  fn.addEnvironment(envName, bus.eventBusName);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }));
}

/** Hands a secret to a reader: sets `envName` to the secret ARN and grants secretsmanager:GetSecretValue on it only. */
export function bindSecret(fn: SpendcapFunction, envName: EnvName, secret: secretsmanager.ISecret): void {
  fn.addEnvironment(envName, secret.secretArn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
  grantKey(fn, secret.encryptionKey, ['kms:Decrypt']);
}

/**
 * Hands the carrier-event stream to a producer: sets `envName` to the stream ARN and grants kinesis:PutRecord(s)
 * on it only, with the data keys of its customer managed key (a producer only generates data keys: Kinesis
 * developer guide, SSE permissions).
 */
export function bindStreamProducer(fn: SpendcapFunction, envName: EnvName, stream: kinesis.IStream): void {
  fn.addEnvironment(envName, stream.streamArn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecord', 'kinesis:PutRecords'], resources: [stream.streamArn] }));
  grantKey(fn, stream.encryptionKey, ['kms:GenerateDataKey']);
}

function grantKey(fn: SpendcapFunction, key: kms.IKey | undefined, actions: readonly string[]): void {
  if (key === undefined) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [...actions],
      resources: [key.keyArn],
    }),
  );
}

/** The account and region of a construct's stack, for ARNs built by hand. */
export function stackEnv(scope: Construct): { account: string; region: string; partition: string } {
  const stack = Stack.of(scope);
  return { account: stack.account, region: stack.region, partition: stack.partition };
}
