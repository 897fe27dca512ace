import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { PeriodCounters, PolicySettings, SubscriberProfile } from '../../shared/domain/model.js';
import {
  DEFAULT_POLICY,
  billShockThresholdMicros,
  bucketOfKind,
  isPast,
  isRoamingWelcome,
  noticesOf,
  recipientsOf,
  thresholdCrossings,
  withFired,
} from '../../shared/domain/policy.js';
import { DEFAULT_TARIFF } from '../../shared/domain/tariff.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import type { LineOutcome } from '../../shared/domain/caps.js';

const settings: PolicySettings = {
  homePlmn: '20801',
  tariff: DEFAULT_TARIFF,
  billShock: { monthlyFeeMultiplier: 10, minimumMicros: 100_000_000 },
  continueKeyword: { fr: 'CONTINUER', en: 'CONTINUE' },
  selfCareUrl: 'https://moncompte.example.fr',
};

function profileWith(overrides: Partial<SubscriberProfile> = {}): SubscriberProfile {
  return {
    subscriberId: 'S1',
    msisdn: '+33600000001',
    email: 's1@example.org',
    locale: 'fr',
    homePlmn: '20801',
    plan: { dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    roamingCap: { enabled: true, limitMicros: 50_000_000 },
    overageCap: { enabled: true, limitMicros: 50_000_000 },
    notifications: { sms: true, email: false },
    ...overrides,
  };
}

const AT = '2026-09-10T12:00:00Z';
const base = emptyCounters('S1', '2026-09-01');

function counters(change: {
  allowanceBytes?: number;
  roaming?: number;
  overage?: number;
  consent?: PeriodCounters['consent'];
  fired?: Record<string, string>;
}): PeriodCounters {
  const bucket = (charge: number) => ({ chargeMicros: charge, billableMicros: charge, writtenOffMicros: 0 });
  return {
    ...base,
    allowanceBytes: change.allowanceBytes ?? 0,
    roaming: bucket(change.roaming ?? 0),
    overage: bucket(change.overage ?? 0),
    consent: change.consent ?? base.consent,
    fired: change.fired ?? {},
  };
}

function ids(before: PeriodCounters, after: PeriodCounters, profile = profileWith()): string[] {
  return thresholdCrossings(before, after, profile, settings, AT).map((c) => c.id);
}

describe('DEFAULT_POLICY', () => {
  it('lists every threshold once, 80% before 100% of the same measure', () => {
    const kinds = DEFAULT_POLICY.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.indexOf('DATA_ALLOWANCE_80')).toBeLessThan(kinds.indexOf('DATA_ALLOWANCE_100'));
    expect(kinds.indexOf('ROAMING_SPEND_80')).toBeLessThan(kinds.indexOf('ROAMING_CAP_REACHED'));
    expect(kinds.indexOf('OVERAGE_SPEND_80')).toBeLessThan(kinds.indexOf('OVERAGE_CAP_REACHED'));
    for (const d of DEFAULT_POLICY) expect(Number.isInteger(d.percent)).toBe(true);
  });
});

describe('thresholdCrossings: data allowance', () => {
  it('fires 80% when the allowance first reaches 80%', () => {
    expect(ids(counters({ allowanceBytes: 799_999_999 }), counters({ allowanceBytes: 800_000_000 }))).toEqual(['DATA_ALLOWANCE_80']);
  });

  it('does not fire just below 80%', () => {
    expect(ids(base, counters({ allowanceBytes: 799_999_999 }))).toEqual([]);
  });

  it('fires 100% at the allowance once 80% has fired', () => {
    const fired = { DATA_ALLOWANCE_80: AT };
    expect(ids(counters({ allowanceBytes: 900_000_000, fired }), counters({ allowanceBytes: 1_000_000_000, fired }))).toEqual([
      'DATA_ALLOWANCE_100',
    ]);
  });

  it('fires 80% then 100% when one step jumps past both', () => {
    expect(ids(base, counters({ allowanceBytes: 1_200_000_000 }))).toEqual(['DATA_ALLOWANCE_80', 'DATA_ALLOWANCE_100']);
  });

  it('is skipped when the plan has no allowance', () => {
    const profile = profileWith({ plan: { ...profileWith().plan, dataAllowanceBytes: 0 } });
    expect(ids(base, counters({ allowanceBytes: 5 }), profile)).toEqual([]);
  });

  it('does not fire again once marked fired', () => {
    const after = withFired(counters({ allowanceBytes: 850_000_000 }), thresholdCrossings(base, counters({ allowanceBytes: 850_000_000 }), profileWith(), settings, AT));
    expect(after.fired).toEqual({ DATA_ALLOWANCE_80: AT });
    expect(ids(after, { ...after, allowanceBytes: 860_000_000 })).toEqual([]);
  });
});

