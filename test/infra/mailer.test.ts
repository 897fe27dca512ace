import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../shared/config/env-names.js';
import { addNagChecks } from '../../infra/nag.js';
import type { SpendcapStack } from '../../infra/spendcap-stack.js';
import { actionsOf, buildStack, logicalIdOf, removeOutdirs, resourcesOf, statementsOfRole } from './helpers.js';

const FROM = 'caps@mvno.example.com';
const MAILER = { mailer: { enabled: true, fromAddress: FROM }, ops: { emails: ['noc@mvno.example.org'] } };

let stack: SpendcapStack;
let template: Template;

beforeAll(() => {
  ({ stack } = buildStack(MAILER));
  template = Template.fromStack(stack);
}, 120_000);

afterAll(removeOutdirs);

function mailer() {
  if (stack.mailer === undefined) throw new Error('mailer not built');
  return stack.mailer;
}

describe('SES mailer (mailer.enabled)', () => {
  it('is off by default: no configuration set, no function on the e-mail topic', () => {
    // Act
    const { stack: plain } = buildStack();
    const plainTemplate = Template.fromStack(plain);

    // Assert
    expect(plain.mailer).toBeUndefined();
    plainTemplate.resourceCountIs('AWS::SES::ConfigurationSet', 0);
    plainTemplate.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: logicalIdOf(plain.notifications.emailTopic) } }, 0);
  });

  it('subscribes one function to the e-mail topic, only for messages that carry a recipient, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: logicalIdOf(stack.notifications.emailTopic) },
      Endpoint: { 'Fn::GetAtt': [logicalIdOf(mailer().function), 'Arn'] },
      FilterPolicy: { recipient: [{ exists: true }] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(mailer().deadLetterQueue), 'Arn'] } },
    });
  });

  it('keeps what Lambda failed on after two retries in the dead-letter queue, which alarms', () => {
    const deadLettersId = logicalIdOf(mailer().deadLetterQueue);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(mailer().function) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [deadLettersId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLettersId, 'QueueName'] } }],
      AlarmActions: [{ Ref: logicalIdOf(stack.notifications.opsTopic) }],
    });
    expect(stack.monitoring.alarms.map((a) => a.node.id)).toEqual(expect.arrayContaining(['MailerDeadLettersDepth', 'EmailMailerErrors', 'EmailMailerThrottles']));
  });

  it('tracks bounces, complaints and rejects through a configuration set that suppresses bounced and complained addresses', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalIdOf(mailer().configurationSet) },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint', 'reject'],
        SnsDestination: { TopicARN: { Ref: logicalIdOf(mailer().feedbackTopic) } },
      },
    });
  });

  it('lets SES of this account alone publish to the encrypted feedback topic, for this configuration set only', () => {
    // Arrange
    const keyId = logicalIdOf(stack.notifications.key);
    const topicId = logicalIdOf(mailer().feedbackTopic);

    // Act
    const key = template.toJSON().Resources[keyId];
    const keyStatements = key.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string | string[] }; Action: string[]; Condition?: unknown }>;

    // Assert
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const sesGrant = keyStatements.find((s) => [s.Principal?.Service].flat().includes('ses.amazonaws.com'));
    expect(sesGrant?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(sesGrant?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sns:Publish',
            Principal: { Service: 'ses.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: topicId } });
  });

  it('lets the function send from the configured address only, and publish to the ops topic only', () => {
    // Arrange
    const statements = statementsOfRole(template, logicalIdOf(mailer().function.role as never));

    // Act
    const send = statements.filter((s) => actionsOf(s).includes('ses:SendEmail'));
    const publish = statements.filter((s) => actionsOf(s).includes('sns:Publish'));

    // Assert
    expect(send).toHaveLength(1);
    expect(actionsOf(send[0]!)).toEqual(['ses:SendEmail']);
    expect(send[0]?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': FROM } });
    const sendResources = JSON.stringify(resourcesOf(send[0]!));
    expect(sendResources).toContain(':identity/mvno.example.com');
    expect(sendResources).toContain(`:identity/${FROM}`);
    expect(sendResources).toContain(':configuration-set/');
    expect(publish.flatMap(resourcesOf)).toEqual([{ Ref: logicalIdOf(stack.notifications.opsTopic) }]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.mailerFromAddress]: FROM,
          [ENV.mailerConfigurationSet]: { Ref: logicalIdOf(mailer().configurationSet) },
          [ENV.mailerFeedbackTopicArn]: { Ref: logicalIdOf(mailer().feedbackTopic) },
          [ENV.opsTopicArn]: { Ref: logicalIdOf(stack.notifications.opsTopic) },
        }),
      },
    });
  });

  it('is the only function that may send e-mail', () => {
    for (const [name, fn] of Object.entries(stack.functions)) {
      const sends = statementsOfRole(template, logicalIdOf(fn.role as never)).some((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
      expect(sends, name).toBe(name === 'EmailMailer');
    }
  });

  it('outputs the configuration set name', () => {
    template.hasOutput('MailerConfigurationSetName', { Value: { Ref: logicalIdOf(mailer().configurationSet) } });
  });

  it('passes the cdk-nag rule packs', () => {
    // Arrange
    const { app, stack: checked } = buildStack(MAILER);
    addNagChecks(app);

    // Act
    const assembly = app.synth();

    // Assert
    expect(assembly.getStackByName(checked.stackName).template.Resources).toBeDefined();
  });
});
