/**
 * Each default is written once (the construct's, which the configuration takes as its own) and the table of
 * docs/deploy.md says what it is. This test synthesizes a stack from a configuration that sets none of these
 * keys and reads, for each documented default, the value the template actually carries.
 */
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../shared/config/env-names.js';
import { buildStack, logicalIdOf } from './helpers.js';
import type { SpendcapStack } from '../../infra/spendcap-stack.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The Default column of docs/deploy.md's configuration table, per key (`a` / `b` rows split). */
function documentedDefaults(): Map<string, string> {
  const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('| Key | Default | Meaning |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const defaults = new Map<string, string>();
  for (const row of rows) {
    const [, keyCell = '', defaultCell = ''] = row.split('|');
    const keys = [...keyCell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    const values = [...defaultCell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    keys.forEach((key, i) => {
      const value = values.length === keys.length ? values[i] : values[0];
      if (value !== undefined) defaults.set(key, value);
    });
  }
  return defaults;
}

describe('each documented default is the one deployed', () => {
  let stack: SpendcapStack;
  let resources: Record<string, Resource>;
  const documented = documentedDefaults();

  beforeAll(() => {
    ({ stack } = buildStack());
    resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  }, 300_000);

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const mapping = () => ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties).find((p) => JSON.stringify(p.FunctionName).includes(logicalIdOf(stack.ingest.function)))!;
  const ingestFunction = () => resources[logicalIdOf(stack.ingest.function)]!.Properties;
  const alarm = (name: string) =>
    ofType('AWS::CloudWatch::Alarm')
      .map(([id, r]) => ({ id, p: r.Properties }))
      .find(({ id }) => id.startsWith(`Monitoring${name}`))!.p;

  /** Key -> what the template says, in the unit the table uses. */
  const deployed: Record<string, () => unknown> = {
    'ingest.batchSize': () => mapping().BatchSize,
    'ingest.maxBatchingWindowSeconds': () => mapping().MaximumBatchingWindowInSeconds,
    'ingest.parallelizationFactor': () => mapping().ParallelizationFactor,
    'ingest.retryAttempts': () => mapping().MaximumRetryAttempts,
    'ingest.maxRecordAgeSeconds': () => mapping().MaximumRecordAgeInSeconds,
    'ingest.memorySizeMb': () => ingestFunction().MemorySize,
    'ingest.timeoutSeconds': () => ingestFunction().Timeout,
    'ingest.quarantineRetentionDays': () => (resources[logicalIdOf(stack.ingest.quarantineQueue)]!.Properties.MessageRetentionPeriod as number) / 86_400,
    'ingest.limits.maxAheadSeconds': () => limits().maxAheadSeconds,
    'ingest.limits.duplicateWindowDays': () => limits().duplicateWindowDays,
    'ingest.limits.maxRecordAttempts': () => limits().maxRecordAttempts,
    'alarms.iteratorAgeMs': () => alarm('IngestIteratorAge').Threshold,
    'alarms.smsFailuresPer5Min': () => alarm('SmsDeliveryFailures').Threshold,
    'alarms.quarantineDepth': () => alarm('QuarantineDepth').Threshold,
    'alarms.quarantineAgeHours': () => (alarm('QuarantineAge').Threshold as number) / 3_600,
    'stream.retentionHours': () => resources[logicalIdOf(stack.stream.stream)]!.Properties.RetentionPeriodHours,
  };

  function limits(): Record<string, number> {
    return JSON.parse((ingestFunction().Environment as { Variables: Record<string, string> }).Variables[ENV.ingestLimits]!) as Record<string, number>;
  }

  it.each(Object.keys(deployed))('%s', (key) => {
    // Arrange
    const doc = documented.get(key);

    // Act
    const value = deployed[key]!();

    // Assert
    expect(doc, `docs/deploy.md documents ${key}`).toBeDefined();
    expect(String(value)).toBe(doc);
  });

  it('logs.retentionDays on every log group, the state machine\'s included', () => {
    // Act
    const retentions = ofType('AWS::Logs::LogGroup').map(([, r]) => r.Properties.RetentionInDays);

    // Assert
    expect(retentions.length).toBeGreaterThan(8);
    expect(new Set(retentions)).toEqual(new Set([Number(documented.get('logs.retentionDays'))]));
  });
});
