/**
 * Monitoring that tells the truth: every metric of the stack's namespace that an alarm or the dashboard
 * reads is emitted by some function, and no two alarms watch the same metric (one page per problem). The
 * stack is synthesized from deploy/example.json, which turns the optional paths on (a usage feed), so that
 * their alarms and graphs are checked too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_METRICS } from '../../shared/adapters/cloudwatch-feed-metrics.js';
import { METRICS_NAMESPACE } from '../../infra/constructs/spendcap-function.js';
import { buildStack } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return path.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** The metric names the product's code emits: Powertools `addMetric`, the SBI front's prefixed names and the feed metrics. */
function emittedMetrics(): Set<string> {
  const code = [...sourcesUnder(join(ROOT, 'shared')), ...sourcesUnder(join(ROOT, 'functions'))].join('\n');
  const names = new Set<string>(Object.values(FEED_METRICS));
  for (const m of code.matchAll(/addMetric\(\s*'(\w+)'/g)) names.add(m[1]!);
  for (const m of code.matchAll(/addMetric\(\s*\w+ \? '(\w+)' : '(\w+)'/g)) [m[1]!, m[2]!].forEach((n) => names.add(n));
  const suffixes = [...code.matchAll(/addMetric\(\s*`\$\{metricPrefix\}(\w+)`/g)].map((m) => m[1]!);
  for (const m of code.matchAll(/albHandlerOf\([\s\S]*?,\s*'(\w+)'\);/g)) for (const suffix of suffixes) names.add(`${m[1]!}${suffix}`);
  return names;
}

type Properties = Record<string, unknown>;

describe('monitoring', () => {
  let alarms: Properties[];
  let dashboards: string[];

  beforeAll(() => {
    const example = JSON.parse(readFileSync(join(ROOT, 'deploy/example.json'), 'utf8')) as Record<string, unknown>;
    const { stack } = buildStack(example);
    const template = Template.fromStack(stack);
    alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: Properties }).Properties);
    dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((r) => JSON.stringify((r as { Properties: Properties }).Properties.DashboardBody));
  }, 300_000);

  it('reads only metrics of its namespace that some function emits', () => {
    // Arrange
    const emitted = emittedMetrics();

    // Act
    const alarmed = alarms.flatMap((a) => {
      const direct = a.Namespace === METRICS_NAMESPACE ? [a.MetricName as string] : [];
      const inMath = ((a.Metrics as Array<{ MetricStat?: { Metric?: { Namespace?: string; MetricName?: string } } }> | undefined) ?? [])
        .map((m) => m.MetricStat?.Metric)
        .filter((m) => m?.Namespace === METRICS_NAMESPACE)
        .map((m) => m!.MetricName!);
      return [...direct, ...inMath];
    });
    const graphed = dashboards.flatMap((body) => [
      ...[...body.matchAll(/MetricName=\\+"(\w+)\\+"/g)].map((m) => m[1]!),
      ...[...body.matchAll(/\[\\"spendcap\\",\\"(\w+)\\"/g)].map((m) => m[1]!),
    ]);

    // Assert
    expect(alarmed.length).toBeGreaterThan(2);
    expect(graphed.length).toBeGreaterThan(5);
    expect([...new Set([...alarmed, ...graphed])].filter((name) => !emitted.has(name)).sort()).toEqual([]);
  });

  it('has no two alarms on the same metric, statistic and threshold direction', () => {
    // Act
    const keys = alarms.map((a) =>
      JSON.stringify([a.Namespace, a.MetricName, a.Dimensions, a.Statistic ?? a.ExtendedStatistic, a.ComparisonOperator, a.Metrics]),
    );

    // Assert
    const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
    expect(repeated).toEqual([]);
  });
});