describe('withFired', () => {
  it('returns the same counters when nothing crossed', () => {
    expect(withFired(base, [])).toBe(base);
  });

  it('keeps the first firing time of a crossing already marked', () => {
    const marked = counters({ fired: { DATA_ALLOWANCE_80: '2026-09-02T00:00:00Z' } });
    const again = withFired(marked, [{ id: 'DATA_ALLOWANCE_80', kind: 'DATA_ALLOWANCE_80', subscriberId: 'S1', period: '2026-09-01', at: AT }]);
    expect(again.fired).toEqual({ DATA_ALLOWANCE_80: '2026-09-02T00:00:00Z' });
    expect(marked.fired).toEqual({ DATA_ALLOWANCE_80: '2026-09-02T00:00:00Z' });
  });
});

describe('thresholdCrossings: roaming spend', () => {
  it('fires ROAMING_SPEND_80 at EUR 40 of a EUR 50 limit, with the limit in the id', () => {
    const crossings = thresholdCrossings(counters({ roaming: 37_500_000 }), counters({ roaming: 40_000_000 }), profileWith(), settings, AT);
    expect(crossings).toEqual([{ id: 'ROAMING_SPEND_80@50000000', kind: 'ROAMING_SPEND_80', subscriberId: 'S1', period: '2026-09-01', at: AT }]);
  });

  it('fires ROAMING_CAP_REACHED when the charge reaches the limit exactly', () => {
    const fired = { 'ROAMING_SPEND_80@50000000': AT };
    expect(ids(counters({ roaming: 47_500_000, fired }), counters({ roaming: 50_000_000, fired }))).toEqual(['ROAMING_CAP_REACHED@50000000']);
    expect(ids(counters({ roaming: 47_500_000, fired }), counters({ roaming: 49_999_999, fired }))).toEqual([]);
  });

  it('fires 80% then the cap when one step jumps past both', () => {
    expect(ids(base, counters({ roaming: 70_000_000 }))).toEqual(['ROAMING_SPEND_80@50000000', 'ROAMING_CAP_REACHED@50000000']);
  });

  it('sends no warning and places no bar for a subscriber who opted out', () => {
    const profile = profileWith({ roamingCap: { enabled: false, limitMicros: 50_000_000 } });
    expect(ids(base, counters({ roaming: 70_000_000 }), profile)).toEqual([]);
  });

  it('does not bar again after consent to continue, but still warns at 80%', () => {
    const consent = { roaming: true, overage: false };
    expect(ids(base, counters({ roaming: 70_000_000, consent }))).toEqual(['ROAMING_SPEND_80@50000000']);
  });

  it('fires again for a raised limit, once', () => {
    const fired = { 'ROAMING_SPEND_80@50000000': AT, 'ROAMING_CAP_REACHED@50000000': AT };
    const raised = profileWith({ roamingCap: { enabled: true, limitMicros: 80_000_000 } });
    const before = counters({ roaming: 60_000_000, fired });
    const after = counters({ roaming: 64_000_000, fired });
    expect(ids(before, after, raised)).toEqual(['ROAMING_SPEND_80@80000000']);
    const marked = withFired(after, thresholdCrossings(before, after, raised, settings, AT));
    expect(ids(marked, { ...marked, roaming: { ...marked.roaming, chargeMicros: 80_000_000 } }, raised)).toEqual([
      'ROAMING_CAP_REACHED@80000000',
    ]);
  });

  it('treats a limit of 0 as a bar at the first charged roaming usage, never on an empty period', () => {
    const zero = profileWith({ roamingCap: { enabled: true, limitMicros: 0 } });
    expect(ids(base, base, zero)).toEqual([]);
    expect(ids(base, counters({ roaming: 1 }), zero)).toEqual(['ROAMING_SPEND_80@0', 'ROAMING_CAP_REACHED@0']);
  });

  it('counts marks already in before as fired', () => {
    const fired = { 'ROAMING_SPEND_80@50000000': AT };
    expect(ids(counters({ roaming: 40_000_000, fired }), counters({ roaming: 45_000_000 }))).toEqual([]);
  });
});

