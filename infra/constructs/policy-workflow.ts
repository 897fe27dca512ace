import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { POLICY_ERRORS, POLICY_STATES } from '../../shared/policy/workflow-states.js';

export { POLICY_ERRORS, POLICY_STATES };

export interface PolicyWorkflowTasks {
  /** functions/policy-plan: PolicyRequest -> plan (texts, command, un-bar). */
  readonly plan: lambda.IFunction;
  /** functions/policy-notify: one planned message. */
  readonly notify: lambda.IFunction;
  /** functions/carrier-command: one bar / un-bar. */
  readonly command: lambda.IFunction;
  /** functions/policy-schedule-unbar: the CAP_RESET at the next period start. */
  readonly scheduleUnbar: lambda.IFunction;
  /** functions/policy-report-failure: ops alert + FAILED audit entry. */
  readonly reportFailure: lambda.IFunction;
}

export interface PolicyWorkflowProps {
  readonly tasks: PolicyWorkflowTasks;
  /**
   * Retention of the state machine's log group.
   * @default logs.RetentionDays.ONE_YEAR
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

/**
 * The "apply cap policy" state machine (Standard, JSONPath: the local runner executes the very definition
 * this synthesizes). Input: a PolicyRequest.
 *
 *   Plan actions ─► Carrier command needed? ─► Send carrier command ─(Catch)─► Report carrier failure ─► Carrier command failed (Fail)
 *                         │                          │
 *                         └──────────────────────────┴─► Un-bar to schedule? ─► Schedule un-bar
 *                                                              │                    │
 *                                                              └────────────────────┴─► Send notifications (Map: Send notification
 *                                                                                          ─(Catch)─► Report notification failure)
 *                                                                                       ─► Any notification failed? ─► Done | Notification failed
 *
 * The bar comes before the message that says data is stopped, and the un-bar is scheduled right after the
 * bar, before any message: a notification that cannot be delivered must not leave a bar without its lift.
 * Retries belong here, not in the functions: exponential backoff with full jitter, bounded attempts, on the
 * transient error names only (a refused command is reported at once).
 */
export class PolicyWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PolicyWorkflowProps) {
    super(scope, id);
    const { tasks: fns } = props;

    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      stateName: POLICY_STATES.plan,
      lambdaFunction: fns.plan,
      // The task's result is the function's own output, in AWS and in the local runner alike.
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      comment: 'Load profile and bars in force, plan notifications (texts rendered), carrier command and un-bar',
    });
    plan.addRetry({
      errors: LAMBDA_SERVICE_ERRORS,
      interval: Duration.seconds(1),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const command = new tasks.LambdaInvoke(this, 'Command', {
      stateName: POLICY_STATES.command,
      lambdaFunction: fns.command,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      inputPath: '$.command',
      resultPath: '$.commandOutcome',
      comment: 'Bar / un-bar through the host network (idempotency key), then record the bar in force',
    });
    command.addRetry({
      errors: [POLICY_ERRORS.carrierTransient, ...LAMBDA_SERVICE_ERRORS, 'Sandbox.Timedout'],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });

    const reportCarrierFailure = new tasks.LambdaInvoke(this, 'ReportCarrierFailure', {
      stateName: POLICY_STATES.reportCarrierFailure,
      lambdaFunction: fns.reportFailure,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        failure: 'carrier',
        command: sfn.JsonPath.objectAt('$.command'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      comment: 'Ops alert and FAILED audit entry',
    });
    reportCarrierFailure.addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    const carrierFailed = new sfn.Fail(this, 'CarrierFailed', {
      stateName: POLICY_STATES.carrierFailed,
      error: POLICY_ERRORS.carrierCommandFailed,
      causePath: '$.error.Cause',
    });
    command.addCatch(reportCarrierFailure.next(carrierFailed), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const scheduleUnbar = new tasks.LambdaInvoke(this, 'ScheduleUnbar', {
      stateName: POLICY_STATES.scheduleUnbar,
      lambdaFunction: fns.scheduleUnbar,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        unbar: sfn.JsonPath.objectAt('$.unbar'),
        // The schedule's target is this very state machine: read from the context, not configured (no cycle).
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
      }),
      resultPath: '$.unbarOutcome',
      comment: 'One-time EventBridge Scheduler schedule: CAP_RESET at the next period start',
    });
    scheduleUnbar.addRetry({
      // Idempotent (deterministic schedule name, guard): any failure may be retried.
      errors: [sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
      maxDelay: Duration.seconds(30),
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
      itemsPath: '$.notifications',
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
    const notifyChain = notifications.next(anyNotificationFailed);

    const unbarNeeded = new sfn.Choice(this, 'UnbarNeeded', { stateName: POLICY_STATES.unbarNeeded })
      .when(sfn.Condition.isPresent('$.unbar'), scheduleUnbar.next(notifyChain))
      .otherwise(notifyChain);

    const commandNeeded = new sfn.Choice(this, 'CommandNeeded', { stateName: POLICY_STATES.commandNeeded })
      .when(sfn.Condition.isPresent('$.command'), command.next(unbarNeeded))
      .otherwise(unbarNeeded);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The vendedlogs prefix keeps CloudWatch Logs' resource policy small however many state machines log.
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 80 })}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'spendcap: apply the cap policy to one threshold crossing, welcome, reset or resume',
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(commandNeeded)),
      timeout: props.timeout ?? Duration.minutes(30),
      tracingEnabled: true,
      // Execution data carries MSISDNs and message texts: never in the logs.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
