import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../infra/config.js';
import { addNagChecks } from '../../infra/nag.js';
import { SpendcapStack } from '../../infra/spendcap-stack.js';
import { actionsOf, buildStack as buildDefaultStack, cdkJsonConfig, logicalIdOf, removeOutdirs, statementsOfRole, testApp } from './helpers.js';

afterAll(removeOutdirs);

/** The stack in an account and region: the load balancer's access logs need the region's ELB account. */
function buildStack(overrides: Record<string, unknown> = {}) {
  const app = testApp();
  const config = parseDeploymentConfig({ ...cdkJsonConfig(), ...overrides });
  const stack = new SpendcapStack(app, config.stackName, { config, env: { account: '123456789012', region: 'eu-west-3' } });
  return { app, stack, config };
}

const CERTIFICATE = 'arn:aws:acm:eu-west-3:123456789012:certificate/0b5e1a4e-0000-4000-8000-00000000000a';
const MTLS = { mode: 'mtls', trustStoreBucket: 'mvno-sbi-trust', trustStoreKey: 'ca/sbi-ca.pem' };
const OAUTH2 = { mode: 'oauth2', issuer: 'https://nrf.5gc.mvno.example.org', jwksEndpoint: 'https://nrf.5gc.mvno.example.org/oauth2/jwks' };

function realtime(auth: object = MTLS, extra: object = {}) {
  return { enabled: true, certificateArn: CERTIFICATE, auth, ingressCidrs: ['10.20.0.0/16'], ...extra };
}

describe('realtime path (opt-in)', () => {
  it('is off by default: no load balancer, no realtime table, no profiles stream', () => {
    // Arrange
    const { stack } = buildDefaultStack();

    // Act
    const template = Template.fromStack(stack);

    // Assert
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    expect(stack.realtime).toBeUndefined();
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(3);
    expect(tables.some((t) => t.Properties.StreamSpecification !== undefined)).toBe(false);
  });

  it('puts an HTTP/2 HTTPS listener with mutual TLS in front of the two services, reachable from the operator ranges only', () => {
    // Arrange
    const { stack } = buildStack({ realtime: realtime() });

    // Act
    const template = Template.fromStack(stack);

    // Assert
    const [lb] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect(lb?.Properties.Scheme).toBe('internal');
    expect(lb?.Properties.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([{ Key: 'routing.http2.enabled', Value: 'true' }, { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }, { Key: 'access_logs.s3.enabled', Value: 'true' }]),
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      MutualAuthentication: { Mode: 'verify', IgnoreClientCertificateExpiry: false },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStore', { CaCertificatesBundleS3Bucket: 'mvno-sbi-trust', CaCertificatesBundleS3Key: 'ca/sbi-ca.pem' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.20.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
    const rules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    const paths = rules.map((r) => r.Properties.Conditions[0].PathPatternConfig?.Values ?? r.Properties.Conditions[0].Values);
    expect(paths).toEqual([['/nchf-convergedcharging/v3/*'], ['/nchf-spendinglimitcontrol/v1/*']]);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
  });

  it('verifies NRF access tokens at the listener in oauth2 mode', () => {
    const { stack } = buildStack({ realtime: realtime(OAUTH2) });
    const template = Template.fromStack(stack);
    const rules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    for (const rule of rules) {
      expect(rule.Properties.Actions[0]).toMatchObject({ Type: 'jwt-validation', JwtValidationConfig: { Issuer: OAUTH2.issuer, JwksEndpoint: OAUTH2.jwksEndpoint } });
      expect(rule.Properties.Actions[1]).toMatchObject({ Type: 'forward' });
    }
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TrustStore', 0);
  });

  it('grants each function only what its adapters call', () => {
    // Arrange
    const { stack } = buildStack({ realtime: realtime() });
    const template = Template.fromStack(stack);
    const rt = stack.realtime;
    if (rt === undefined) throw new Error('no realtime');
    const statements = (fn: { role?: unknown }) => statementsOfRole(template, logicalIdOf((fn as { role: never }).role));

    // Act
    const charging = statements(rt.chargingFunction).flatMap(actionsOf);
    const notify = statements(rt.notifyFunction).flatMap(actionsOf);

    // Assert: the charging function reads counters and profiles, writes its own table and the stream; nothing else
    expect(charging).toEqual(expect.arrayContaining(['kinesis:PutRecords', 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(charging).not.toContain('dynamodb:UpdateItem');
    expect(charging).not.toContain('dynamodb:DeleteItem');
    expect(charging).not.toContain('states:StartExecution');
    expect(notify).not.toContain('dynamodb:PutItem');
  });

  it('retries notifications with a dead-letter queue and alarms on it, on refusals, 5xx and latency', () => {
    const { stack } = buildStack({ realtime: realtime() });
    const template = Template.fromStack(stack);
    const rt = stack.realtime;
    if (rt === undefined) throw new Error('no realtime');
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { maxReceiveCount: 10 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['REMOVE'] }) }] } });
    expect(rt.alarms.map((a) => a.node.id)).toEqual(['NotificationDeadLettersAlarm', 'NotificationsRejectedAlarm', 'SubscriberRemovedFailuresAlarm', 'SbiServerErrorsAlarm', 'SbiLatencyP99Alarm']);
    for (const name of ['NchfCharging', 'NchfSpendingLimit', 'NchfNotify', 'NchfSubscriberRemoved']) expect(Object.keys(stack.functions)).toContain(name);
  });

  it('lets carrier mode nchf apply bars as policy counter statuses', () => {
    const { stack } = buildStack({ realtime: realtime(), carrier: { mode: 'nchf' } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: "Cap policy: brings the line's carrier bars in line with the caps (lift scheduled first, commands once)",
      Environment: { Variables: { CARRIER_MODE: 'nchf' } },
    });
  });

  it('refuses a configuration that cannot work, naming the key', () => {
    expect(() => parseDeploymentConfig({ realtime: { enabled: true } })).toThrow(/spendcap\.realtime\.certificateArn: required when enabled/);
    expect(() => parseDeploymentConfig({ carrier: { mode: 'nchf' } })).toThrow(/spendcap\.carrier\.mode: "nchf" needs realtime\.enabled/);
    expect(() => parseDeploymentConfig({ realtime: { ...realtime(), ingressCidrs: ['10.0.0.0/33'] } })).toThrow(/spendcap\.realtime\.ingressCidrs\.0: must be an IPv4 CIDR block/);
    expect(() => parseDeploymentConfig({ realtime: { ...realtime(), quota: { finalUnitAction: 'BLOCK' } } })).toThrow(/spendcap\.realtime\.quota\.finalUnitAction/);
  });

  it('passes cdk-nag in both authentication modes', () => {
    for (const auth of [MTLS, OAUTH2]) {
      const { app, stack } = buildStack({ realtime: realtime(auth), carrier: { mode: 'nchf' }, ops: { emails: ['noc@mvno.example.org'] } });
      addNagChecks(app);
      const assembly = app.synth();
      expect(assembly.getStackByName(stack.stackName).template.Resources).toBeDefined();
    }
  });
});