describe('thresholdCrossings: overage spend', () => {
  it('fires OVERAGE_SPEND_80 and OVERAGE_CAP_REACHED on home out-of-bundle spend', () => {
    expect(ids(counters({ overage: 38_000_000 }), counters({ overage: 40_000_000 }))).toEqual(['OVERAGE_SPEND_80@50000000']);
    const fired = { 'OVERAGE_SPEND_80@50000000': AT };
    expect(ids(counters({ overage: 48_000_000, fired }), counters({ overage: 50_000_000, fired }))).toEqual(['OVERAGE_CAP_REACHED@50000000']);
  });

  it('is silent when the overage cap is disabled, and no bar after consent', () => {
    const off = profileWith({ overageCap: { enabled: false, limitMicros: 50_000_000 } });
    expect(ids(base, counters({ overage: 60_000_000 }), off)).toEqual([]);
    const consent = { roaming: false, overage: true };
    expect(ids(base, counters({ overage: 60_000_000, consent }))).toEqual(['OVERAGE_SPEND_80@50000000']);
  });
});

describe('bill shock', () => {
  it('uses 10 x the monthly fee when that is above the minimum', () => {
    expect(billShockThresholdMicros(profileWith({ plan: { ...profileWith().plan, monthlyFeeMicros: 30_000_000 } }), settings)).toBe(300_000_000);
  });

  it('falls back to the minimum for a plan with no fee', () => {
    expect(billShockThresholdMicros(profileWith({ plan: { ...profileWith().plan, monthlyFeeMicros: 0 } }), settings)).toBe(100_000_000);
  });

  it('fires once accrued charges (roaming + overage, billable or not) exceed the threshold, not at it', () => {
    // Fee EUR 20: threshold max(10 x 20, 100) = EUR 200.
    const profile = profileWith({
      roamingCap: { enabled: false, limitMicros: 50_000_000 },
      overageCap: { enabled: false, limitMicros: 50_000_000 },
    });
    expect(ids(base, counters({ roaming: 160_000_000, overage: 40_000_000 }), profile)).toEqual([]);
    expect(ids(base, counters({ roaming: 160_000_000, overage: 40_000_001 }), profile)).toEqual(['BILL_SHOCK_ALERT']);
  });

  it('counts written-off charges too', () => {
    const after: PeriodCounters = {
      ...base,
      fired: { 'ROAMING_SPEND_80@50000000': AT, 'ROAMING_CAP_REACHED@50000000': AT },
      roaming: { chargeMicros: 220_000_000, billableMicros: 50_000_000, writtenOffMicros: 170_000_000 },
    };
    expect(ids(base, after)).toEqual(['BILL_SHOCK_ALERT']);
  });
});

