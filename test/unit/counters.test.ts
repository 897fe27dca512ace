import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addCharge, applyRated, emptyCounters, totalChargeMicros } from '../../shared/domain/counters.js';
import type { PeriodCounters, SpendBucketName, SubscriberProfile } from '../../shared/domain/model.js';
import type { RatedUsage } from '../../shared/domain/rating.js';

function profileWith(overrides: Partial<SubscriberProfile> = {}): SubscriberProfile {
  return {
    subscriberId: 'S1',
    msisdn: '+33600000001',
    locale: 'fr',
    plan: { dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    roamingCap: { enabled: true, limitMicros: 50_000_000 },
    overageCap: { enabled: true, limitMicros: 50_000_000 },
    notifications: { sms: true, email: false },
    ...overrides,
  };
}

function rated(overrides: Partial<RatedUsage> = {}): RatedUsage {
  return {
    zone: { kind: 'world', mcc: '228', zone: 'zone-1' },
    roaming: true,
    bucket: 'roaming',
    dataBytes: 0,
    allowanceBytes: 0,
    voiceSeconds: 0,
    smsCount: 0,
    chargeMicros: 0,
    ...overrides,
  };
}

describe('emptyCounters', () => {
  it('starts a period at zero with no consent and nothing fired', () => {
    const counters = emptyCounters('S1', '2026-09-01');
    expect(counters).toEqual({
      subscriberId: 'S1',
      period: '2026-09-01',
      dataBytes: 0,
      roamingDataBytes: 0,
      allowanceBytes: 0,
      voiceSeconds: 0,
      smsCount: 0,
      roaming: { chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 },
      overage: { chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 },
      consent: { roaming: false, overage: false },
      fired: {},
      eventsApplied: 0,
      lateEvents: 0,
      lateWrittenOff: { roaming: 0, overage: 0 },
    });
  });
});

describe('applyRated', () => {
  it('adds roaming data to data, roaming data and the roaming bucket', () => {
    const after = applyRated(
      emptyCounters('S1', '2026-09-01'),
      rated({ dataBytes: 4_000_000, chargeMicros: 2_500_000 }),
      profileWith(),
    );
    expect(after.dataBytes).toBe(4_000_000);
    expect(after.roamingDataBytes).toBe(4_000_000);
    expect(after.allowanceBytes).toBe(0);
    expect(after.roaming).toEqual({ chargeMicros: 2_500_000, billableMicros: 2_500_000, writtenOffMicros: 0 });
    expect(after.overage).toEqual({ chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 });
    expect(after.eventsApplied).toBe(1);
  });

  it('adds home data to the allowance and the overage bucket, not to roaming data', () => {
    const after = applyRated(
      emptyCounters('S1', '2026-09-01'),
      rated({ zone: { kind: 'home' }, roaming: false, bucket: 'overage', dataBytes: 50_000_000, allowanceBytes: 30_000_000, chargeMicros: 800_000 }),
      profileWith(),
    );
    expect(after.dataBytes).toBe(50_000_000);
    expect(after.roamingDataBytes).toBe(0);
    expect(after.allowanceBytes).toBe(30_000_000);
    expect(after.overage.chargeMicros).toBe(800_000);
    expect(after.roaming.chargeMicros).toBe(0);
  });

  it('counts voice seconds and SMS', () => {
    let counters = emptyCounters('S1', '2026-09-01');
    counters = applyRated(counters, rated({ voiceSeconds: 61, chargeMicros: 1_000 }), profileWith());
    counters = applyRated(counters, rated({ smsCount: 3, chargeMicros: 600_000 }), profileWith());
    expect(counters.voiceSeconds).toBe(61);
    expect(counters.smsCount).toBe(3);
    expect(counters.roaming.chargeMicros).toBe(601_000);
    expect(counters.eventsApplied).toBe(2);
  });

  it('stops billing at the limit and writes off the rest while the cap holds', () => {
    const profile = profileWith({ roamingCap: { enabled: true, limitMicros: 5_000_000 } });
    let counters = emptyCounters('S1', '2026-09-01');
    counters = applyRated(counters, rated({ chargeMicros: 3_000_000 }), profile);
    counters = applyRated(counters, rated({ chargeMicros: 3_000_000 }), profile);
    counters = applyRated(counters, rated({ chargeMicros: 3_000_000 }), profile);
    expect(counters.roaming).toEqual({ chargeMicros: 9_000_000, billableMicros: 5_000_000, writtenOffMicros: 4_000_000 });
  });

  it('bills everything when the subscriber opted out of the cap', () => {
    const profile = profileWith({ roamingCap: { enabled: false, limitMicros: 5_000_000 } });
    const after = applyRated(emptyCounters('S1', '2026-09-01'), rated({ chargeMicros: 9_000_000 }), profile);
    expect(after.roaming).toEqual({ chargeMicros: 9_000_000, billableMicros: 9_000_000, writtenOffMicros: 0 });
  });

  it('bills what comes after consent, while what was written off stays written off', () => {
    const profile = profileWith({ roamingCap: { enabled: true, limitMicros: 5_000_000 } });
    let counters = applyRated(emptyCounters('S1', '2026-09-01'), rated({ chargeMicros: 6_000_000 }), profile);
    counters = { ...counters, consent: { roaming: true, overage: false } };
    counters = applyRated(counters, rated({ chargeMicros: 2_000_000 }), profile);
    expect(counters.roaming).toEqual({ chargeMicros: 8_000_000, billableMicros: 7_000_000, writtenOffMicros: 1_000_000 });
  });

  it('keeps consent of one bucket from uncapping the other', () => {
    const profile = profileWith({ overageCap: { enabled: true, limitMicros: 1_000_000 } });
    const consented: PeriodCounters = { ...emptyCounters('S1', '2026-09-01'), consent: { roaming: true, overage: false } };
    const after = applyRated(consented, rated({ roaming: false, bucket: 'overage', chargeMicros: 3_000_000 }), profile);
    expect(after.overage).toEqual({ chargeMicros: 3_000_000, billableMicros: 1_000_000, writtenOffMicros: 2_000_000 });
  });

  it('writes off everything under a limit of 0', () => {
    const profile = profileWith({ roamingCap: { enabled: true, limitMicros: 0 } });
    const after = applyRated(emptyCounters('S1', '2026-09-01'), rated({ chargeMicros: 1_500_000 }), profile);
    expect(after.roaming).toEqual({ chargeMicros: 1_500_000, billableMicros: 0, writtenOffMicros: 1_500_000 });
  });

  it('does not mutate the counters it was given', () => {
    const before = emptyCounters('S1', '2026-09-01');
    applyRated(before, rated({ dataBytes: 10, chargeMicros: 10 }), profileWith());
    expect(before.dataBytes).toBe(0);
    expect(before.roaming.chargeMicros).toBe(0);
  });
});

describe('addCharge', () => {
  it('returns the same bucket for a zero charge', () => {
    const bucket = { chargeMicros: 5, billableMicros: 5, writtenOffMicros: 0 };
    expect(addCharge(bucket, 0, true, 10)).toBe(bucket);
  });

  it('writes off everything once billable is already above a lowered limit', () => {
    expect(addCharge({ chargeMicros: 8, billableMicros: 8, writtenOffMicros: 0 }, 3, true, 5)).toEqual({
      chargeMicros: 11,
      billableMicros: 8,
      writtenOffMicros: 3,
    });
  });
});

describe('counters properties', () => {
  const step = fc.record({
    bucket: fc.constantFrom<SpendBucketName>('roaming', 'overage'),
    chargeMicros: fc.integer({ min: 0, max: 20_000_000 }),
    dataBytes: fc.integer({ min: 0, max: 100_000_000 }),
  });

  it('never bills above the limit without consent, and billable + written off == charge', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 0, max: 60_000_000 }),
        fc.integer({ min: 0, max: 60_000_000 }),
        (steps, roamingLimit, overageLimit) => {
          const profile = profileWith({
            roamingCap: { enabled: true, limitMicros: roamingLimit },
            overageCap: { enabled: true, limitMicros: overageLimit },
          });
          let counters = emptyCounters('S1', '2026-09-01');
          for (const s of steps) {
            counters = applyRated(counters, rated({ ...s, roaming: s.bucket === 'roaming' }), profile);
            expect(counters.roaming.billableMicros).toBeLessThanOrEqual(roamingLimit);
            expect(counters.overage.billableMicros).toBeLessThanOrEqual(overageLimit);
            for (const bucket of [counters.roaming, counters.overage]) {
              expect(bucket.billableMicros + bucket.writtenOffMicros).toBe(bucket.chargeMicros);
              expect(bucket.writtenOffMicros).toBeGreaterThanOrEqual(0);
            }
          }
          const total = steps.reduce((sum, s) => sum + s.chargeMicros, 0);
          expect(totalChargeMicros(counters)).toBe(total);
          expect(counters.roaming.billableMicros).toBe(
            Math.min(roamingLimit, steps.filter((s) => s.bucket === 'roaming').reduce((sum, s) => sum + s.chargeMicros, 0)),
          );
        },
      ),
    );
  });

  it('keeps billable + written off == charge when caps are off or consented', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.boolean(), fc.boolean(), (steps, enabled, consent) => {
        const profile = profileWith({ roamingCap: { enabled, limitMicros: 1_000_000 } });
        let counters: PeriodCounters = { ...emptyCounters('S1', '2026-09-01'), consent: { roaming: consent, overage: false } };
        for (const s of steps) counters = applyRated(counters, rated({ ...s, bucket: 'roaming' }), profile);
        const { chargeMicros, billableMicros, writtenOffMicros } = counters.roaming;
        expect(billableMicros + writtenOffMicros).toBe(chargeMicros);
        if (!enabled || consent) expect(billableMicros).toBe(chargeMicros);
      }),
    );
  });
});
