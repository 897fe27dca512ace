/**
 * "Schedule un-bar": one EventBridge Scheduler one-time schedule that starts the CAP_RESET at the next period
 * start. The state machine ARN comes in the input (`$$.StateMachine.Id`): as configuration it would make
 * the state machine and this function depend on each other.
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { SchedulerUnbar } from '../../shared/adapters/scheduler-unbar.js';
import { logger, maskSubscriber } from '../../shared/observability.js';
import type { AuditLog } from '../../shared/ports/audit-log.js';
import { systemClock, type Clock } from '../../shared/ports/clock.js';
import type { UnbarScheduler } from '../../shared/ports/unbar-scheduler.js';
import { withTransientErrors } from '../../shared/policy/aws-errors.js';
import { scheduleConfigFromEnv } from '../../shared/policy/config.js';
import { parseTaskInput, scheduleUnbarInputSchema } from '../../shared/policy/payloads.js';
import { scheduleUnbar } from '../../shared/policy/schedule-unbar.js';

export interface PolicyScheduleUnbarDeps {
  /** The scheduler that starts `stateMachineArn` (locally: the schedule outbox, whatever the ARN). */
  readonly schedulerFor: (stateMachineArn: string) => UnbarScheduler;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export type ScheduleUnbarResult = { outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; runAt: string };

export function createHandler(deps: PolicyScheduleUnbarDeps): (event: unknown) => Promise<ScheduleUnbarResult> {
  return async (event: unknown) => {
    const input = parseTaskInput(scheduleUnbarInputSchema, event, 'policy-schedule-unbar');
    const result = await withTransientErrors(() =>
      scheduleUnbar(input.unbar, { scheduler: deps.schedulerFor(input.stateMachineArn), audit: deps.audit, clock: deps.clock }),
    );
    logger.info('un-bar scheduled', { subscriber: maskSubscriber(input.unbar.subscriberId), bucket: input.unbar.bucket, ...result });
    return result;
  };
}

let production: ((event: unknown) => Promise<ScheduleUnbarResult>) | undefined;

function productionHandler(): (event: unknown) => Promise<ScheduleUnbarResult> {
  const config = scheduleConfigFromEnv(process.env);
  const client = new SchedulerClient({});
  return createHandler({
    schedulerFor: (stateMachineArn) =>
      new SchedulerUnbar({ client, groupName: config.schedulerGroupName, roleArn: config.schedulerRoleArn, stateMachineArn }),
    audit: new DynamoAuditLog({ client: documentClientOf(createDynamoClient()), tableName: config.auditTable }),
    clock: systemClock,
  });
}

export const handler = async (event: unknown): Promise<ScheduleUnbarResult> => {
  production ??= productionHandler();
  return production(event);
};
