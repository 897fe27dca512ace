import { existsSync, readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  committedInventorySection,
  DEPLOY_DOC,
  generateInventories,
  generateInventorySection,
  inventoryOf,
  type Inventories,
  type StackTemplate,
} from '../../infra/deploy-inventory.js';
import { buildStack, removeOutdirs, testApp } from './helpers.js';

afterAll(removeOutdirs);

const ROOT = new URL('../../', import.meta.url);
let inventories: Inventories;
let doc: string;

beforeAll(() => {
  inventories = generateInventories();
  doc = readFileSync(DEPLOY_DOC, 'utf8');
}, 120_000);

/** docs/deploy.md without its generated section: the hand-written text. */
function handWritten(): string {
  const section = committedInventorySection(doc) ?? '';
  return doc.replace(section, '');
}

function backticked(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
}

describe('docs/deploy.md against the synthesized template', () => {
  it('has the inventory section of a fresh synthesis of deploy/example.json (else: npm run docs:deploy)', () => {
    // Act
    const fresh = generateInventorySection(inventories);

    // Assert
    expect(committedInventorySection(doc), 'docs/deploy.md: inventory markers').toBeDefined();
    expect(committedInventorySection(doc), 'docs/deploy.md is stale: run `npm run docs:deploy`').toBe(fresh);
  });

  it('lists every alarm, key, queue, function and output of the template by name, with its count', () => {
    // Arrange
    const section = committedInventorySection(doc) ?? '';
    const { base } = inventories;

    // Assert
    for (const [type, title] of [
      ['AWS::CloudWatch::Alarm', 'CloudWatch alarms'],
      ['AWS::KMS::Key', 'KMS keys'],
      ['AWS::SQS::Queue', 'SQS queues'],
      ['AWS::Lambda::Function', 'Lambda functions'],
    ] as const) {
      const items = base.items.filter((i) => i.type === type);
      expect(items.length, type).toBeGreaterThan(0);
      expect(section).toMatch(new RegExp(`\\*\\*${title}[^*]*: ${items.length}\\*\\*`));
      for (const item of items) expect(section, `${type} ${item.path}`).toContain(`| \`${item.path}\` |`);
    }
    expect(section).toContain(`**Stack outputs: ${base.outputs.length}**`);
    for (const output of base.outputs) expect(section).toContain(`| \`${output.name}\` |`);
  });

  it('names, outside the generated section, only outputs, construct paths and alarms that exist', () => {
    // Arrange: every name of the example and its variants.
    const all = [inventories.base, ...inventories.variants.map((v) => v.inventory)];
    const outputs = new Set(all.flatMap((inv) => inv.outputs.map((o) => o.name)));
    const paths = new Set(all.flatMap((inv) => inv.items.map((i) => i.path)));
    const alarms = new Set(all.flatMap((inv) => inv.items.filter((i) => i.type === 'AWS::CloudWatch::Alarm').map((i) => i.path.split('/').at(-1) ?? '')));

    // Act
    const names = backticked(handWritten());
    const unknownOutputs = names.filter((n) => /^[A-Z][A-Za-z]+(Arn|Name|Url)$/.test(n) && !outputs.has(n));
    const unknownPaths = names.filter((n) => /^[A-Z][A-Za-z]+(\/[A-Z][A-Za-z]+)+$/.test(n) && !paths.has(n));
    const unknownAlarms = names.filter((n) => /^[A-Z][A-Za-z]+(Depth|Errors|Throttles|Failures|Age)$/.test(n) && !alarms.has(n));

    // Assert
    expect(unknownOutputs).toEqual([]);
    expect(unknownPaths).toEqual([]);
    expect(unknownAlarms).toEqual([]);
  });

  it('points only at configuration files that exist', () => {
    const files = [...new Set([...doc.matchAll(/\bdeploy\/[a-z.-]+\.json\b/g)].map((m) => m[0]))];
    const missing = files.filter((file) => !existsSync(new URL(file, ROOT)) && !/^deploy\/(production|staging|pipeline)\.json$/.test(file));

    expect(files).toContain('deploy/example.json');
    expect(missing).toEqual([]);
  });
});

describe('the inventory generator', () => {
  it('picks up an alarm and a queue added to the stack later, with nothing to change but the regeneration', () => {
    // Arrange: the stack with one more queue and one more alarm on it, as a future construct would add them.
    const app = testApp({ 'aws:cdk:enable-path-metadata': true });
    const { stack } = buildStack({}, app);
    const before = inventoryOf(app.synth({ force: true }).getStackArtifact(stack.artifactId).template as StackTemplate);
    const queue = new sqs.Queue(stack.monitoring, 'ProbeQueue', { enforceSSL: true });
    new cloudwatch.Alarm(stack.monitoring, 'ProbeDepth', {
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription: 'probe',
    });

    // Act
    const after = inventoryOf(app.synth({ force: true }).getStackArtifact(stack.artifactId).template as StackTemplate);

    // Assert
    expect(after.counts['AWS::CloudWatch::Alarm']).toBe((before.counts['AWS::CloudWatch::Alarm'] ?? 0) + 1);
    expect(after.counts['AWS::SQS::Queue']).toBe((before.counts['AWS::SQS::Queue'] ?? 0) + 1);
    expect(after.items.map((i) => i.path)).toEqual(expect.arrayContaining(['Monitoring/ProbeDepth', 'Monitoring/ProbeQueue']));
  });
});
