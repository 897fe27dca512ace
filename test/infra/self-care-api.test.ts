/**
 * The API construct in a small stack with the real Store tables: every route requires IAM authorization,
 * each role's routes go to its own function and each role's invoke policy allows its own routes and no
 * other role's (checked by matching every route's request ARN against every policy, as IAM does), access
 * logs carry no subscriber id, each function gets exactly the access it uses (the self-care one cannot
 * write anything but a subscriber's own choices), every function reads the pseudonym key, the two-way SMS
 * topic reaches the inbound-sms function with a dead-letter queue, and cdk-nag finds nothing.
 */
import { readFileSync } from 'node:fs';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Notifications } from '../../infra/constructs/notifications.js';
import { PseudonymKey } from '../../infra/constructs/pseudonym-key.js';
import { SelfCareApi } from '../../infra/constructs/self-care-api.js';
import { Store } from '../../infra/constructs/store.js';
import { addNagChecks } from '../../infra/nag.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { API_ROLES, ROUTE_KEYS, ROUTES, type ApiRole } from '../../shared/selfcare/api.js';
import { PROFILE_FIELDS_ATTRIBUTES } from '../../shared/adapters/dynamo-profile-fields.js';
import { OUTBOX_ATTRIBUTES } from '../../shared/adapters/dynamo-usage-store-items.js';
import { actionsOf, buildStack, logicalIdOf, mentions, removeOutdirs, resourcesOf, statementsOfRole, testApp, type Statement } from './helpers.js';

function apiOf(stack: Stack, store: Store, stateMachine: sfn.IStateMachine): SelfCareApi {
  const notifications = new Notifications(stack, 'Notifications', { smsSenderId: 'Spendcap' });
  return new SelfCareApi(stack, 'SelfCareApi', {
    tables: { usage: store.usageTable, profiles: store.profilesTable, audit: store.auditTable },
    policyStateMachine: stateMachine,
    settings: DEFAULT_SETTINGS,
    logRetention: logs.RetentionDays.ONE_MONTH,
    pseudonymKey: new PseudonymKey(stack, 'PseudonymKey'),
    messages: { emailTopic: notifications.emailTopic as sns.ITopic, bindSmsSender: (fn) => notifications.bindSmsSender(fn) },
  });
}

function build(): { stack: Stack; api: SelfCareApi; store: Store; stateMachine: sfn.StateMachine; template: Template } {
  const app = testApp();
  const stack = new Stack(app, 'SelfCareApiTest', { env: { account: '123456789012', region: 'eu-west-3' } });
  const store = new Store(stack, 'Store');
  const stateMachine = new sfn.StateMachine(stack, 'Policy', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
  });
  const api = apiOf(stack, store, stateMachine);
  return { stack, api, store, stateMachine, template: Template.fromStack(stack) };
}

const API_ID = 'abcdef1234';

/** A template value with the API id in place of its Ref (the rest of the ARN is literal: env is set). */
function resolved(value: unknown, apiLogicalId: string): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map((part) => resolved(part, apiLogicalId)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref === apiLogicalId) return API_ID;
  if (ref === 'AWS::Partition') return 'aws';
  throw new Error(`unresolved ${JSON.stringify(value)}`);
}

/** IAM's matching of a resource pattern: `*` any run of characters (slashes included), `?` one. */
function iamMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
  return regex.test(arn);
}

/** The execute-api ARN of a request to `route`, with ids that try to look like other roles' paths. */
function requestArnsOf(route: string): string[] {
  const [method, template] = route.split(' ') as [string, string];
  return ['imsi-208150000000001', 'a%2Fv1%2Fsubscribers%2Fb', 'sub-0123456789abcdef'].map(
    (id) => `arn:aws:execute-api:eu-west-3:123456789012:${API_ID}/$default/${method}${template.replace(/\{[^}]+\}/g, id)}`,
  );
}

