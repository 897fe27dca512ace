import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { INGEST_METRICS, SWEEP_METRICS } from '../../shared/config/metric-names.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './spendcap-function.js';

export interface MonitoringProps {
  /** Every alarm notifies this topic. */
  readonly opsTopic: sns.ITopic;
  readonly stream: kinesis.IStream;
  readonly ingestFunction: lambda.IFunction;
  readonly policyStateMachine: sfn.IStateMachine;
  /** Every function of the stack, by a readable name (errors and throttles alarms). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The function that reconciles the line's bars through the carrier gateway. */
  readonly reconcileFunction: lambda.IFunction;
  /** The group of the per-bar lift schedules (target errors, dropped starts). */
  readonly liftSchedules: scheduler.IScheduleGroup;
  /** The function that sends one notification (its invocations: messages attempted). */
  readonly notifyFunction: lambda.IFunction;
  /** The workflow task that runs when an action failed after its retries. */
  readonly reportFailureFunction: lambda.IFunction;
  /** Queues that must stay empty: any message is work that did not happen (failed batches, dead letters). */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Rejected events, kept with their reason. */
  readonly quarantineQueue: sqs.IQueue;
  /** SMS that SNS could not deliver. */
  readonly smsFailures: cloudwatch.IMetric;
  /** @default ALARM_DEFAULTS.iteratorAgeMs */
  readonly iteratorAgeThresholdMs?: number;
  /** @default ALARM_DEFAULTS.smsFailuresPer5Min */
  readonly smsFailuresThreshold?: number;
  /** @default ALARM_DEFAULTS.quarantineDepth */
  readonly quarantineDepthThreshold?: number;
  /** Age of the oldest quarantined record that alarms. @default ALARM_DEFAULTS.quarantineAgeHours */
  readonly quarantineAgeThreshold?: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Alarm thresholds when the deployment says nothing, written once (infra/config.ts takes its defaults from here). */
export const ALARM_DEFAULTS = Object.freeze({
  /** A minute behind: events are late enough for an operator to look. */
  iteratorAgeMs: 60_000,
  smsFailuresPer5Min: 5,
  /** Every rejected record gets looked at. */
  quarantineDepth: 1,
  /** Three days: redrive or dismiss well before the quarantine's 14-day retention drops a record. */
  quarantineAgeHours: 72,
});

/**
 * What an operator needs to sleep at night: alarms on everything that means an event was not counted, a
 * subscriber not warned or a bar not placed, all sent to the ops topic; and one dashboard of the pipeline
 * from the functions' Powertools EMF metrics (namespace `spendcap`) next to the AWS service metrics.
 */
export class Monitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.action = new actions.SnsAction(props.opsTopic);

