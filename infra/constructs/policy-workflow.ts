import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PolicyKind } from '../../shared/domain/model.js';
import { POLICY_ERRORS, POLICY_STATES } from '../../shared/policy/workflow-states.js';
import { LOG_RETENTION_DEFAULT } from './spendcap-function.js';

export { POLICY_ERRORS, POLICY_STATES };

export interface PolicyWorkflowTasks {
  /** functions/reconcile-line: brings the carrier bars in line with the caps (schedules lifts, sends commands). */
  readonly reconcile: lambda.IFunction;
  /** functions/policy-plan: the request and the line's outcome -> the messages (texts rendered). */
  readonly plan: lambda.IFunction;
  /** functions/policy-notify: one planned message. */
  readonly notify: lambda.IFunction;
  /** functions/policy-report-failure: ops alert + failure audit entry. */
  readonly reportFailure: lambda.IFunction;
}

export interface PolicyWorkflowProps {
  readonly tasks: PolicyWorkflowTasks;
  /**
   * Retention of the state machine's log group.
   * @default LOG_RETENTION_DEFAULT (30 days, the deployment's `logs.retentionDays` default)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Upper bound of one execution (carrier retries included).
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
}

/**
 * Errors of the Lambda service itself, and store/service errors that outlasted the SDK's retries
 * (PolicyTransientError): always worth a retry, every task being idempotent.
 */
const LAMBDA_SERVICE_ERRORS = [
  POLICY_ERRORS.transient,
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** The request kinds that can change a bar: their line is reconciled before anything is said. */
const LINE_KINDS = ['ROAMING_CAP_REACHED', 'OVERAGE_CAP_REACHED', 'CAP_RESET', 'CAPS_CHANGED'] as const satisfies readonly PolicyKind[];

/**
 * The "apply cap policy" state machine (Standard, JSONPath: the local runner executes the very definition
 * this synthesizes). Input: a PolicyRequest.
 *
 *   Line to reconcile? ─► Reconcile line ─(Catch)─► Report line failure ─► Line reconcile failed (Fail)
 *          │                    │
 *          └─► No line change ──┴─► Plan notifications ─► Send notifications (Map: Send notification
 *                                                           ─(Catch)─► Report notification failure)
 *                                                        ─► Any notification failed? ─► Done | Notification failed
 *
 * The line comes first: the message that says data is stopped follows the bar, and the messages of a
 * period-end reset or a caps change say what the line really became. Within "Reconcile line" the lift of
 * a bar is scheduled before the bar is sent. Retries belong here, not in the functions: exponential
 * backoff with full jitter, bounded attempts, on the transient error names only (a refused command is
 * reported at once); a line held by another execution is waited for.
 */
export class PolicyWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PolicyWorkflowProps) {
    super(scope, id);
    const { tasks: fns } = props;

