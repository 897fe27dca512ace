/**
 * Monitoring that tells the truth: every metric of the stack's namespace that an alarm or the dashboard
 * reads is emitted by some function, no two alarms watch the same metric (one page per problem), and every
 * alarm has its row in docs/operations.md (what it means, what to do). The stack is synthesized with every
 * optional part on (deploy/example.json's usage feed, the SES mailer, the real-time path), so that their
 * alarms and graphs are checked too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import * as METRIC_NAMES from '../../shared/config/metric-names.js';
import { METRICS_NAMESPACE } from '../../infra/constructs/spendcap-function.js';
import { withEveryFunctionStack } from '../support/lambda-bundles.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NAMES_MODULE = join(ROOT, 'shared/config/metric-names.ts');

function sourcesUnder(dir: string): Array<{ path: string; code: string }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return path.endsWith('.ts') ? [{ path, code: readFileSync(path, 'utf8') }] : [];
  });
}

/** The product's code that emits metrics: everything under shared/ and functions/ but the list of names. */
function emitterCode(): string {
  return [...sourcesUnder(join(ROOT, 'shared')), ...sourcesUnder(join(ROOT, 'functions'))]
    .filter((s) => s.path !== NAMES_MODULE)
    .map((s) => s.code)
    .join('\n');
}

type NameGroup = Readonly<Record<string, string>>;
const GROUPS = Object.entries(METRIC_NAMES as unknown as Record<string, NameGroup>);

/**
 * The metric names some emitter uses, from shared/config/metric-names.ts: a name counts as emitted when the
 * code reads it (`GROUP.key`), indexes its group (`GROUP[outcome]`) or hands the whole group to `addCounts`.
 * The service-based interfaces emit each prefix (read by a function) with each suffix (read by the front).
 */
function emittedMetrics(code: string): Set<string> {
  const used = (group: string, key: string): boolean =>
    code.includes(`${group}.${key}`) || code.includes(`${group}[`) || new RegExp(`addCounts\\(\\s*${group}\\b`).test(code);
  const names = new Set<string>();
  for (const [group, entries] of GROUPS) {
    if (group === 'SBI_METRIC_PREFIXES' || group === 'SBI_METRIC_SUFFIXES') continue;
    for (const [key, name] of Object.entries(entries)) if (used(group, key)) names.add(name);
  }
  for (const [prefixKey, prefix] of Object.entries(METRIC_NAMES.SBI_METRIC_PREFIXES)) {
    if (!used('SBI_METRIC_PREFIXES', prefixKey)) continue;
    for (const [suffixKey, suffix] of Object.entries(METRIC_NAMES.SBI_METRIC_SUFFIXES)) if (used('SBI_METRIC_SUFFIXES', suffixKey)) names.add(prefix + suffix);
  }
  return names;
}

type Properties = Record<string, unknown>;

describe('monitoring', () => {
  let alarms: Properties[];
  let dashboards: string[];
  /** Each alarm as `<construct>/<alarm>` (Monitoring/QuarantineDepth, Realtime/SbiServerErrorsAlarm, ...). */
  let alarmPaths: string[];

  beforeAll(() => {
    withEveryFunctionStack((stack) => {
      alarmPaths = stack.node
        .findAll()
        .filter((c) => c instanceof Alarm)
        .map((c) => c.node.path.split('/').slice(-2).join('/'));
      const template = Template.fromStack(stack);
      alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: Properties }).Properties);
      dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((r) => JSON.stringify((r as { Properties: Properties }).Properties.DashboardBody));
    });
  }, 300_000);

  it('names every metric in one module, each one emitted by some function, none spelled out at an emitter', () => {
    // Arrange
    const code = emitterCode();
    const listed = GROUPS.filter(([group]) => !group.startsWith('SBI_METRIC_')).flatMap(([, entries]) => Object.values(entries));

    // Act
    const emitted = emittedMetrics(code);
    const literal = [...code.matchAll(/addMetric\(\s*['`"]/g)].length + [...code.matchAll(/MetricName:\s*['`"]/g)].length;

    // Assert
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.filter((name) => !emitted.has(name))).toEqual([]);
    expect(literal).toBe(0);
  });

  it('reads only metrics of its namespace that some function emits', () => {
    // Arrange
    const emitted = emittedMetrics(emitterCode());

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
  it('has a row in docs/operations.md for every alarm', () => {
    // Arrange: the first column's names; `<Function>` and `<Name>` stand for any function or feed name
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const rows = [...operations.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]!));
    const patterns = rows.map((name) => new RegExp(`^(?:[A-Za-z]+/)?${name.replace(/<[A-Za-z]+>/g, '[A-Za-z0-9]+')}$`));

    // Act
    const undocumented = alarmPaths.filter((path) => !patterns.some((p) => p.test(path) || p.test(path.slice(path.indexOf('/') + 1))));

    // Assert
    expect(alarmPaths.length).toBeGreaterThan(40);
    expect(undocumented).toEqual([]);
  });
});
