import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import type { BarState } from '../../shared/ports/bar-store.js';
import type { PolicyRequest } from '../../shared/ports/policy-workflow.js';
import { idempotencyKeyOf, planPolicy, UnknownSubscriberError } from '../../shared/policy/plan.js';

function profileOf(input: Record<string, unknown>): SubscriberProfile {
  const parsed = parseSubscriberProfile({ subscriberId: 'S1', msisdn: '+33611111111', plan: { dataAllowanceBytes: 1_000_000_000 }, ...input });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function depsOf(profile: SubscriberProfile | undefined, bars: BarState = {}) {
  return {
    profiles: { get: async (id: string) => (profile?.subscriberId === id ? profile : undefined) },
    bars: { get: async () => bars },
    settings: DEFAULT_SETTINGS,
    opsAddress: 'ops',
  };
}

const capReached: PolicyRequest = {
  kind: 'ROAMING_CAP_REACHED',
  subscriberId: 'S1',
  period: '2026-09-01',
  crossingId: 'ROAMING_CAP_REACHED@50000000',
  at: '2026-09-10T13:40:00Z',
  servingPlmn: '22801',
};

const reset: PolicyRequest = { kind: 'CAP_RESET', subscriberId: 'S1', period: '2026-09-01', crossingId: 'CAP_RESET#roaming', at: '2026-09-30T22:00:00Z', bucket: 'roaming' };

describe('planPolicy', () => {
  it('plans the bar, its un-bar at the next period start, and the rendered message', async () => {
    const plan = await planPolicy(capReached, depsOf(profileOf({ locale: 'en' })));

    expect(plan.command).toEqual({
      subscriberId: 'S1',
      period: '2026-09-01',
      crossingId: 'ROAMING_CAP_REACHED@50000000',
      command: 'BAR_DATA_ROAMING',
      idempotencyKey: idempotencyKeyOf(capReached, 'BAR_DATA_ROAMING'),
      reason: 'ROAMING_CAP_REACHED@50000000',
    });
    expect(plan.unbar).toMatchObject({ bucket: 'roaming', runAt: '2026-09-30T22:00:00Z', request: { kind: 'CAP_RESET', crossingId: 'CAP_RESET#roaming', period: '2026-09-01', bucket: 'roaming' } });
    expect(plan.notifications).toHaveLength(1);
    expect(plan.notifications[0]).toMatchObject({ kind: 'ROAMING_CAP_REACHED', channel: 'sms', to: '+33611111111' });
    expect(plan.notifications[0]?.text.length).toBeGreaterThan(20);
    expect(plan.skipped).toBeUndefined();
  });

  it('fails with UnknownSubscriberError, without the subscriber id in the message', async () => {
    const error = await planPolicy(capReached, depsOf(undefined)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnknownSubscriberError);
    expect((error as Error).name).toBe('UnknownSubscriberError');
    expect((error as Error).message).not.toContain('S1');
  });

  it('does nothing for a cap the subscriber opted out of since the crossing', async () => {
    const plan = await planPolicy(capReached, depsOf(profileOf({ roamingCap: { enabled: false } })));

    expect(plan).toEqual({ request: capReached, skipped: 'roaming cap disabled by the subscriber', notifications: [] });
  });

  it('does not send a bar that is already in force for the period, but still warns and schedules', async () => {
    const plan = await planPolicy(capReached, depsOf(profileOf({}), { dataRoaming: { period: '2026-09-01', at: 'x', reason: 'r' } }));

    expect(plan.command).toBeUndefined();
    expect(plan.skipped).toBe('BAR_DATA_ROAMING skipped: already in force');
    expect(plan.notifications).toHaveLength(1);
    expect(plan.unbar).toMatchObject({ bucket: 'roaming' });
  });

  it('re-bars when the bar in force is an older period\'s', async () => {
    const plan = await planPolicy(capReached, depsOf(profileOf({}), { dataRoaming: { period: '2026-08-01', at: 'x', reason: 'r' } }));

    expect(plan.command?.command).toBe('BAR_DATA_ROAMING');
  });

  it('CAP_RESET lifts only a bar of its own period and says nothing otherwise', async () => {
    const profile = profileOf({});
    const ownBar = await planPolicy(reset, depsOf(profile, { dataRoaming: { period: '2026-09-01', at: 'x', reason: 'r' } }));
    const noBar = await planPolicy(reset, depsOf(profile));
    const newerBar = await planPolicy(reset, depsOf(profile, { dataRoaming: { period: '2026-10-01', at: 'x', reason: 'r' } }));

    expect(ownBar.command?.command).toBe('UNBAR_DATA_ROAMING');
    expect(ownBar.notifications.map((n) => n.kind)).toEqual(['CAP_RESET']);
    expect(ownBar.unbar).toBeUndefined();
    expect(noBar).toEqual({ request: reset, skipped: 'no cap bar of period 2026-09-01 in force', notifications: [] });
    expect(newerBar.command).toBeUndefined();
    expect(newerBar.notifications).toEqual([]);
  });

  it('a resume with nothing barred confirms without a carrier command', async () => {
    const resume: PolicyRequest = { kind: 'ROAMING_RESUMED', subscriberId: 'S1', period: '2026-09-01', crossingId: 'ROAMING_RESUMED#1', at: '2026-09-12T10:00:00Z', bucket: 'roaming' };

    const plan = await planPolicy(resume, depsOf(profileOf({})));

    expect(plan.command).toBeUndefined();
    expect(plan.notifications.map((n) => n.kind)).toEqual(['ROAMING_RESUMED']);
  });

  it('idempotency keys are deterministic per subscriber, period, crossing and command', () => {
    const key = idempotencyKeyOf(capReached, 'BAR_DATA_ROAMING');

    expect(idempotencyKeyOf({ ...capReached }, 'BAR_DATA_ROAMING')).toBe(key);
    expect(idempotencyKeyOf({ ...capReached, period: '2026-10-01' }, 'BAR_DATA_ROAMING')).not.toBe(key);
    expect(idempotencyKeyOf(capReached, 'UNBAR_DATA_ROAMING')).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
  });
});
