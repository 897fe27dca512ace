import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { atExpressionOf, SchedulerUnbar, SFN_START_EXECUTION_TARGET, unbarScheduleNameOf } from '../../shared/adapters/scheduler-unbar.js';
import { executionNameOf, type PolicyRequest } from '../../shared/ports/policy-workflow.js';
import { ScheduleOutbox } from '../../local/outboxes.js';

const scheduler = mockClient(SchedulerClient);
const STATE_MACHINE = 'arn:aws:states:eu-west-3:123456789012:stateMachine:Policy';

const reset: PolicyRequest = {
  kind: 'CAP_RESET',
  subscriberId: '208011234567890',
  period: '2026-09-01',
  crossingId: 'CAP_RESET#roaming',
  at: '2026-09-30T22:00:00Z',
  bucket: 'roaming',
};

function adapter(now = '2026-09-10T13:40:00Z'): SchedulerUnbar {
  return new SchedulerUnbar({
    client: new SchedulerClient({ region: 'eu-west-3' }),
    groupName: 'spendcap-unbar',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler',
    stateMachineArn: STATE_MACHINE,
    now: () => new Date(now),
  });
}

afterEach(() => {
  scheduler.reset();
});

describe('SchedulerUnbar', () => {
  it('creates a one-time UTC schedule at the period start that deletes itself and starts the CAP_RESET under its execution name', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:x' });

    const result = await adapter().schedule(reset.at, reset);

    expect(result).toEqual({ outcome: 'SCHEDULED', name: unbarScheduleNameOf(reset) });
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Name: unbarScheduleNameOf(reset),
      GroupName: 'spendcap-unbar',
      ScheduleExpression: 'at(2026-09-30T22:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: SFN_START_EXECUTION_TARGET, RoleArn: 'arn:aws:iam::123456789012:role/scheduler' },
    });
    expect(JSON.parse(input?.Target?.Input ?? '{}')).toEqual({ StateMachineArn: STATE_MACHINE, Name: executionNameOf(reset), Input: JSON.stringify(reset) });
  });

  it('answers ALREADY_SCHEDULED on ConflictException (the same un-bar scheduled twice)', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));

    const result = await adapter().schedule(reset.at, reset);

    expect(result.outcome).toBe('ALREADY_SCHEDULED');
  });

  it('never schedules in the past: a late bar is lifted a minute from now', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});

    await adapter('2026-10-03T08:00:00Z').schedule(reset.at, reset);

    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.ScheduleExpression).toBe('at(2026-10-03T08:01:00)');
  });

  it('propagates other errors (the state machine retries the task)', async () => {
    scheduler.on(CreateScheduleCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    await expect(adapter().schedule(reset.at, reset)).rejects.toThrow('throttled');
  });

  it('names schedules deterministically within Scheduler limits, without the subscriber id', () => {
    const name = unbarScheduleNameOf(reset);

    expect(name).toBe(unbarScheduleNameOf({ ...reset }));
    expect(name).not.toBe(unbarScheduleNameOf({ ...reset, period: '2026-10-01' }));
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(name).not.toContain(reset.subscriberId);
    expect(atExpressionOf(new Date('2026-02-28T23:00:00.123Z'))).toBe('at(2026-02-28T23:00:00)');
  });
});

describe('ScheduleOutbox (local Scheduler)', () => {
  it('keeps one schedule per name and hands out the due ones earliest first', async () => {
    const outbox = new ScheduleOutbox();
    const overage = { ...reset, crossingId: 'CAP_RESET#overage', bucket: 'overage' as const, at: '2026-09-30T21:00:00Z' };

    expect((await outbox.schedule(reset.at, reset)).outcome).toBe('SCHEDULED');
    expect((await outbox.schedule(reset.at, reset)).outcome).toBe('ALREADY_SCHEDULED');
    await outbox.schedule(overage.at, overage);

    expect(outbox.nextDueMs()).toBe(Date.parse('2026-09-30T21:00:00Z'));
    expect(outbox.takeDue(Date.parse('2026-09-30T20:59:59Z'))).toBeUndefined();
    expect(outbox.takeDue(Date.parse('2026-10-01T00:00:00Z'))?.request.bucket).toBe('overage');
    expect(outbox.takeDue(Date.parse('2026-10-01T00:00:00Z'))?.request.bucket).toBe('roaming');
    expect(outbox.takeDue(Date.parse('2026-10-01T00:00:00Z'))).toBeUndefined();
    expect(outbox.all()).toHaveLength(2);
  });
});
