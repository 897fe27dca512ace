import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { atExpressionOf, SchedulerUnbar, SFN_START_EXECUTION_TARGET, unbarScheduleNameOf } from '../../shared/adapters/scheduler-unbar.js';
import type { Bar, PolicyRequest } from '../../shared/domain/model.js';
import { capResetOf } from '../../shared/policy/reconcile-line.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import { ScheduleOutbox } from '../../local/outboxes.js';

const scheduler = mockClient(SchedulerClient);
const STATE_MACHINE = 'arn:aws:states:eu-west-3:123456789012:stateMachine:Policy';

const bar: Bar = {
  id: '2026-09-01/roaming/ROAMING_CAP_REACHED@50000000',
  bucket: 'roaming',
  period: '2026-09-01',
  placedAt: '2026-09-10T13:40:00Z',
  until: '2026-09-30T22:00:00Z',
  reason: 'ROAMING_CAP_REACHED@50000000',
};
const SUBSCRIBER = '208011234567890';
const reset: PolicyRequest = capResetOf(SUBSCRIBER, bar);

function adapter(now = '2026-09-10T13:40:00Z'): SchedulerUnbar {
  return new SchedulerUnbar({
    client: new SchedulerClient({ region: 'eu-west-3' }),
    groupName: 'spendcap-unbar',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler',
    stateMachineArn: STATE_MACHINE,
    deadLetterQueueArn: 'arn:aws:sqs:eu-west-3:123456789012:lift-dead-letters',
    now: () => new Date(now),
  });
}

afterEach(() => {
  scheduler.reset();
});

describe('SchedulerUnbar', () => {
  it('creates a one-time UTC schedule at the bar\'s period end that deletes itself and starts its CAP_RESET under its execution name', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:x' });

    const result = await adapter().schedule(bar, reset);

    expect(result).toEqual({ outcome: 'SCHEDULED', name: unbarScheduleNameOf(SUBSCRIBER, bar) });
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Name: unbarScheduleNameOf(SUBSCRIBER, bar),
      GroupName: 'spendcap-unbar',
      ScheduleExpression: 'at(2026-09-30T22:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: SFN_START_EXECUTION_TARGET,
        RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-3:123456789012:lift-dead-letters' },
      },
    });
    expect(JSON.parse(input?.Target?.Input ?? '{}')).toEqual({ StateMachineArn: STATE_MACHINE, Name: executionNameOf(reset), Input: JSON.stringify(reset) });
  });

  it('answers ALREADY_SCHEDULED on ConflictException (the same un-bar scheduled twice)', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));

    const result = await adapter().schedule(bar, reset);

    expect(result.outcome).toBe('ALREADY_SCHEDULED');
  });

  it('never schedules in the past: a late bar is lifted a minute from now', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});

    await adapter('2026-10-03T08:00:00Z').schedule(bar, reset);

    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.ScheduleExpression).toBe('at(2026-10-03T08:01:00)');
  });

  it('propagates other errors (the state machine retries the task)', async () => {
    scheduler.on(CreateScheduleCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    await expect(adapter().schedule(bar, reset)).rejects.toThrow('throttled');
  });

  it('names schedules deterministically per bar within Scheduler limits, without the subscriber id', () => {
    const name = unbarScheduleNameOf(SUBSCRIBER, bar);

    expect(name).toBe(unbarScheduleNameOf(SUBSCRIBER, { ...bar }));
    expect(name).not.toBe(unbarScheduleNameOf(SUBSCRIBER, { ...bar, id: '2026-09-01/roaming/CAPS_CHANGED#r3' }));
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(name).not.toContain(SUBSCRIBER);
    expect(atExpressionOf(new Date('2026-02-28T23:00:00.123Z'))).toBe('at(2026-02-28T23:00:00)');
  });
});

describe('ScheduleOutbox (local Scheduler)', () => {
  it('keeps one schedule per bar and tells its listeners of each new one', async () => {
    const outbox = new ScheduleOutbox();
    const seen: string[] = [];
    outbox.onSchedule((entry) => seen.push(entry.at));
    const overage: Bar = { ...bar, id: '2026-09-01/overage/x', bucket: 'overage' };

    expect((await outbox.schedule(bar, reset)).outcome).toBe('SCHEDULED');
    expect((await outbox.schedule(bar, reset)).outcome).toBe('ALREADY_SCHEDULED');
    await outbox.schedule(overage, capResetOf(SUBSCRIBER, overage));

    expect(seen).toEqual(['2026-09-30T22:00:00Z', '2026-09-30T22:00:00Z']);
    expect(outbox.all().map((s) => s.request.bucket)).toEqual(['roaming', 'overage']);
  });
});
