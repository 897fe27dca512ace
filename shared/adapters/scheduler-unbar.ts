import { createHash } from 'node:crypto';
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { executionNameOf, type PolicyRequest } from '../ports/policy-workflow.js';
import type { UnbarScheduler } from '../ports/unbar-scheduler.js';

/**
 * Deterministic schedule name (at most 64 of [0-9A-Za-z-_.]): one schedule per (subscriber, period, bucket)
 * whatever the number of attempts. The subscriber id is hashed (schedule names are visible in the console).
 */
export function unbarScheduleNameOf(request: PolicyRequest): string {
  const digest = createHash('sha256')
    .update(`${request.subscriberId}\u0000${request.period}\u0000${request.crossingId}`)
    .digest('hex')
    .slice(0, 40);
  return `unbar-${request.bucket ?? 'all'}-${request.period}-${digest}`.slice(0, 64);
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC. */
export function atExpressionOf(when: Date): string {
  return `at(${when.toISOString().slice(0, 19)})`;
}

/** Universal target: lets the schedule name the execution, so Step Functions de-duplicates it too. */
export const SFN_START_EXECUTION_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:startExecution';

export interface SchedulerUnbarOptions {
  readonly client: SchedulerClient;
  readonly groupName: string;
  /** Role that Scheduler assumes to start the execution. */
  readonly roleArn: string;
  readonly stateMachineArn: string;
  /** @default () => new Date() (wall time: a schedule is a real-world event, even in a test) */
  readonly now?: () => Date;
}

/**
 * Un-bar at the next period start with one EventBridge Scheduler one-time schedule per bar, rather than
 * a periodic sweep: it fires at the exact instant of each subscriber's own period start (cycle day and
 * time zone differ per subscriber), costs nothing while waiting, needs no scan of every subscriber, and
 * deletes itself after running (ActionAfterCompletion DELETE). Its input is the CAP_RESET request, started
 * under the deterministic execution name, so a schedule that fires twice still un-bars once.
 */
export class SchedulerUnbar implements UnbarScheduler {
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerUnbarOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async schedule(runAt: string, request: PolicyRequest): Promise<{ outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; name: string }> {
    const name = unbarScheduleNameOf(request);
    // A one-time schedule in the past would never fire: a bar placed after its period ended (a late
    // workflow) is lifted a minute from now instead.
    const earliest = this.now().getTime() + 60_000;
    const when = new Date(Math.max(Date.parse(runAt), earliest));
    try {
      await this.options.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          ScheduleExpression: atExpressionOf(when),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: `spendcap: lift the ${request.bucket ?? ''} cap bar at the period start`,
          Target: {
            Arn: SFN_START_EXECUTION_TARGET,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify({
              StateMachineArn: this.options.stateMachineArn,
              Name: executionNameOf(request),
              Input: JSON.stringify(request),
            }),
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          },
        }),
      );
      return { outcome: 'SCHEDULED', name };
    } catch (e: unknown) {
      if (e instanceof ConflictException || (e instanceof Error && e.name === 'ConflictException')) {
        return { outcome: 'ALREADY_SCHEDULED', name };
      }
      throw e;
    }
  }
}