    const reconcile = new tasks.LambdaInvoke(this, 'Reconcile', {
      stateName: POLICY_STATES.reconcile,
      lambdaFunction: fns.reconcile,
      // The task's result is the function's own output, in AWS and in the local runner alike.
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        request: sfn.JsonPath.objectAt('$'),
        // The lift schedules' target is this very state machine: read from the context, not configured (no cycle).
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
      }),
      resultPath: '$.line',
      comment: 'Bars as the caps require now: lift scheduled before a bar is sent, commands once, bars recorded',
    });
    reconcile.addRetry({
      errors: [POLICY_ERRORS.carrierTransient, POLICY_ERRORS.lineBusy, ...LAMBDA_SERVICE_ERRORS, 'Sandbox.Timedout'],
      interval: Duration.seconds(2),
      maxAttempts: 8,
      backoffRate: 2,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const reportLineFailure = new tasks.LambdaInvoke(this, 'ReportLineFailure', {
      stateName: POLICY_STATES.reportLineFailure,
      lambdaFunction: fns.reportFailure,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        failure: 'line',
        request: sfn.JsonPath.objectAt('$$.Execution.Input'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      comment: 'Ops alert and failure audit entry',
    });
    reportLineFailure.addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    const lineFailed = new sfn.Fail(this, 'LineFailed', {
      stateName: POLICY_STATES.lineFailed,
      error: POLICY_ERRORS.lineFailed,
      causePath: '$.error.Cause',
    });
    reconcile.addCatch(reportLineFailure.next(lineFailed), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const noLineChange = new sfn.Pass(this, 'NoLineChange', {
      stateName: POLICY_STATES.noLineChange,
      result: sfn.Result.fromObject({ at: '1970-01-01T00:00:00Z', period: '1970-01-01', buckets: [] }),
      resultPath: '$.line',
      comment: 'Welcomes, warnings and alerts change no bar',
    });

    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      stateName: POLICY_STATES.plan,
      lambdaFunction: fns.plan,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.plan',
      comment: 'Which messages the request calls for now, to whom, texts rendered',
    });
    plan.addRetry({
      errors: LAMBDA_SERVICE_ERRORS,
      interval: Duration.seconds(1),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const notify = new tasks.LambdaInvoke(this, 'Notify', {
      stateName: POLICY_STATES.notify,
      lambdaFunction: fns.notify,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      inputPath: '$.message',
      comment: 'One SMS / e-mail / ops message, once, with its audit entry',
    });
    notify.addRetry({
      errors: [POLICY_ERRORS.notificationTransient, ...LAMBDA_SERVICE_ERRORS, 'Sandbox.Timedout'],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
      maxDelay: Duration.seconds(30),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const reportNotificationFailure = new tasks.LambdaInvoke(this, 'ReportNotificationFailure', {
      stateName: POLICY_STATES.reportNotificationFailure,
      lambdaFunction: fns.reportFailure,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        failure: 'notification',
        message: sfn.JsonPath.objectAt('$.message'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      comment: 'Ops alert and failed-notification audit entry; the other channels still go out',
    });
    reportNotificationFailure.addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    notify.addCatch(reportNotificationFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const notifications = new sfn.Map(this, 'Notifications', {
      stateName: POLICY_STATES.notifications,
      itemsPath: '$.plan.notifications',
      itemSelector: { message: sfn.JsonPath.objectAt('$$.Map.Item.Value') },
      // In plan order (SMS, then e-mail): a handful of messages, and the trail reads as they were sent.
      maxConcurrency: 1,
      // Each item ends as SENT, ALREADY_SENT or FAILED (the failure report's result).
      resultSelector: { failed: sfn.JsonPath.arrayContains(sfn.JsonPath.listAt('$'), 'FAILED') },
      resultPath: '$.notificationOutcome',
    });
    notifications.itemProcessor(notify);

    const done = new sfn.Succeed(this, 'Done', { stateName: POLICY_STATES.done });
    const notificationFailed = new sfn.Fail(this, 'NotificationFailed', {
      stateName: POLICY_STATES.notificationFailed,
      error: POLICY_ERRORS.notificationFailed,
      cause: 'A notification could not be sent after its retries; operations were alerted (see the audit trail).',
    });
    const anyNotificationFailed = new sfn.Choice(this, 'AnyNotificationFailed', { stateName: POLICY_STATES.notificationsFailed })
      .when(sfn.Condition.booleanEquals('$.notificationOutcome.failed', true), notificationFailed)
      .otherwise(done);
    const planChain = plan.next(notifications).next(anyNotificationFailed);

    const lineNeeded = new sfn.Choice(this, 'LineNeeded', { stateName: POLICY_STATES.lineNeeded })
      .when(sfn.Condition.or(...LINE_KINDS.map((kind) => sfn.Condition.stringEquals('$.kind', kind))), reconcile.next(planChain))
      .otherwise(noLineChange.next(planChain));

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The vendedlogs prefix keeps CloudWatch Logs' resource policy small however many state machines log.
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 80 })}`,
      retention: props.logRetention ?? LOG_RETENTION_DEFAULT,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'spendcap: apply the cap policy to one threshold crossing, welcome, period-end reset or caps change',
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(lineNeeded),
      timeout: props.timeout ?? Duration.minutes(30),
      tracingEnabled: true,
      // Execution data carries MSISDNs and message texts: never in the logs.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