describe('isPast', () => {
  it('compares in exact integer arithmetic, also beyond 2^53 / 100', () => {
    expect(isPast(80, 100, 80, 'reaches')).toBe(true);
    expect(isPast(79, 100, 80, 'reaches')).toBe(false);
    expect(isPast(100, 100, 100, 'exceeds')).toBe(false);
    const big = 2 ** 52;
    expect(isPast(big, big, 100, 'reaches')).toBe(true);
    expect(isPast(big - 1, big, 100, 'reaches')).toBe(false);
    expect(isPast(big + 2, big, 100, 'exceeds')).toBe(true);
  });
});

describe('bucketOfKind', () => {
  it('names the bucket of spend kinds only', () => {
    expect(bucketOfKind('ROAMING_CAP_REACHED')).toBe('roaming');
    expect(bucketOfKind('OVERAGE_SPEND_80')).toBe('overage');
    expect(bucketOfKind('DATA_ALLOWANCE_80')).toBeUndefined();
  });
});

describe('isRoamingWelcome', () => {
  it('welcomes the first event ever on a foreign network', () => {
    expect(isRoamingWelcome(undefined, '22801', '20801')).toBe(true);
  });

  it('welcomes each change to another non-home MCC', () => {
    expect(isRoamingWelcome('208', '22801', '20801')).toBe(true);
    expect(isRoamingWelcome('228', '26201', '20801')).toBe(true);
    expect(isRoamingWelcome('228', '90112', '20801')).toBe(true);
  });

  it('does not welcome staying in the same country (even on another network) nor coming home', () => {
    expect(isRoamingWelcome('228', '22802', '20801')).toBe(false);
    expect(isRoamingWelcome('228', '20810', '20801')).toBe(false);
    expect(isRoamingWelcome(undefined, '20801', '20801')).toBe(false);
  });
});

describe('recipientsOf', () => {
  const OPS = 'ops-topic';

  it('tells the subscriber by SMS, and by e-mail when chosen and an address is known', () => {
    expect(recipientsOf('ROAMING_CAP_REACHED', profileWith(), OPS)).toEqual([{ kind: 'ROAMING_CAP_REACHED', channel: 'sms', to: '+33600000001' }]);
    const both = profileWith({ email: 's1@example.org', notifications: { sms: true, email: true } });
    expect(recipientsOf('OVERAGE_CAP_REACHED', both, OPS)).toEqual([
      { kind: 'OVERAGE_CAP_REACHED', channel: 'sms', to: '+33600000001' },
      { kind: 'OVERAGE_CAP_REACHED', channel: 'email', to: 's1@example.org' },
    ]);
    const noAddress = profileWith({ email: undefined, notifications: { sms: false, email: true } });
    expect(recipientsOf('ROAMING_SPEND_80', noAddress, OPS)).toEqual([]);
  });

  it('sends the bill-shock alert to operations only, whatever the subscriber chose', () => {
    const silent = profileWith({ notifications: { sms: false, email: false } });
    expect(recipientsOf('BILL_SHOCK_ALERT', silent, OPS)).toEqual([{ kind: 'BILL_SHOCK_ALERT', channel: 'ops', to: OPS }]);
    expect(recipientsOf('BILL_SHOCK_ALERT', profileWith(), OPS)).toHaveLength(1);
  });
});