function roleOf(template: Template, fnLogicalId: string): string {
  const fn = template.findResources('AWS::Lambda::Function')[fnLogicalId];
  if (fn === undefined) throw new Error(`no function ${fnLogicalId} in the template`);
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

function allowed(statements: readonly Statement[], tableLogicalId: string): string[] {
  return statements.filter((s) => s.Effect === 'Allow' && mentions(s, tableLogicalId)).flatMap(actionsOf).sort();
}

/** The attributes the UpdateItem statements on the usage table are limited to (every one must be limited). */
function outboxUpdateAttributes(statements: readonly Statement[], usageLogicalId: string): unknown[] {
  const updates = statements.filter((s) => s.Effect === 'Allow' && mentions(s, usageLogicalId) && actionsOf(s).includes('dynamodb:UpdateItem'));
  expect(updates.map(actionsOf)).toEqual([['dynamodb:UpdateItem']]);
  return updates.flatMap((s) => (s.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'] as unknown[] | undefined) ?? []);
}

describe('SelfCareApi construct', () => {
  let built: ReturnType<typeof build>;

  beforeAll(() => {
    built = build();
  }, 120_000);

  afterAll(() => {
    removeOutdirs();
  });

  it('sends each role`s routes to its own function: the self-care routes to the self-care function, the others to the operator function', () => {
    const integrations = built.template.findResources('AWS::ApiGatewayV2::Integration');
    const functionOfIntegration = (target: unknown): string => {
      const id = (target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1] as { Ref?: string };
      const integration = integrations[id.Ref ?? ''];
      return JSON.stringify(integration?.Properties.IntegrationUri);
    };
    const routes = Object.values(built.template.findResources('AWS::ApiGatewayV2::Route'));

    for (const route of routes) {
      const role = ROUTES.find((r) => r.key === route.Properties.RouteKey)?.role;
      const target = functionOfIntegration(route.Properties.Target);
      const own = role === 'subscriber' ? built.api.selfCareFunction : built.api.apiFunction;
      const other = role === 'subscriber' ? built.api.apiFunction : built.api.selfCareFunction;
      expect(target, route.Properties.RouteKey as string).toContain(logicalIdOf(own));
      expect(target, route.Properties.RouteKey as string).not.toContain(logicalIdOf(other));
    }
  });

  it('gives each role a managed invoke policy that allows its own routes and refuses every other role`s (IAM matching)', () => {
    const apiId = logicalIdOf(built.api.httpApi);
    const patternsOf = (role: ApiRole): string[] => {
      const policy = built.template.findResources('AWS::IAM::ManagedPolicy')[logicalIdOf(built.api.invokePolicies[role])];
      const statements = policy?.Properties.PolicyDocument.Statement as Statement[];
      expect(statements.flatMap(actionsOf), role).toEqual(['execute-api:Invoke']);
      return statements.flatMap(resourcesOf).map((r) => resolved(r, apiId));
    };

    for (const role of API_ROLES) {
      const patterns = patternsOf(role);
      expect(patterns.every((p) => p.includes(`${API_ID}/$default/`)), role).toBe(true);
      for (const { key, role: owner } of ROUTES) {
        for (const arn of requestArnsOf(key)) {
          expect(patterns.some((p) => iamMatches(p, arn)), `${role} policy on ${key} (${arn})`).toBe(owner === role);
        }
      }
    }
  });

  it('has in docs/api.md exactly the invoke policies the stack creates (self-care, operator, pseudonym lookup, in that order)', () => {
    const apiId = logicalIdOf(built.api.httpApi);
    const docs = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const examples = [...docs.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((m) => JSON.parse(m[1] ?? '') as { Statement?: Array<{ Action: string; Resource: string[] }> })
      .filter((doc) => doc.Statement?.[0]?.Action === 'execute-api:Invoke');

    expect(examples).toHaveLength(API_ROLES.length);
    API_ROLES.forEach((role, i) => {
      const policy = built.template.findResources('AWS::IAM::ManagedPolicy')[logicalIdOf(built.api.invokePolicies[role])];
      const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as Statement[];
      const resources = statements.flatMap(resourcesOf).map((r) => resolved(r, apiId).replace(API_ID, 'a1b2c3d4e5'));
      expect(examples[i]?.Statement?.flatMap((st) => st.Resource).sort(), role).toEqual([...resources].sort());
    });
  });

  it('no invoke policy is attached by the stack: the MVNO attaches each to its callers` roles', () => {
    for (const role of API_ROLES) {
      const policy = built.template.findResources('AWS::IAM::ManagedPolicy')[logicalIdOf(built.api.invokePolicies[role])];
      expect(policy?.Properties.Roles, role).toBeUndefined();
    }
  });

  it('declares exactly the routes the handler serves, every one with AWS_IAM authorization', () => {
    const routes = Object.values(built.template.findResources('AWS::ApiGatewayV2::Route'));

    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...ROUTE_KEYS].sort());
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('has no route, default or otherwise, reachable without IAM authorization', () => {
    built.template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: Match.absent() }, 0);
    built.template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' }, 0);
    built.template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: '$default' }, 0);
  });

  it('integrates the two API functions with payload format 2.0', () => {
    const integrations = Object.values(built.template.findResources('AWS::ApiGatewayV2::Integration'));

    expect(integrations).toHaveLength(2);
    for (const integration of integrations) expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('throttles the stage and writes JSON access logs without the path (it holds the subscriber id)', () => {
    const stages = Object.values(built.template.findResources('AWS::ApiGatewayV2::Stage'));

    expect(stages).toHaveLength(1);
    const stage = stages[0]!.Properties;
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 } });
    const format = JSON.parse(stage.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format.routeKey).toBe('$context.routeKey');
    expect(format.requestId).toBe('$context.requestId');
    expect(JSON.stringify(format)).not.toMatch(/\$context\.(path|http\.path|resourcePath)|rawQueryString/);
  });

  it('gives the operator function read/write on profiles (indexes included), counters and bars read, audit read and append, StartExecution, and SMS and the e-mail topic for resends', () => {
    const statements = statementsOfRole(built.template, roleOf(built.template, logicalIdOf(built.api.apiFunction)));

    expect(allowed(statements, logicalIdOf(built.store.profilesTable))).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
    );
    const indexes = JSON.stringify(statements.filter((s) => actionsOf(s).includes('dynamodb:Query')).flatMap(resourcesOf));
    expect(indexes).toContain('/index/byMsisdn');
    expect(indexes).toContain('/index/byPseudonym');
    expect(allowed(statements, logicalIdOf(built.store.usageTable))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(outboxUpdateAttributes(statements, logicalIdOf(built.store.usageTable))).toEqual(['pk', 'sk', ...OUTBOX_ATTRIBUTES]);
    expect(allowed(statements, logicalIdOf(built.store.auditTable))).toEqual(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const starts = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(starts.flatMap(actionsOf)).toEqual(['states:StartExecution']);
    expect(starts.every((s) => mentions(s, logicalIdOf(built.stateMachine)))).toBe(true);
    expect(statements.filter((s) => actionsOf(s).includes('sns:Publish')).length).toBe(2);
  });

  it('gives the self-care function a subscriber`s access only: read its profile, update only its own choices, no delete, no index, no SNS', () => {
    const statements = statementsOfRole(built.template, roleOf(built.template, logicalIdOf(built.api.selfCareFunction)));
    const onProfiles = statements.filter((s) => s.Effect === 'Allow' && mentions(s, logicalIdOf(built.store.profilesTable)));

    expect(onProfiles.flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    const update = onProfiles.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
    expect(update?.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']).toEqual(['subscriberId', ...PROFILE_FIELDS_ATTRIBUTES]);
    // Counters: read, versioned write, and the emptying of the outbox only (the requests a change started).
    expect(allowed(statements, logicalIdOf(built.store.usageTable))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(outboxUpdateAttributes(statements, logicalIdOf(built.store.usageTable))).toEqual(['pk', 'sk', ...OUTBOX_ATTRIBUTES]);
    // (GetItem names the index ARNs too, as every read binding does, but GetItem cannot read an index: without Query, none is searchable.)
    expect(allowed(statements, logicalIdOf(built.store.auditTable))).toEqual(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sns:'))).toEqual([]);
  });

  it('gives the inbound-sms function no write on profiles and only appends to the audit trail (the consent it records)', () => {
    const statements = statementsOfRole(built.template, roleOf(built.template, logicalIdOf(built.api.inboundSmsFunction)));

    const onProfiles = allowed(statements, logicalIdOf(built.store.profilesTable));
    expect(onProfiles).toContain('dynamodb:Query');
    expect(onProfiles.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    expect(allowed(statements, logicalIdOf(built.store.auditTable))).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(outboxUpdateAttributes(statements, logicalIdOf(built.store.usageTable))).toEqual(['pk', 'sk', ...OUTBOX_ATTRIBUTES]);
  });

  it('hands the pseudonym key to every function of the API: its ARN in the environment, GetSecretValue on that secret only', () => {
    const functions = built.template.findResources('AWS::Lambda::Function');
    const secrets = Object.keys(built.template.findResources('AWS::SecretsManager::Secret'));

    expect(secrets).toHaveLength(1);
    for (const fn of [built.api.apiFunction, built.api.selfCareFunction, built.api.inboundSmsFunction]) {
      const variables = functions[logicalIdOf(fn)]?.Properties.Environment.Variables as Record<string, unknown>;
      expect(variables.PSEUDONYM_KEY_SECRET_ARN).toEqual({ Ref: secrets[0] });
      const reads = statementsOfRole(built.template, roleOf(built.template, logicalIdOf(fn))).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
      expect(reads.flatMap(resourcesOf)).toEqual([{ Ref: secrets[0] }]);
    }
  });

  it('hands each function its tables and state machine through the environment', () => {
    const fn = built.template.findResources('AWS::Lambda::Function')[logicalIdOf(built.api.apiFunction)]!;
    const variables = fn.Properties.Environment.Variables as Record<string, unknown>;

    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining(['PROFILES_TABLE_NAME', 'USAGE_TABLE_NAME', 'AUDIT_TABLE_NAME', 'POLICY_STATE_MACHINE_ARN', 'SPENDCAP_SETTINGS']),
    );
  });

  it('subscribes the inbound-sms function to an encrypted two-way SMS topic that End User Messaging may publish to', () => {
    const topicId = logicalIdOf(built.api.inboundSmsTopic as never);

    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [logicalIdOf(built.api.inboundSmsFunction), 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(built.api.inboundSmsDeadLetterQueue), 'Arn'] } },
    });
    built.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'sms-voice.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(built.api.inboundSmsDeadLetterQueue), 'Arn'] } } },
    });
  });

  it('passes the AWS Solutions and Serverless cdk-nag packs', () => {
    const app = testApp();
    addNagChecks(app);
    const stack = new Stack(app, 'SelfCareApiNag', { env: { account: '123456789012', region: 'eu-west-3' } });
    const store = new Store(stack, 'Store');
    const stateMachine = new sfn.StateMachine(stack, 'Policy', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
      tracingEnabled: true,
      logs: { destination: new logs.LogGroup(stack, 'PolicyLogs'), level: sfn.LogLevel.ALL },
    });
    // The stand-in state machine is not under test (the real one is the workflow's, with its own acknowledgements).
    Validations.of(stateMachine).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Test stand-in: X-Ray and log delivery actions of the state machine role.' });
    apiOf(stack, store, stateMachine);

    expect(() => app.synth()).not.toThrow();
  });

  it('is part of the whole SpendcapStack (its tables, workflow, settings, monitoring) and the stack still passes cdk-nag', () => {
    const app = testApp();
    addNagChecks(app);
    const { stack, config } = buildStack({}, app);

    const api = stack.selfCareApi;

    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(ROUTE_KEYS.length);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    const settings = template.findResources('AWS::Lambda::Function')[logicalIdOf(api.apiFunction)]?.Properties.Environment.Variables.SPENDCAP_SETTINGS;
    expect(JSON.parse(settings as string)).toEqual(JSON.parse(JSON.stringify(config.policy)));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(api.inboundSmsFunction) } }] });
  });
});
