import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template, Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { FEED_MAPPINGS_VARIABLE } from '../../functions/ingest-feed-files/config.js';
import { SpendcapFunction } from '../../infra/constructs/spendcap-function.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { exampleMapping } from '../support/feed-files.js';
import { afterAll, describe, expect, it } from 'vitest';
import { DeploymentConfigError, parseDeploymentConfig } from '../../infra/config.js';
import { silenceWindow } from '../../infra/feeds-config.js';
import { addNagChecks } from '../../infra/nag.js';
import { actionsOf, buildStack, cdkJsonConfig, logicalIdOf, mentions, newOutdir, removeOutdirs, resourcesOf, statementsOfRole } from './helpers.js';

afterAll(removeOutdirs);

const FEEDS = {
  definitions: [
    { mappingFile: 'docs/feeds/host-cdr/mapping.json', silenceMinutes: 60, maxDelayMinutes: 90 },
    { mappingFile: 'docs/feeds/roaming-tap/mapping.json', silenceMinutes: 1_800, maxDelayMinutes: 2_880, delayStatistic: 'p90' },
  ],
};

function feedStack(feeds: Record<string, unknown> = FEEDS) {
  const built = buildStack({ feeds });
  return { ...built, template: Template.fromStack(built.stack) };
}

describe('usage files (FeedIngest)', () => {
  it('adds nothing when no feed is configured (the default)', () => {
    // Act
    const { stack } = buildStack();

    // Assert
    expect(stack.feeds).toBeUndefined();
    expect(Template.fromStack(stack).findResources('AWS::S3::Bucket')).toEqual({});
  });

  it('keeps files in a versioned, KMS-encrypted, TLS-only, access-logged, retained bucket that sends its events to EventBridge', () => {
    // Act
    const { stack, template } = feedStack();

    // Assert
    const bucket = stack.feeds!.bucket;
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })],
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: { Ref: logicalIdOf(stack.feeds!.accessLogsBucket) } }),
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 30 } })] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      }),
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p).includes(logicalIdOf(bucket)));
    expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
  });

  it('routes Object Created events of the feed folders only to the file-event queue, dead-lettered', () => {
    // Act
    const { stack, template } = feedStack();

    // Assert
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: logicalIdOf(stack.feeds!.bucket) }] }, object: { key: [{ prefix: 'host-cdr/' }, { prefix: 'roaming-tap/' }] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(stack.feeds!.queue), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1_020,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack.feeds!.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.feeds!.queue), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('lets the file-ingest function read only feed folders, write only the quarantine, put records and keep its ledger', () => {
    // Act
    const { stack, template } = feedStack();

    // Assert
    const feeds = stack.feeds!;
    const roleId = logicalIdOf(feeds.function.role!);
    const statements = statementsOfRole(template, roleId);
    const reads = statements.find((s) => actionsOf(s).includes('s3:GetObject'));
    expect(actionsOf(reads!)).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(JSON.stringify(resourcesOf(reads!))).toContain('/host-cdr/*');
    expect(JSON.stringify(resourcesOf(reads!))).toContain('/roaming-tap/*');
    const writes = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(resourcesOf(writes[0]!))).toContain('/quarantine/*');
    expect(statements.some((s) => actionsOf(s).some((a) => a.startsWith('s3:Delete')))).toBe(false);
    const put = statements.find((s) => actionsOf(s).includes('kinesis:PutRecords'));
    expect(mentions(put!, logicalIdOf(stack.stream.stream))).toBe(true);
    const ledger = statements.find((s) => mentions(s, logicalIdOf(feeds.ledgerTable)) && actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(actionsOf(ledger!).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    const metrics = statements.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'));
    expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'spendcap' } });
  });

  it('alarms per feed on silence, delay, rejected lines and refused files, to the ops topic, and shows them on the dashboard', () => {
    // Act
    const { stack, template } = feedStack();

    // Assert
    const opsTopic = logicalIdOf(stack.notifications.opsTopic);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FeedFilesReceived',
      Dimensions: [{ Name: 'feed', Value: 'host-cdr' }],
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      Period: 300,
      EvaluationPeriods: 12,
      DatapointsToAlarm: 12,
      AlarmActions: [{ Ref: opsTopic }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FeedFilesReceived',
      Dimensions: [{ Name: 'feed', Value: 'roaming-tap' }],
      Period: 3_600,
      EvaluationPeriods: 30,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FeedDelay',
      Dimensions: [{ Name: 'feed', Value: 'roaming-tap' }],
      ExtendedStatistic: 'p90',
      Threshold: 2_880 * 60,
    });
    for (const metric of ['FeedRejectedLines', 'FeedFilesQuarantined']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, Dimensions: [{ Name: 'feed', Value: 'host-cdr' }], AlarmActions: [{ Ref: opsTopic }] });
    }
    expect(stack.feeds!.alarms).toHaveLength(9);
    expect(stack.monitoring.alarms).toEqual(expect.arrayContaining(stack.feeds!.alarms));
    const dashboard = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    expect(dashboard).toContain('Feed delay: arrival minus usage (minutes)');
    expect(dashboard).toContain('FeedDelay');
    expect(template.findOutputs('FeedBucketName')).not.toEqual({});
  });

  it('passes the cdk-nag packs with feeds and SFTP on', () => {
    // Arrange
    const { app, stack } = buildStack({
      feeds: { ...FEEDS, sftp: { enabled: true, users: [{ feed: 'host-cdr', userName: 'host-operator', sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBexampleexampleexampleexampleexampleex sender'] }] } },
    });
    addNagChecks(app);

    // Act
    const assembly = app.synth();

    // Assert
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const user = Object.values(template.Resources).find((r) => r.Type === 'AWS::Transfer::User');
    expect(user?.Properties).toMatchObject({ HomeDirectoryType: 'LOGICAL', HomeDirectoryMappings: [{ Entry: '/', Target: expect.anything() }] });
    expect(JSON.stringify(user?.Properties.HomeDirectoryMappings)).toContain('/host-cdr');
  });
});

describe('the file-ingest bundle', () => {
  it('has the mappings baked in, with no environment variable left to read them from', () => {
    // Arrange
    const app = new App({ outdir: newOutdir(), context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'FeedBundleProbe');
    const mappings = { 'roaming-tap': exampleMapping('roaming-tap') };
    new SpendcapFunction(stack, 'Feed', {
      functionDir: 'ingest-feed-files',
      description: 'bundle probe',
      settings: DEFAULT_SETTINGS,
      logRetention: RetentionDays.ONE_WEEK,
      define: { [`process.env.${FEED_MAPPINGS_VARIABLE}`]: JSON.stringify(JSON.stringify(mappings)) },
    });

    // Act
    const assembly = app.synth();

    // Assert
    const template = assembly.getStackByName('FeedBundleProbe').template as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const code = readFileSync(join(assembly.directory, fn?.Metadata?.['aws:asset:path'] ?? 'missing', 'index.mjs'), 'utf8');
    // (booleans, not toContain: a failure would print the whole bundle)
    expect(/BELMO\\?":\\?"20610/.test(code)).toBe(true);
    expect(code.includes(`process.env.${FEED_MAPPINGS_VARIABLE}`)).toBe(false);
    expect(existsSync(join(assembly.directory, fn?.Metadata?.['aws:asset:path'] ?? 'missing', 'index.mjs.map'))).toBe(true);
  }, 120_000);
});

describe('feeds configuration', () => {
  it('names the feed definition and the mapping key at fault', () => {
    // Arrange
    const broken = { definitions: [{ mapping: { mappingVersion: 1, feed: 'x', format: { type: 'csv' }, fields: {} } }] };

    // Act
    const parse = () => parseDeploymentConfig({ ...cdkJsonConfig(), feeds: broken });

    // Assert
    expect(parse).toThrow(DeploymentConfigError);
    expect(parse).toThrow(/spendcap\.feeds\.definitions\.0\.mapping\.fields\.recordId: /);
  });

  it('refuses a missing mapping file, a feed defined twice and an SFTP user of an unknown feed', () => {
    expect(() => parseDeploymentConfig({ feeds: { definitions: [{ mappingFile: 'nope.json' }] } })).toThrow(/feeds\.definitions\.0\.mappingFile: cannot read nope\.json/);
    expect(() => parseDeploymentConfig({ feeds: { definitions: [FEEDS.definitions[0], FEEDS.definitions[0]] } })).toThrow(/feed "host-cdr" is defined twice/);
    expect(() =>
      parseDeploymentConfig({ feeds: { definitions: [FEEDS.definitions[0]], sftp: { enabled: true, users: [{ feed: 'tap', userName: 'abc', sshPublicKeys: ['ssh-ed25519 AAAA'] }] } } }),
    ).toThrow(/feeds\.sftp\.users\.0\.feed: no feed "tap" is defined/);
  });

  it.each([
    [60, { periodMinutes: 5, evaluationPeriods: 12 }],
    [17, { periodMinutes: 1, evaluationPeriods: 17 }],
    [1_440, { periodMinutes: 5, evaluationPeriods: 288 }],
    [1_800, { periodMinutes: 60, evaluationPeriods: 30 }],
    [10_080, { periodMinutes: 60, evaluationPeriods: 168 }],
  ])('watches %i minutes of silence within CloudWatch limits', (minutes, window) => {
    expect(silenceWindow(minutes)).toEqual(window);
    const total = window.periodMinutes * window.evaluationPeriods;
    expect(total).toBeGreaterThanOrEqual(minutes);
    expect(total).toBeLessThanOrEqual(window.periodMinutes < 60 ? 1_440 : 10_080);
  });
});
