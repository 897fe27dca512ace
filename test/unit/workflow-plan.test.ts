import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { LineOutcome } from '../../shared/domain/caps.js';
import type { PolicyRequest, SubscriberProfile } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import { planNotifications } from '../../shared/policy/plan.js';
import { UnknownSubscriberError } from '../../shared/policy/reconcile-line.js';

function profileOf(input: Record<string, unknown>): SubscriberProfile {
  const parsed = parseSubscriberProfile({ subscriberId: 'S1', msisdn: '+33611111111', plan: { dataAllowanceBytes: 1_000_000_000 }, ...input });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function depsOf(profile: SubscriberProfile | undefined, now = '2026-09-10T13:40:00Z', servingMcc?: string) {
  return {
    profiles: { get: async (id: string) => (profile?.subscriberId === id ? profile : undefined) },
    usage: {
      load: async () => ({ counters: new Map(), state: { version: 1, applied: {}, pending: [], ...(servingMcc !== undefined && { servingMcc }) } }),
    },
    settings: DEFAULT_SETTINGS,
    opsAddress: 'ops',
    clock: { now: () => new Date(now) },
  };
}

const bar = { id: '2026-09-01/roaming/x', bucket: 'roaming' as const, period: '2026-09-01', placedAt: '2026-09-10T13:40:00Z', until: '2026-09-30T22:00:00Z', reason: 'x' };
const placed: LineOutcome = { at: '2026-09-10T13:40:00Z', period: '2026-09-01', buckets: [{ bucket: 'roaming', change: 'PLACED', bar }] };
const capReached: PolicyRequest = {
  kind: 'ROAMING_CAP_REACHED',
  subscriberId: 'S1',
  period: '2026-09-01',
  crossingId: 'ROAMING_CAP_REACHED@50000000',
  at: '2026-09-10T13:40:00Z',
  servingPlmn: '22801',
};

describe('planNotifications', () => {
  it('renders the cap message for each of the subscriber\'s channels once the bar is in force', async () => {
    const plan = await planNotifications({ ...capReached, line: placed }, depsOf(profileOf({ locale: 'en' })));

    expect(plan.notifications).toHaveLength(1);
    expect(plan.notifications[0]).toMatchObject({ kind: 'ROAMING_CAP_REACHED', channel: 'sms', to: '+33611111111', crossingId: capReached.crossingId });
    expect(plan.notifications[0]?.text).toContain('EUR 0.50/MB');
    expect(plan.skipped).toBeUndefined();
  });

  it('a bar placed by a caps change quotes the price where ingest last saw the subscriber', async () => {
    const changed: PolicyRequest = { kind: 'CAPS_CHANGED', subscriberId: 'S1', period: '2026-09-01', crossingId: 'CAPS_CHANGED#r4', at: '2026-09-12T10:00:00Z' };

    const plan = await planNotifications({ ...changed, line: placed }, depsOf(profileOf({ locale: 'en' }), '2026-09-12T10:00:00Z', '228'));

    expect(plan.notifications.map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED']);
    expect(plan.notifications[0]?.text).toContain('EUR 0.50/MB');
  });

  it('says nothing about a period that has ended by the time it runs', async () => {
    const plan = await planNotifications({ ...capReached, kind: 'ROAMING_SPEND_80', line: placed }, depsOf(profileOf({}), '2026-10-02T00:00:00Z'));

    expect(plan).toEqual({ skipped: 'period 2026-09-01 has ended', notifications: [] });
  });

  it('fails with UnknownSubscriberError, without the subscriber id in the message', async () => {
    const error = await planNotifications({ ...capReached, line: placed }, depsOf(undefined)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnknownSubscriberError);
    expect((error as Error).message).not.toContain('S1');
  });
});
