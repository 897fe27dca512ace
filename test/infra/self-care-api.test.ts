/**
 * The self-care API construct in a small stack with the real Store tables: every route requires IAM
 * authorization, access logs carry no subscriber id, each function gets exactly the access it uses, the
 * two-way SMS topic reaches the inbound-sms function with a dead-letter queue, and cdk-nag finds nothing.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelfCareApi } from '../../infra/constructs/self-care-api.js';
import { Store } from '../../infra/constructs/store.js';
import { addNagChecks } from '../../infra/nag.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { ROUTE_KEYS } from '../../shared/selfcare/api.js';
import { actionsOf, buildStack, logicalIdOf, mentions, removeOutdirs, statementsOfRole, testApp, type Statement } from './helpers.js';

function build(): { stack: Stack; api: SelfCareApi; store: Store; stateMachine: sfn.StateMachine; template: Template } {
  const app = testApp();
  const stack = new Stack(app, 'SelfCareApiTest', { env: { account: '123456789012', region: 'eu-west-3' } });
  const store = new Store(stack, 'Store');
  const stateMachine = new sfn.StateMachine(stack, 'Policy', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
  });
  const api = new SelfCareApi(stack, 'SelfCareApi', {
    tables: { usage: store.usageTable, profiles: store.profilesTable, audit: store.auditTable },
    policyStateMachine: stateMachine,
    settings: DEFAULT_SETTINGS,
    logRetention: logs.RetentionDays.ONE_MONTH,
  });
  return { stack, api, store, stateMachine, template: Template.fromStack(stack) };
}

function roleOf(template: Template, fnLogicalId: string): string {
  const fn = template.findResources('AWS::Lambda::Function')[fnLogicalId];
  return (fn?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

function allowed(statements: readonly Statement[], tableLogicalId: string): string[] {
  return statements.filter((s) => s.Effect === 'Allow' && mentions(s, tableLogicalId)).flatMap(actionsOf).sort();
}

describe('SelfCareApi construct', () => {
  let built: ReturnType<typeof build>;

  beforeAll(() => {
    built = build();
  }, 120_000);

  afterAll(() => {
    removeOutdirs();
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

  it('sends every route to the api function with payload format 2.0', () => {
    const integrations = Object.values(built.template.findResources('AWS::ApiGatewayV2::Integration'));

    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(JSON.stringify(integrations[0]?.Properties.IntegrationUri)).toContain(logicalIdOf(built.api.apiFunction));
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

  it('gives the api function read/write on profiles, counters and bars read, audit read, and StartExecution on the policy workflow only', () => {
    const statements = statementsOfRole(built.template, roleOf(built.template, logicalIdOf(built.api.apiFunction)));

    expect(allowed(statements, logicalIdOf(built.store.profilesTable))).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
    );
    expect(allowed(statements, logicalIdOf(built.store.usageTable))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(allowed(statements, logicalIdOf(built.store.auditTable))).toEqual(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    const starts = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(starts.flatMap(actionsOf)).toEqual(['states:StartExecution']);
    expect(starts.every((s) => mentions(s, logicalIdOf(built.stateMachine)))).toBe(true);
  });

  it('gives the inbound-sms function no write on profiles and no audit access', () => {
    const statements = statementsOfRole(built.template, roleOf(built.template, logicalIdOf(built.api.inboundSmsFunction)));

    const onProfiles = allowed(statements, logicalIdOf(built.store.profilesTable));
    expect(onProfiles).toContain('dynamodb:Query');
    expect(onProfiles.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    expect(allowed(statements, logicalIdOf(built.store.auditTable))).toEqual([]);
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
    new SelfCareApi(stack, 'SelfCareApi', {
      tables: { usage: store.usageTable, profiles: store.profilesTable, audit: store.auditTable },
      policyStateMachine: stateMachine,
      settings: DEFAULT_SETTINGS,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });

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
