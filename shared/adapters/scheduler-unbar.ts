import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Bar, PolicyRequest } from '../domain/model.js';
import type { UnbarScheduler } from '../ports/unbar-scheduler.js';
import { keyedDigest, pseudonymOf } from '../privacy/pseudonym.js';
import { executionNameOf } from './sfn-workflow-starter.js';

/**
 * Deterministic schedule name (at most 64 of [0-9A-Za-z-_.]): one schedule per bar, whatever the number of
 * attempts: `unbar-<bucket>-<period>-<pseudonym>-<16 hex>`, 62 characters. The subscriber appears by its
 * pseudonym only (schedule names are visible in the console); the tail is a keyed digest of subscriber and bar.
 */
export function unbarScheduleNameOf(subscriberId: string, bar: Bar): string {
  const digest = keyedDigest([subscriberId, bar.id], 16);
  return `unbar-${bar.bucket}-${bar.period}-${pseudonymOf(subscriberId)}-${digest}`.slice(0, 64);
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
  /** Queue that keeps a start Scheduler could not deliver after its retries (alarmed). */
  readonly deadLetterQueueArn?: string;
  /** @default () => new Date() (wall time: a schedule is a real-world event, even in a test) */
  readonly now?: () => Date;
}

/**
 * The lift of a bar at its period's end, with one EventBridge Scheduler one-time schedule per bar: it fires
 * at the exact instant of each subscriber's own period start (cycle day and time zone differ per
 * subscriber), costs nothing while waiting and deletes itself after running (ActionAfterCompletion DELETE).
 * Its input is the bar's CAP_RESET, started under the deterministic execution name, so a schedule that fires
 * twice still lifts once; and the CAP_RESET lifts only its own bar. The periodic sweep of overdue bars is the
 * safety net behind it (a schedule lost, a start dead-lettered), not the mechanism.
 */
export class SchedulerUnbar implements UnbarScheduler {
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerUnbarOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async schedule(bar: Bar, request: PolicyRequest): Promise<{ outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; name: string }> {
    const name = unbarScheduleNameOf(request.subscriberId, bar);
    const runAt = bar.until;
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
          Description: `spendcap: lift the ${bar.bucket} cap bar of period ${bar.period} at its end`,
          Target: {
            Arn: SFN_START_EXECUTION_TARGET,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify({
              StateMachineArn: this.options.stateMachineArn,
              Name: executionNameOf(request),
              Input: JSON.stringify(request),
            }),
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
            ...(this.options.deadLetterQueueArn !== undefined && { DeadLetterConfig: { Arn: this.options.deadLetterQueueArn } }),
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