describe('noticesOf', () => {
  const request = (kind: PolicyRequest['kind'], extra: Partial<PolicyRequest> = {}): PolicyRequest => ({
    kind,
    subscriberId: 'S1',
    period: '2026-09-01',
    crossingId: kind,
    at: AT,
    ...extra,
  });
  const bar = (bucket: 'roaming' | 'overage', period = '2026-09-01') => ({
    id: `${period}/${bucket}/x`,
    bucket,
    period,
    placedAt: AT,
    until: '2026-09-30T22:00:00Z',
    reason: 'x',
  });
  const line = (...buckets: LineOutcome['buckets']): LineOutcome => ({ at: AT, period: '2026-09-01', buckets });
  const NONE = line();
  const IN_SEPTEMBER = Date.parse('2026-09-20T00:00:00Z');
  const IN_OCTOBER = Date.parse('2026-10-02T00:00:00Z');

  it('warnings, welcomes and alerts of the current period are told as they are', () => {
    for (const kind of ['DATA_ALLOWANCE_80', 'DATA_ALLOWANCE_100', 'ROAMING_SPEND_80', 'OVERAGE_SPEND_80', 'ROAMING_WELCOME', 'BILL_SHOCK_ALERT'] as const) {
      expect(noticesOf(request(kind), NONE, profileWith(), IN_SEPTEMBER).notices.map((n) => n.kind)).toEqual([kind]);
    }
  });

  it('a request of a period that has ended says nothing (the subscriber cannot act on it)', () => {
    for (const kind of ['ROAMING_SPEND_80', 'ROAMING_WELCOME', 'BILL_SHOCK_ALERT', 'ROAMING_CAP_REACHED'] as const) {
      const out = noticesOf(request(kind), line({ bucket: 'roaming', change: 'PLACED', bar: bar('roaming') }), profileWith(), IN_OCTOBER);
      expect(out.notices).toEqual([]);
      expect(out.skipped).toContain('ended');
    }
  });

  it('the cap message goes with a bar of its period in force, placed now or already there', () => {
    expect(noticesOf(request('ROAMING_CAP_REACHED'), line({ bucket: 'roaming', change: 'PLACED', bar: bar('roaming') }), profileWith(), IN_SEPTEMBER).notices).toEqual([
      { kind: 'ROAMING_CAP_REACHED', bucket: 'roaming' },
    ]);
    expect(noticesOf(request('OVERAGE_CAP_REACHED'), line({ bucket: 'overage', change: 'KEPT', bar: bar('overage') }), profileWith(), IN_SEPTEMBER).notices).toHaveLength(1);
  });

  it('no cap message when the line is not barred for the period (consent, a raised limit)', () => {
    const out = noticesOf(request('ROAMING_CAP_REACHED'), line({ bucket: 'roaming', change: 'NONE' }), profileWith(), IN_SEPTEMBER);
    expect(out.notices).toEqual([]);
    expect(out.skipped).toContain('no roaming bar');
  });

  it('an opted-out cap sends neither its warning nor its cap message', () => {
    const optedOut = profileWith({ roamingCap: { enabled: false, limitMicros: 50_000_000 } });
    expect(noticesOf(request('ROAMING_SPEND_80'), NONE, optedOut, IN_SEPTEMBER).notices).toEqual([]);
    expect(noticesOf(request('ROAMING_CAP_REACHED'), NONE, optedOut, IN_SEPTEMBER).skipped).toContain('disabled');
  });

  it('a period-end reset says "back on" only when it lifted its bar', () => {
    const reset = request('CAP_RESET', { bucket: 'overage', barId: 'b' });
    expect(noticesOf(reset, line({ bucket: 'overage', change: 'LIFTED', bar: bar('overage') }), profileWith(), IN_OCTOBER).notices).toEqual([
      { kind: 'CAP_RESET', bucket: 'overage' },
    ]);
    expect(noticesOf(reset, line({ bucket: 'overage', change: 'NONE' }), profileWith(), IN_OCTOBER).notices).toEqual([]);
  });

  it('a caps change announces each bar it placed and each it lifted', () => {
    const changed = line({ bucket: 'roaming', change: 'LIFTED', bar: bar('roaming') }, { bucket: 'overage', change: 'PLACED', bar: bar('overage') });
    expect(noticesOf(request('CAPS_CHANGED'), changed, profileWith(), IN_SEPTEMBER).notices).toEqual([
      { kind: 'ROAMING_RESUMED', bucket: 'roaming' },
      { kind: 'OVERAGE_CAP_REACHED', bucket: 'overage' },
    ]);
    expect(noticesOf(request('CAPS_CHANGED'), line({ bucket: 'roaming', change: 'KEPT', bar: bar('roaming') }), profileWith(), IN_SEPTEMBER).notices).toEqual([]);
  });
});
