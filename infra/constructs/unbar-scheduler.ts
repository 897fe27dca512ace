import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { acknowledgeWildcardResource } from '../nag.js';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import type { SpendcapFunction } from './spendcap-function.js';

/**
 * Lifting each bar at the end of its billing period: one one-time EventBridge Scheduler schedule per bar, in
 * a group of its own, whose target starts the policy state machine with the bar's CAP_RESET. The role that
 * Scheduler assumes can start that state machine and nothing else. A start Scheduler cannot deliver after
 * its retries goes to a dead-letter queue (alarmed by the monitoring); the periodic sweep of overdue bars
 * lifts the bar in any case.
 */
export class UnbarScheduler extends Construct {
  public readonly group: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler (this account only) to start the policy state machine. */
  public readonly role: iam.Role;
  /** Starts of lifts that Scheduler could not deliver: evidence of a bar that outlived its period. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {});
    this.role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Assumed by EventBridge Scheduler to start the spendcap policy state machine at a period end',
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      // The message is the start request (subscriber id in the request): encrypted, kept 14 days, retained.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const id of ['Serverless-SQSRedrivePolicy', 'AwsSolutions-SQS3']) {
      Validations.of(this.deadLetterQueue).acknowledge({
        id,
        reason: 'This queue is itself the dead-letter queue of the lift schedules (set on each schedule\'s target at creation, not as an SQS redrive); a dead-letter queue has no further redrive.',
      });
    }
    this.deadLetterQueue.grantSendMessages(this.role);
  }

  /** The role may start this state machine (the target of every lift schedule). */
  allowStart(stateMachine: sfn.IStateMachine): void {
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }));
  }

  /**
   * Lets a function create lift schedules: SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN and SCHEDULER_DEAD_LETTER_ARN,
   * scheduler:CreateSchedule on schedules of this group only, and iam:PassRole on the scheduler role only, to
   * Scheduler only.
   */
  bindScheduleCreator(fn: SpendcapFunction): void {
    fn.addEnvironment(ENV.schedulerGroupName, this.group.scheduleGroupName);
    fn.addEnvironment(ENV.schedulerRoleArn, this.role.roleArn);
    fn.addEnvironment(ENV.schedulerDeadLetterArn, this.deadLetterQueue.queueArn);
    const { partition, region, account } = Stack.of(this);
    const schedules = `arn:${partition}:scheduler:${region}:${account}:schedule/${this.group.scheduleGroupName}/*`;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [schedules] }));
    acknowledgeWildcardResource(
      fn.role ?? fn,
      schedules,
      'One schedule per bar, named per subscriber and bar at run time: CreateSchedule is limited to the schedules of the spendcap lift group.',
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}
