import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { AttachEvent, CarrierEvent, PeriodCounters, PolicyRequest, PolicySettings, SubscriberProfile, UsageEvent } from '../../shared/domain/model.js';
import { DEFAULT_TARIFF } from '../../shared/domain/tariff.js';

/** Events known as soon as they happen (no arrival time): nothing has ended for them. */
function applyEvents(state: SubscriberUsageState, events: readonly CarrierEvent[], profile: SubscriberProfile, settings: PolicySettings): AppliedEvents {
  return applyTimed(state, events.map((event) => ({ event })), profile, settings);
}
import { applyEvents as applyTimed, type AppliedEvents, type SubscriberUsageState } from '../../shared/domain/usage.js';

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
    locale: 'fr',
    homePlmn: '20801',
    plan: { dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 30_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    roamingCap: { enabled: true, limitMicros: 50_000_000 },
    overageCap: { enabled: true, limitMicros: 50_000_000 },
    notifications: { sms: true, email: false },
    ...overrides,
  };
}

function data(recordId: string, eventTime: string, servingPlmn: string, volumeBytes: number, chargeMicros?: number): UsageEvent {
  return {
    type: 'usage',
    recordId,
    subscriberId: 'S1',
    eventTime,
    service: 'data',
    volumeBytes,
    servingPlmn,
    currency: 'EUR',
    ...(chargeMicros === undefined ? {} : { chargeMicros }),
  };
}

function attach(eventId: string, eventTime: string, servingPlmn: string): AttachEvent {
  return { type: 'attach', eventId, subscriberId: 'S1', eventTime, servingPlmn };
}

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

const EMPTY: SubscriberUsageState = { counters: new Map() };

/** Applies events batch by batch, carrying the state as ingest does between batches. */
function applyInBatches(events: readonly CarrierEvent[], cuts: readonly number[], profile: SubscriberProfile) {
  const counters = new Map<string, PeriodCounters>();
  let servingMcc: string | undefined;
  let latestEventMs: number | undefined;
  const requests: PolicyRequest[] = [];
  const bounds = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const end of [...bounds, events.length]) {
    if (end <= start) continue;
    const state: SubscriberUsageState = {
      counters,
      ...(servingMcc !== undefined && { servingMcc }),
      ...(latestEventMs !== undefined && { latestEventMs }),
    };
    const result: AppliedEvents = applyEvents(state, events.slice(start, end), profile, settings);
    for (const [period, c] of result.counters) counters.set(period, c);
    servingMcc = result.servingMcc;
    latestEventMs = result.latestEventMs;
    requests.push(...result.requests);
    start = end;
  }
  return { counters, servingMcc, requests };
}

function every20Minutes(from: string, index: number): string {
  return new Date(Date.parse(from) + index * 20 * 60_000).toISOString().replace('.000Z', 'Z');
}

function every10Minutes(from: string, index: number): string {
  return new Date(Date.parse(from) + index * 10 * 60_000).toISOString().replace('.000Z', 'Z');
}