    this.alarm('IngestIteratorAge', {
      metric: props.ingestFunction.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: props.iteratorAgeThresholdMs ?? ALARM_DEFAULTS.iteratorAgeMs,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      alarmDescription: 'Carrier events wait on the stream: counters (and caps) lag behind real usage.',
    });
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(`${name}Depth`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        threshold: 1,
        alarmDescription: `${name}: messages here are work that did not happen (see docs/deploy.md, operations).`,
      });
    }
    this.alarm('QuarantineDepth', {
      metric: props.quarantineQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: props.quarantineDepthThreshold ?? ALARM_DEFAULTS.quarantineDepth,
      alarmDescription: 'Rejected carrier events wait in the quarantine with their reason: they were not counted.',
    });
    this.alarm('QuarantineAge', {
      metric: props.quarantineQueue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: (props.quarantineAgeThreshold ?? Duration.hours(ALARM_DEFAULTS.quarantineAgeHours)).toSeconds(),
      alarmDescription: 'A quarantined record has waited long: fix its cause and redrive it (npm run redrive) before the retention drops it.',
    });
    for (const [name, fn] of Object.entries(props.functions)) this.watchFunction(name, fn);
    this.alarm('IngestFailedSubscribers', {
      // Handled failures: the batch reports them as item failures (retried, bisected), so Errors stays at 0.
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: INGEST_METRICS.failedSubscribers,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: 1,
      alarmDescription: 'Ingest could not update some subscribers\' counters (their records are retried, then sent to the failed-batch queue).',
    });
    this.alarm('PolicyExecutionsFailed', {
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: props.policyStateMachine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
          timedOut: props.policyStateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
          aborted: props.policyStateMachine.metricAborted({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        label: 'Policy executions failed, timed out or aborted',
        period: FIVE_MINUTES,
      }),
      threshold: 1,
      alarmDescription: 'A cap policy execution ended without completing: a warning or a bar may be missing.',
    });
    this.alarm('PolicyActionsFailedAfterRetries', {
      metric: props.reportFailureFunction.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      alarmDescription: 'A notification or a line reconcile (bar / un-bar) failed after every retry: act by hand (audit trail and execution history).',
    });
    this.alarm('LiftScheduleTargetErrors', {
      metric: new cloudwatch.MathExpression({
        expression: 'errors + dropped',
        usingMetrics: {
          errors: props.liftSchedules.metricTargetErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
          dropped: props.liftSchedules.metricDropped({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        label: 'Lift schedules that could not start the workflow',
        period: FIVE_MINUTES,
      }),
      threshold: 1,
      alarmDescription: 'A period-end lift schedule failed to start the policy workflow: a bar may outlive its period (the sweep retries it).',
    });
    this.alarm('OverdueBars', {
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: SWEEP_METRICS.overdueBars,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period: Duration.minutes(15),
      }),
      threshold: 1,
      alarmDescription: 'The sweep found bars still in force after their period ended (their lifts are started again): a subscriber was barred too long.',
    });
    this.alarm('SmsDeliveryFailures', {
      metric: props.smsFailures,
      threshold: props.smsFailuresThreshold ?? ALARM_DEFAULTS.smsFailuresPer5Min,
      alarmDescription: 'SMS to subscribers are failing (SMS sandbox, spend limit, sender ID refused, carrier).',
    });

    this.dashboard = this.buildDashboard(props);
  }

  /**
   * A concern built beside the pipeline (usage files): its alarms go to the ops topic and into the alarm
   * status widget, and its widgets get a section of the dashboard.
   */
  addSection(title: string, rows: readonly (readonly cloudwatch.IWidget[])[], alarms: readonly cloudwatch.Alarm[]): void {
    for (const alarm of alarms) {
      alarm.addAlarmAction(this.action);
      this.alarms.push(alarm);
    }
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `## ${title}`, width: 24, height: 1 }));
    for (const row of rows) this.dashboard.addWidgets(...row);
  }

  /** Errors and throttles alarms of a function (to the ops topic). */
  watchFunction(name: string, fn: lambda.IFunction): void {
    this.alarm(`${name}Errors`, {
      metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      alarmDescription: `The ${name} function failed (retried by its event source or workflow).`,
    });
    this.alarm(`${name}Throttles`, {
      metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      alarmDescription: `The ${name} function was throttled (account concurrency).`,
    });
  }

  private alarm(id: string, props: Omit<cloudwatch.AlarmProps, 'comparisonOperator' | 'evaluationPeriods'> & { evaluationPeriods?: number }): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluationPeriods: 1,
      ...props,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
  }

  private buildDashboard(props: MonitoringProps): cloudwatch.Dashboard {
    const period = Duration.minutes(1);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    const rate = (metricName: string, label: string) => pipelineMetric(metricName, label, period, true);
    const count = (metricName: string, label: string) => pipelineMetric(metricName, label, period, false);
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# spendcap pipeline (${Stack.of(this).stackName})\nCarrier events -> ingest -> counters -> cap policy -> SMS / e-mail / bar. EMF metrics: namespace \`${METRICS_NAMESPACE}\`.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events per second',
        left: [
          rate(INGEST_METRICS.applied, 'applied / s'),
          new cloudwatch.MathExpression({
            expression: 'records / PERIOD(records)',
            usingMetrics: { records: props.stream.metricIncomingRecords({ period, statistic: 'Sum' }) },
            label: 'on the stream / s',
            period,
          }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Duplicates, redeliveries, rejected',
        left: [
          count(INGEST_METRICS.duplicates, 'duplicates'),
          count(INGEST_METRICS.redelivered, 'redelivered'),
          count(INGEST_METRICS.rejected, 'rejected (quarantined)'),
          count(INGEST_METRICS.failedSubscribers, 'subscribers failed (retried)'),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Threshold crossings, bars, notifications',
        left: [
          count(INGEST_METRICS.crossings, 'crossings'),
          count(INGEST_METRICS.lateEvents, 'late records (period ended)'),
          props.reconcileFunction.metricInvocations({ period, statistic: 'Sum', label: 'line reconciles' }),
          props.notifyFunction.metricInvocations({ period, statistic: 'Sum', label: 'notify task runs' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency',
        left: [props.ingestFunction.metric('IteratorAge', { statistic: 'Maximum', period, label: 'iterator age max (ms)' })],
        right: [
          props.ingestFunction.metricDuration({ statistic: 'p99', period, label: 'ingest duration p99 (ms)' }),
          props.policyStateMachine.metricTime({ statistic: 'p99', period, label: 'policy execution p99 (ms)' }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB write units per applied event',
        left: [
          new cloudwatch.MathExpression({
            expression: 'IF(applied > 0, writes / applied, 0)',
            usingMetrics: { writes: count(INGEST_METRICS.writeUnits, 'write units'), applied: count(INGEST_METRICS.applied, 'applied') },
            label: 'write units / event (target <= 1.1)',
            period,
          }),
        ],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 6 }),
    );
    return dashboard;
  }
}

/**
 * A pipeline metric summed over every dimension set the functions emit it with (Powertools adds `service`,
 * and a function may add its own): a SEARCH, so the dashboard does not depend on the dimensions chosen.
 */
function pipelineMetric(metricName: string, label: string, period: Duration, perSecond: boolean): cloudwatch.MathExpression {
  const seconds = period.toSeconds();
  const search = `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metricName}"', 'Sum', ${seconds})`;
  return new cloudwatch.MathExpression({
    expression: perSecond ? `SUM(${search}) / ${seconds}` : `SUM(${search})`,
    usingMetrics: {},
    label,
    period,
  });
}
