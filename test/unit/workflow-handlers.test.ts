import { describe, expect, it } from 'vitest';
import { createHandler as createPlan } from '../../functions/policy-plan/handler.js';
import { createHandler as createNotify } from '../../functions/policy-notify/handler.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { NotificationOutbox } from '../../local/outboxes.js';
import type { AuditLog } from '../../shared/ports/audit-log.js';

const request = {
  kind: 'DATA_ALLOWANCE_80',
  subscriberId: 'S1',
  period: '2026-09-01',
  crossingId: 'DATA_ALLOWANCE_80',
  at: '2026-09-10T12:00:00Z',
  line: { at: '2026-09-10T12:00:00Z', period: '2026-09-01', buckets: [] },
};
const clock = { now: () => new Date('2026-09-10T12:00:00Z') };
const usage = { load: async () => ({ counters: new Map(), state: { version: 0, applied: {}, pending: [] } }) };
const throttled = () => Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('task handlers', () => {
  it('reject an input that does not match the task, naming the field', async () => {
    const plan = createPlan({ profiles: { get: async () => undefined }, usage, settings: DEFAULT_SETTINGS, opsAddress: 'ops', clock });

    const error = await plan({ ...request, period: 'September' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('policy-plan: invalid input: period: must be a date YYYY-MM-DD');
  });

  it('turn a store error that outlasted the SDK retries into PolicyTransientError, which the state machine retries', async () => {
    const plan = createPlan({ profiles: { get: async () => Promise.reject(throttled()) }, usage, settings: DEFAULT_SETTINGS, opsAddress: 'ops', clock });

    const error = await plan(request).catch((e: unknown) => e);

    expect((error as Error).name).toBe('PolicyTransientError');
    expect((error as Error).message).toContain('ProvisionedThroughputExceededException');
  });

  it('keep the names of domain errors (the state machine decides on them)', async () => {
    const outbox = new NotificationOutbox();
    outbox.failNext(1, 'permanent');
    const audit: AuditLog = { begin: async () => 'PROCEED', complete: async () => undefined, record: async () => undefined, list: async () => [] };
    const notify = createNotify({ notifier: outbox, audit, clock: { now: () => new Date('2026-09-10T12:00:00Z') } });

    const error = await notify({ subscriberId: 'S1', period: '2026-09-01', crossingId: 'c', kind: 'DATA_ALLOWANCE_80', channel: 'sms', to: '+33611111111', text: 'hello' }).catch((e: unknown) => e);

    expect((error as Error).name).toBe('NotificationRejectedError');
  });
});