describe('applyEvents: border-roaming stories', () => {
  it('P1: welcomed in Switzerland, warned at EUR 40, capped at EUR 50', () => {
    const profile = profileWith({ subscriberId: 'P1', msisdn: '+33611111111' });
    const events: CarrierEvent[] = [attach('p1-a1', '2026-09-10T07:00:00Z', '22801')];
    for (let i = 1; i <= 20; i++) events.push(data(`p1-${i}`, every20Minutes('2026-09-10T07:00:00Z', i), '22801', 4_000_000, 2_500_000));

    const result = applyEvents(EMPTY, events, profile, settings);

    expect(result.requests).toEqual([
      {
        kind: 'ROAMING_WELCOME',
        subscriberId: 'P1',
        period: '2026-09-01',
        crossingId: 'ROAMING_WELCOME#p1-a1',
        at: '2026-09-10T07:00:00Z',
        servingPlmn: '22801',
      },
      {
        kind: 'ROAMING_SPEND_80',
        subscriberId: 'P1',
        period: '2026-09-01',
        crossingId: 'ROAMING_SPEND_80@50000000',
        at: '2026-09-10T12:20:00Z',
        servingPlmn: '22801',
        bucket: 'roaming',
        spentMicros: 40_000_000,
      },
      {
        kind: 'ROAMING_CAP_REACHED',
        subscriberId: 'P1',
        period: '2026-09-01',
        crossingId: 'ROAMING_CAP_REACHED@50000000',
        at: '2026-09-10T13:40:00Z',
        servingPlmn: '22801',
        bucket: 'roaming',
        spentMicros: 50_000_000,
      },
    ]);
    const period = result.counters.get('2026-09-01');
    expect(period).toMatchObject({
      dataBytes: 80_000_000,
      roamingDataBytes: 80_000_000,
      allowanceBytes: 0,
      roaming: { chargeMicros: 50_000_000, billableMicros: 50_000_000, writtenOffMicros: 0 },
      overage: { chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 },
      eventsApplied: 20,
    });
    expect(result.servingMcc).toBe('228');
  });

  it('P2: warned at 80% and 100% of the allowance, then at EUR 40 out of bundle, capped at EUR 50', () => {
    const profile = profileWith({
      subscriberId: 'P2',
      locale: 'en',
      email: 'p2@example.org',
      notifications: { sms: true, email: true },
      plan: { dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    });
    const events: CarrierEvent[] = [];
    for (let i = 1; i <= 45; i++) {
      events.push(data(`p2-${i}`, every10Minutes('2026-09-12T07:00:00Z', i), '20801', 50_000_000, i <= 20 ? 0 : 2_000_000));
    }

    const result = applyEvents(EMPTY, events, profile, settings);

    expect(result.requests.map((r) => [r.kind, r.at, r.crossingId, r.spentMicros])).toEqual([
      ['DATA_ALLOWANCE_80', '2026-09-12T09:40:00Z', 'DATA_ALLOWANCE_80', undefined],
      ['DATA_ALLOWANCE_100', '2026-09-12T10:20:00Z', 'DATA_ALLOWANCE_100', undefined],
      ['OVERAGE_SPEND_80', '2026-09-12T13:40:00Z', 'OVERAGE_SPEND_80@50000000', 40_000_000],
      ['OVERAGE_CAP_REACHED', '2026-09-12T14:30:00Z', 'OVERAGE_CAP_REACHED@50000000', 50_000_000],
    ]);
    expect(result.requests.every((r) => r.subscriberId === 'P2' && r.period === '2026-09-01' && r.servingPlmn === '20801')).toBe(true);
    expect(result.requests[3]?.bucket).toBe('overage');
    expect(result.counters.get('2026-09-01')).toMatchObject({
      dataBytes: 2_250_000_000,
      roamingDataBytes: 0,
      allowanceBytes: 1_000_000_000,
      overage: { chargeMicros: 50_000_000, billableMicros: 50_000_000, writtenOffMicros: 0 },
    });
    expect(result.servingMcc).toBe('208');
  });
});

describe('applyEvents', () => {
  it('rates with the allowance left in the period: only the out-of-bundle part is charged', () => {
    const profile = profileWith({ plan: { ...profileWith().plan, dataAllowanceBytes: 100_000_000 } });
    const result = applyEvents(
      EMPTY,
      [data('r1', '2026-09-02T10:00:00Z', '20801', 80_000_000), data('r2', '2026-09-02T11:00:00Z', '20801', 50_000_000)],
      profile,
      settings,
    );
    // 30 MB out of bundle at EUR 0.04/MB.
    expect(result.counters.get('2026-09-01')?.overage.chargeMicros).toBe(1_200_000);
    expect(result.counters.get('2026-09-01')?.allowanceBytes).toBe(100_000_000);
  });

  it('keeps periods apart: an event belongs to the period of its eventTime in the plan time zone', () => {
    const result = applyEvents(
      EMPTY,
      [
        // 2026-09-30T22:30Z is 2026-10-01 00:30 in Paris: the October period.
        data('a', '2026-09-30T22:30:00Z', '22801', 1_000, 30_000_000),
        data('b', '2026-09-30T21:30:00Z', '22801', 1_000, 30_000_000),
        data('c', '2026-10-02T10:00:00Z', '22801', 1_000, 15_000_000),
      ],
      profileWith(),
      settings,
    );
    expect([...result.counters.keys()].sort()).toEqual(['2026-09-01', '2026-10-01']);
    expect(result.counters.get('2026-09-01')?.roaming.chargeMicros).toBe(30_000_000);
    expect(result.counters.get('2026-10-01')?.roaming.chargeMicros).toBe(45_000_000);
    expect(result.requests.filter((r) => r.kind === 'ROAMING_SPEND_80').map((r) => r.period)).toEqual(['2026-10-01']);
  });

  it('continues from the counters in the state and respects marks fired earlier', () => {
    const earlier: PeriodCounters = {
      ...emptyCounters('S1', '2026-09-01'),
      roaming: { chargeMicros: 45_000_000, billableMicros: 45_000_000, writtenOffMicros: 0 },
      fired: { 'ROAMING_SPEND_80@50000000': '2026-09-03T10:00:00Z' },
      eventsApplied: 18,
    };
    const state: SubscriberUsageState = { counters: new Map([['2026-09-01', earlier]]), servingMcc: '228' };
    const result = applyEvents(state, [data('x', '2026-09-05T10:00:00Z', '22801', 1_000, 7_000_000)], profileWith(), settings);
    expect(result.requests.map((r) => r.crossingId)).toEqual(['ROAMING_CAP_REACHED@50000000']);
    expect(result.counters.get('2026-09-01')).toMatchObject({
      eventsApplied: 19,
      roaming: { chargeMicros: 52_000_000, billableMicros: 50_000_000, writtenOffMicros: 2_000_000 },
      fired: { 'ROAMING_SPEND_80@50000000': '2026-09-03T10:00:00Z', 'ROAMING_CAP_REACHED@50000000': '2026-09-05T10:00:00Z' },
    });
  });

  it('welcomes on each change of country, from attach or usage, and attach events leave counters alone', () => {
    const result = applyEvents(
      { counters: new Map(), servingMcc: '208' },
      [
        attach('a1', '2026-09-02T08:00:00Z', '22801'),
        data('u1', '2026-09-02T09:00:00Z', '22802', 1_000, 0),
        data('u2', '2026-09-02T10:00:00Z', '26201', 1_000, 0),
        attach('a2', '2026-09-02T11:00:00Z', '20801'),
        attach('a3', '2026-09-02T12:00:00Z', '90114'),
      ],
      profileWith(),
      settings,
    );
    expect(result.requests.map((r) => [r.crossingId, r.servingPlmn, r.at])).toEqual([
      ['ROAMING_WELCOME#a1', '22801', '2026-09-02T08:00:00Z'],
      ['ROAMING_WELCOME#u2', '26201', '2026-09-02T10:00:00Z'],
      ['ROAMING_WELCOME#a3', '90114', '2026-09-02T12:00:00Z'],
    ]);
    expect(result.counters.get('2026-09-01')?.eventsApplied).toBe(2);
    expect(result.servingMcc).toBe('901');
  });

  it('returns no counters and keeps the state unknown for an empty batch', () => {
    const result = applyEvents(EMPTY, [], profileWith(), settings);
    expect(result.counters.size).toBe(0);
    expect(result.servingMcc).toBeUndefined();
    expect(result.requests).toEqual([]);
  });

  it('reports a bill shock once with the total accrued, to be routed to operations', () => {
    const profile = profileWith({ roamingCap: { enabled: false, limitMicros: 50_000_000 } });
    const result = applyEvents(
      { counters: new Map(), servingMcc: '228' },
      // Fee EUR 30: the alert is for charges above max(10 x 30, 100) = EUR 300.
      [
        data('a', '2026-09-02T09:00:00Z', '22801', 1_000, 300_000_000),
        data('b', '2026-09-02T10:00:00Z', '22801', 1_000, 10_000_000),
        data('c', '2026-09-02T11:00:00Z', '22801', 1_000, 200_000_000),
      ],
      profile,
      settings,
    );
    expect(result.requests).toEqual([
      {
        kind: 'BILL_SHOCK_ALERT',
        subscriberId: 'S1',
        period: '2026-09-01',
        crossingId: 'BILL_SHOCK_ALERT',
        at: '2026-09-02T10:00:00Z',
        servingPlmn: '22801',
        spentMicros: 310_000_000,
      },
    ]);
  });
});

describe('applyEvents properties', () => {
  const plmns = ['20801', '20810', '22801', '26201', '90112', '60401'];
  const eventArb = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        service: fc.constantFrom('data' as const, 'voice' as const, 'sms' as const),
        amount: fc.integer({ min: 0, max: 300_000_000 }),
        plmn: fc.constantFrom(...plmns),
        minute: fc.integer({ min: 0, max: 60 * 24 * 70 }),
        charge: fc.option(fc.integer({ min: 0, max: 15_000_000 }), { nil: undefined }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ plmn: fc.constantFrom(...plmns), minute: fc.integer({ min: 0, max: 60 * 24 * 70 }) }) },
  );
  const profileArb = fc.record({
    allowance: fc.constantFrom(0, 500_000_000, 1_000_000_000),
    roaming: fc.record({ enabled: fc.boolean(), limitMicros: fc.constantFrom(0, 10_000_000, 50_000_000) }),
    overage: fc.record({ enabled: fc.boolean(), limitMicros: fc.constantFrom(0, 10_000_000, 50_000_000) }),
    fee: fc.constantFrom(0, 30_000_000),
  });

  function build(specs: ReadonlyArray<ValueOf<typeof eventArb>>, withCharges: boolean): CarrierEvent[] {
    return specs.map((spec, i): CarrierEvent => {
      const eventTime = new Date(Date.parse('2026-08-20T00:00:00Z') + spec.minute * 60_000).toISOString();
      if (!('service' in spec)) return attach(`a${i}`, eventTime, spec.plmn);
      const charge = withCharges ? (spec.charge ?? 1_000_000) : spec.charge;
      const base = { type: 'usage' as const, recordId: `r${i}`, subscriberId: 'S1', eventTime, servingPlmn: spec.plmn, currency: 'EUR' };
      const withCharge = charge === undefined ? base : { ...base, chargeMicros: charge };
      if (spec.service === 'data') return { ...withCharge, service: 'data', volumeBytes: spec.amount };
      if (spec.service === 'voice') return { ...withCharge, service: 'voice', durationSeconds: spec.amount % 7200 };
      return { ...withCharge, service: 'sms', count: 1 + (spec.amount % 5) };
    });
  }

  function profileFrom(p: ValueOf<typeof profileArb>): SubscriberProfile {
    return profileWith({
      plan: { dataAllowanceBytes: p.allowance, monthlyFeeMicros: p.fee, billingCycleDay: 1, timeZone: 'Europe/Paris' },
      roamingCap: p.roaming,
      overageCap: p.overage,
    });
  }

  const batchArgs = [fc.array(eventArb, { maxLength: 80 }), fc.array(fc.nat(), { maxLength: 10 }), profileArb] as const;

  it('fires each threshold at most once per period, however the events are batched', () => {
    fc.assert(
      fc.property(...batchArgs, (specs, cuts, p) => {
        const { requests } = applyInBatches(build(specs, false), cuts, profileFrom(p));
        const seen = new Set<string>();
        for (const r of requests) {
          const key = `${r.period}|${r.crossingId}`;
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
      }),
    );
  });

  it('gives the same counters, serving MCC and requests however the events are split into batches', () => {
    fc.assert(
      fc.property(...batchArgs, (specs, cuts, p) => {
        const profile = profileFrom(p);
        const events = build(specs, false);
        const whole = applyEvents(EMPTY, events, profile, settings);
        const batched = applyInBatches(events, cuts, profile);
        expect(new Map(batched.counters)).toEqual(new Map(whole.counters));
        expect(batched.servingMcc).toEqual(whole.servingMcc);
        expect(batched.requests).toEqual(whole.requests);
      }),
    );
  });

  it('fires the same thresholds whatever the order of carrier-rated events', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), profileArb, fc.nat(), (specs, p, seed) => {
        const profile = profileFrom(p);
        const events = build(specs, true);
        const shuffled = [...events];
        let s = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) % 2 ** 31;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as CarrierEvent, shuffled[i] as CarrierEvent];
        }
        const thresholds = (r: AppliedEvents) =>
          r.requests
            .filter((q) => q.kind !== 'ROAMING_WELCOME')
            .map((q) => `${q.period}|${q.crossingId}`)
            .sort();
        const inOrder = applyEvents(EMPTY, events, profile, settings);
        const reordered = applyEvents(EMPTY, shuffled, profile, settings);
        expect(thresholds(reordered)).toEqual(thresholds(inOrder));
        expect(new Set(thresholds(reordered)).size).toBe(thresholds(reordered).length);
        for (const [period, c] of inOrder.counters) {
          const other = reordered.counters.get(period);
          expect(other?.dataBytes).toBe(c.dataBytes);
          expect(other?.allowanceBytes).toBe(c.allowanceBytes);
          expect(other?.roaming).toEqual(c.roaming);
          expect(other?.overage).toEqual(c.overage);
        }
      }),
    );
  });

  it('produces deterministic crossing ids', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), profileArb, (specs, p) => {
        const profile = profileFrom(p);
        const events = build(specs, false);
        const first = applyEvents(EMPTY, events, profile, settings);
        const second = applyEvents(EMPTY, events, profile, settings);
        expect(second.requests).toEqual(first.requests);
        for (const r of first.requests) {
          expect(r.crossingId).toMatch(/^(DATA_ALLOWANCE_(80|100)|BILL_SHOCK_ALERT|(ROAMING|OVERAGE)_(SPEND_80|CAP_REACHED)@\d+|ROAMING_WELCOME#[ar]\d+)$/);
        }
      }),
    );
  });

  it('never bills above a cap without consent, and billable + written off == charge', () => {
    fc.assert(
      fc.property(...batchArgs, (specs, cuts, p) => {
        const profile = profileFrom(p);
        const { counters } = applyInBatches(build(specs, false), cuts, profile);
        for (const c of counters.values()) {
          for (const [bucket, cap] of [
            [c.roaming, profile.roamingCap],
            [c.overage, profile.overageCap],
          ] as const) {
            expect(bucket.billableMicros + bucket.writtenOffMicros).toBe(bucket.chargeMicros);
            if (cap.enabled) expect(bucket.billableMicros).toBeLessThanOrEqual(cap.limitMicros);
            else expect(bucket.writtenOffMicros).toBe(0);
          }
        }
      }),
    );
  });
});

