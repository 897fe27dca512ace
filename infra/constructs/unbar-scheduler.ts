import { Stack } from 'aws-cdk-lib';
import { acknowledgeWildcardResource } from '../nag.js';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import type { SpendcapFunction } from './spendcap-function.js';

/**
 * Lifting a cap bar at the start of the next billing period: one one-time EventBridge Scheduler schedule per
 * bar, in a group of its own, whose target starts the policy state machine with a CAP_RESET request. The
 * role that Scheduler assumes can start that state machine and nothing else.
 */
export class UnbarScheduler extends Construct {
  public readonly group: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler (this account only) to start the policy state machine. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {});
    this.role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Assumed by EventBridge Scheduler to start the spendcap policy state machine at a period start',
    });
  }

  /** The role may start this state machine (the target of every un-bar schedule). */
  allowStart(stateMachine: sfn.IStateMachine): void {
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }));
  }

  /**
   * Lets a function create un-bar schedules: SCHEDULER_GROUP_NAME and SCHEDULER_ROLE_ARN, scheduler:CreateSchedule
   * on schedules of this group only, and iam:PassRole on the scheduler role only, to Scheduler only.
   */
  bindScheduleCreator(fn: SpendcapFunction): void {
    fn.addEnvironment(ENV.schedulerGroupName, this.group.scheduleGroupName);
    fn.addEnvironment(ENV.schedulerRoleArn, this.role.roleArn);
    const { partition, region, account } = Stack.of(this);
    const schedules = `arn:${partition}:scheduler:${region}:${account}:schedule/${this.group.scheduleGroupName}/*`;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [schedules] }));
    acknowledgeWildcardResource(
      fn.role ?? fn,
      schedules,
      'One schedule per bar, named per subscriber and period at run time: CreateSchedule is limited to the schedules of the spendcap un-bar group.',
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