describe('applyEvents: late and out-of-order records', () => {
  const paris = profileWith({ plan: { dataAllowanceBytes: 0, monthlyFeeMicros: 15_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' } });
  /** 1 Oct 2026 08:00 UTC: September (Paris) ended at 30 Sep 22:00 UTC. */
  const OCT_1 = Date.parse('2026-10-01T08:00:00Z');

  it('a record of an ended period is counted and clamped but fires nothing', () => {
    const state: SubscriberUsageState = { counters: new Map() };
    const september = [data('s1', '2026-09-10T08:00:00Z', '20801', 10_000_000, 42_000_000)];
    const before = applyTimed(state, september.map((event) => ({ event, knownAtMs: Date.parse('2026-09-10T08:05:00Z') })), paris, settings);
    expect(before.requests.map((r) => r.kind)).toEqual(['OVERAGE_SPEND_80']);

    const late = data('s2', '2026-09-25T12:00:00Z', '20801', 10_000_000, 20_000_000);
    const after = applyTimed({ counters: before.counters }, [{ event: late, knownAtMs: OCT_1 }], paris, settings);

    expect(after.requests).toEqual([]);
    expect(after.lateEvents).toBe(1);
    const sept = after.counters.get('2026-09-01');
    expect(sept?.overage).toEqual({ chargeMicros: 62_000_000, billableMicros: 50_000_000, writtenOffMicros: 12_000_000 });
    expect(sept?.lateEvents).toBe(1);
    expect(sept?.lateWrittenOff).toEqual({ roaming: 0, overage: 12_000_000 });
    expect(sept?.fired).toEqual(before.counters.get('2026-09-01')?.fired);
  });

  it('the same record known before the period ends does fire', () => {
    const late = data('s2', '2026-09-25T12:00:00Z', '20801', 10_000_000, 60_000_000);
    const out = applyTimed({ counters: new Map() }, [{ event: late, knownAtMs: Date.parse('2026-09-30T21:59:59Z') }], paris, settings);
    expect(out.requests.map((r) => r.kind)).toEqual(['OVERAGE_SPEND_80', 'OVERAGE_CAP_REACHED']);
  });

  it('the serving network is that of the latest eventTime: an older record changes nothing and is not welcomed', () => {
    const events = [
      attach('a1', '2026-09-12T07:00:00Z', '31026'),
      data('u1', '2026-09-12T08:00:00Z', '31026', 1_000_000, 1_000_000),
      attach('a2', '2026-09-14T18:00:00Z', '20801'),
      data('u2', '2026-09-12T20:00:00Z', '31026', 1_000_000, 1_000_000),
    ];
    const out = applyEvents(EMPTY, events, profileWith(), settings);
    expect(out.requests.filter((r) => r.kind === 'ROAMING_WELCOME').map((r) => r.crossingId)).toEqual(['ROAMING_WELCOME#a1']);
    expect(out.servingMcc).toBe('208');
    expect(out.latestEventMs).toBe(Date.parse('2026-09-14T18:00:00Z'));
  });

  it('ties on eventTime go to the later record', () => {
    const out = applyEvents(EMPTY, [attach('a1', '2026-09-12T07:00:00Z', '20801'), attach('a2', '2026-09-12T07:00:00Z', '22801')], profileWith(), settings);
    expect(out.servingMcc).toBe('228');
    expect(out.requests.map((r) => r.crossingId)).toEqual(['ROAMING_WELCOME#a2']);
  });

  it('requests carry the stream position of the record that caused them', () => {
    const cause = { shardId: 'shardId-000000000000', sequenceNumber: '42' };
    const out = applyTimed({ counters: new Map() }, [{ event: data('x', '2026-09-05T10:00:00Z', '22801', 1_000, 70_000_000), cause }], profileWith(), settings);
    expect(out.requests.length).toBeGreaterThan(0);
    for (const r of out.requests) expect(r.cause).toEqual(cause);
  });
});
