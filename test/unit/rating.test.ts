import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Service, Tariff, UsageEvent } from '../../shared/domain/model.js';
import { rateUsage, type RatingContext } from '../../shared/domain/rating.js';
import { DEFAULT_TARIFF } from '../../shared/domain/tariff.js';

const HOME = '20801';
const MB = 1_000_000;
const HOME_PER_MB = DEFAULT_TARIFF.home.dataPerMbMicros; // 40,000

function usage(overrides: Partial<UsageEvent> & { service?: Service } = {}): UsageEvent {
  return {
    type: 'usage',
    recordId: 'r-1',
    subscriberId: 'S1',
    eventTime: '2026-09-10T07:20:00Z',
    service: 'data',
    volumeBytes: MB,
    servingPlmn: HOME,
    currency: 'EUR',
    ...overrides,
  };
}

function ctx(allowanceRemainingBytes: number, tariff: Tariff = DEFAULT_TARIFF): RatingContext {
  return { homePlmn: HOME, allowanceRemainingBytes, tariff };
}

describe('home data at the allowance boundary (remaining 1 MB)', () => {
  it.each([
    ['well before the boundary', 500_000, 500_000, 0],
    ['reaching it exactly', MB, MB, 0],
    ['straddling it: only the part past it is charged', 1_500_000, MB, 20_000],
    ['one byte past it: one started kB', MB + 1, MB, 40],
  ])('%s', (_label, volumeBytes, allowanceBytes, chargeMicros) => {
    const rated = rateUsage(usage({ volumeBytes }), ctx(MB));
    expect(rated).toMatchObject({ bucket: 'overage', roaming: false, dataBytes: volumeBytes, allowanceBytes, chargeMicros });
  });

  it('after the boundary (nothing left): the whole volume is charged', () => {
    const rated = rateUsage(usage({ volumeBytes: 2 * MB }), ctx(0));
    expect(rated.allowanceBytes).toBe(0);
    expect(rated.chargeMicros).toBe(2 * HOME_PER_MB);
  });

  it('treats a negative remaining allowance as none', () => {
    const rated = rateUsage(usage({ volumeBytes: MB }), ctx(-5));
    expect(rated.allowanceBytes).toBe(0);
    expect(rated.chargeMicros).toBe(HOME_PER_MB);
  });
});

describe('per started kilobyte past the allowance', () => {
  it.each([
    [1, 40],
    [1_000, 40],
    [1_001, 80],
    [0, 0],
  ])('%d bytes out of bundle -> %d micros', (volumeBytes, chargeMicros) => {
    expect(rateUsage(usage({ volumeBytes }), ctx(0)).chargeMicros).toBe(chargeMicros);
  });

  it('rounds the out-of-bundle part, not the whole volume, when an event straddles the boundary', () => {
    // 1,000 bytes left: 2,001 bytes consume 1,000 and charge 1,001 bytes = 2 started kB.
    expect(rateUsage(usage({ volumeBytes: 2_001 }), ctx(1_000)).chargeMicros).toBe(80);
  });
});

describe('a carrier-rated chargeMicros', () => {
  it('is the charge, whatever the tariff, and the allowance is still consumed', () => {
    const rated = rateUsage(usage({ volumeBytes: 4 * MB, chargeMicros: 2_500_000 }), ctx(3 * MB));
    expect(rated.chargeMicros).toBe(2_500_000);
    expect(rated.allowanceBytes).toBe(3 * MB);
  });

  it('may be 0 even past the allowance (an unlimited-data plan rated upstream)', () => {
    expect(rateUsage(usage({ volumeBytes: 50 * MB, chargeMicros: 0 }), ctx(0)).chargeMicros).toBe(0);
  });

  it('applies to voice and SMS too', () => {
    expect(rateUsage(usage({ service: 'voice', volumeBytes: undefined, durationSeconds: 60, chargeMicros: 7 }), ctx(0)).chargeMicros).toBe(7);
    expect(rateUsage(usage({ service: 'sms', volumeBytes: undefined, count: 2, chargeMicros: 9, servingPlmn: '22801' }), ctx(0)).chargeMicros).toBe(9);
  });
});

describe('data in each zone (French home network, 1 MB left in the allowance)', () => {
  it('roam-like-at-home (Belgium): consumes the allowance, charged at home price, counts toward the roaming cap', () => {
    const rated = rateUsage(usage({ servingPlmn: '20610', volumeBytes: 3 * MB }), ctx(MB));
    expect(rated).toEqual({
      zone: { kind: 'rlah', mcc: '206' },
      roaming: true,
      bucket: 'roaming',
      dataBytes: 3 * MB,
      allowanceBytes: MB,
      voiceSeconds: 0,
      smsCount: 0,
      chargeMicros: 2 * HOME_PER_MB,
    });
  });

  it('home network of another operator of the same country: home', () => {
    const rated = rateUsage(usage({ servingPlmn: '20815', volumeBytes: MB }), ctx(MB));
    expect(rated).toMatchObject({ zone: { kind: 'home' }, roaming: false, bucket: 'overage', allowanceBytes: MB, chargeMicros: 0 });
  });

  it('Switzerland (zone-1): no allowance, whole volume at the zone price', () => {
    const rated = rateUsage(usage({ servingPlmn: '22801', volumeBytes: 4 * MB }), ctx(MB));
    expect(rated).toMatchObject({
      zone: { kind: 'world', mcc: '228', zone: 'zone-1' },
      roaming: true,
      bucket: 'roaming',
      allowanceBytes: 0,
      chargeMicros: 4 * 500_000,
    });
  });

  it('rest of the world (Japan)', () => {
    const rated = rateUsage(usage({ servingPlmn: '44010', volumeBytes: MB }), ctx(MB));
    expect(rated).toMatchObject({ zone: { kind: 'world', mcc: '440', zone: 'restOfWorld' }, allowanceBytes: 0, chargeMicros: 2_000_000 });
  });

  it('ships and aircraft (MCC 901)', () => {
    const rated = rateUsage(usage({ servingPlmn: '90112', volumeBytes: MB }), ctx(MB));
    expect(rated).toMatchObject({ zone: { kind: 'nonTerrestrial', mcc: '901' }, bucket: 'roaming', allowanceBytes: 0, chargeMicros: 10_000_000 });
  });

  it('a world zone configured by the deployment', () => {
    const tariff: Tariff = {
      ...DEFAULT_TARIFF,
      worldZones: [{ name: 'maghreb', mccs: ['604'], prices: { dataPerMbMicros: 300_000, voicePerMinuteMicros: 0, smsMicros: 0 } }],
    };
    const rated = rateUsage(usage({ servingPlmn: '60400', volumeBytes: 2 * MB }), ctx(MB, tariff));
    expect(rated).toMatchObject({ zone: { kind: 'world', mcc: '604', zone: 'maghreb' }, chargeMicros: 600_000 });
  });

  it('a data event without volume counts as no data', () => {
    expect(rateUsage(usage({ volumeBytes: undefined }), ctx(0))).toMatchObject({ dataBytes: 0, chargeMicros: 0 });
  });
});

describe('voice and SMS', () => {
  it('voice at home is in the plan (0) and consumes no data allowance', () => {
    const rated = rateUsage(usage({ service: 'voice', volumeBytes: undefined, durationSeconds: 600 }), ctx(MB));
    expect(rated).toMatchObject({ bucket: 'overage', voiceSeconds: 600, dataBytes: 0, allowanceBytes: 0, smsCount: 0, chargeMicros: 0 });
  });

  it('voice in Switzerland: per started second from the per-minute price', () => {
    const rated = rateUsage(usage({ service: 'voice', volumeBytes: undefined, durationSeconds: 61, servingPlmn: '22801' }), ctx(0));
    expect(rated).toMatchObject({ bucket: 'roaming', voiceSeconds: 61, chargeMicros: 508_334 });
  });

  it('voice in the EU is at the home price', () => {
    const rated = rateUsage(usage({ service: 'voice', volumeBytes: undefined, durationSeconds: 61, servingPlmn: '26201' }), ctx(0));
    expect(rated).toMatchObject({ bucket: 'roaming', chargeMicros: 0 });
  });

  it('SMS: count x price per message', () => {
    const rated = rateUsage(usage({ service: 'sms', volumeBytes: undefined, count: 3, servingPlmn: '22801' }), ctx(0));
    expect(rated).toMatchObject({ bucket: 'roaming', smsCount: 3, dataBytes: 0, chargeMicros: 600_000 });
  });

  it('SMS from a ship', () => {
    expect(rateUsage(usage({ service: 'sms', volumeBytes: undefined, count: 1, servingPlmn: '90112' }), ctx(0)).chargeMicros).toBe(1_000_000);
  });

  it('an SMS record without count is one message; a voice record without duration is 0 s', () => {
    expect(rateUsage(usage({ service: 'sms', volumeBytes: undefined, servingPlmn: '22801' }), ctx(0))).toMatchObject({ smsCount: 1, chargeMicros: 200_000 });
    expect(rateUsage(usage({ service: 'voice', volumeBytes: undefined, servingPlmn: '22801' }), ctx(0))).toMatchObject({ voiceSeconds: 0, chargeMicros: 0 });
  });
});

describe('properties', () => {
  const plmns = fc.constantFrom('20801', '20815', '20610', '34001', '22801', '23415', '60400', '44010', '90112');
  const volume = fc.integer({ min: 0, max: 1e11 });
  const remaining = fc.integer({ min: 0, max: 1e11 });

  it('the charge is a non-negative integer, and the allowance consumed never exceeds what remained nor the volume', () => {
    fc.assert(
      fc.property(plmns, volume, remaining, fc.option(fc.integer({ min: 0, max: 1e12 }), { nil: undefined }), (servingPlmn, volumeBytes, left, chargeMicros) => {
        const rated = rateUsage(usage({ servingPlmn, volumeBytes, chargeMicros }), ctx(left));
        expect(Number.isSafeInteger(rated.chargeMicros)).toBe(true);
        expect(rated.chargeMicros).toBeGreaterThanOrEqual(0);
        expect(rated.allowanceBytes).toBeGreaterThanOrEqual(0);
        expect(rated.allowanceBytes).toBeLessThanOrEqual(left);
        expect(rated.allowanceBytes).toBeLessThanOrEqual(volumeBytes);
      }),
    );
  });

  it('rating is monotonic in volume: more data never costs less nor consumes less allowance', () => {
    fc.assert(
      fc.property(plmns, volume, volume, remaining, (servingPlmn, a, b, left) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        const ratedSmall = rateUsage(usage({ servingPlmn, volumeBytes: small }), ctx(left));
        const ratedLarge = rateUsage(usage({ servingPlmn, volumeBytes: large }), ctx(left));
        expect(ratedLarge.chargeMicros).toBeGreaterThanOrEqual(ratedSmall.chargeMicros);
        expect(ratedLarge.allowanceBytes).toBeGreaterThanOrEqual(ratedSmall.allowanceBytes);
      }),
    );
  });

  it('splitting a data event exactly at the allowance boundary gives the same allowance and exactly the same charge', () => {
    fc.assert(
      fc.property(fc.constantFrom('20801', '20610'), fc.integer({ min: 1, max: 1e11 }), fc.integer({ min: 0, max: 1e11 }), (servingPlmn, left, outOfBundle) => {
        const whole = rateUsage(usage({ servingPlmn, volumeBytes: left + outOfBundle }), ctx(left));
        const first = rateUsage(usage({ servingPlmn, volumeBytes: left }), ctx(left));
        const second = rateUsage(usage({ servingPlmn, volumeBytes: outOfBundle }), ctx(left - first.allowanceBytes));
        expect(first.chargeMicros).toBe(0);
        expect(first.allowanceBytes + second.allowanceBytes).toBe(whole.allowanceBytes);
        expect(first.chargeMicros + second.chargeMicros).toBe(whole.chargeMicros);
      }),
    );
  });

  it('splitting a data event anywhere costs at most one started kB and one rounded micro more: 0 <= split - whole <= ceil(price/1000) + 1', () => {
    fc.assert(
      fc.property(plmns, fc.integer({ min: 0, max: 1e11 }), fc.integer({ min: 0, max: 1e11 }), remaining, (servingPlmn, a, b, left) => {
        const whole = rateUsage(usage({ servingPlmn, volumeBytes: a + b }), ctx(left));
        const first = rateUsage(usage({ servingPlmn, volumeBytes: a }), ctx(left));
        const second = rateUsage(usage({ servingPlmn, volumeBytes: b }), ctx(left - first.allowanceBytes));
        const perMb = pricePerMb(servingPlmn);
        const extra = first.chargeMicros + second.chargeMicros - whole.chargeMicros;
        expect(first.allowanceBytes + second.allowanceBytes).toBe(whole.allowanceBytes);
        expect(extra).toBeGreaterThanOrEqual(0);
        expect(extra).toBeLessThanOrEqual(Math.ceil(perMb / 1000) + 1);
      }),
    );
  });
});

function pricePerMb(servingPlmn: string): number {
  const mcc = servingPlmn.slice(0, 3);
  if (mcc === '208' || mcc === '206' || mcc === '340') return DEFAULT_TARIFF.home.dataPerMbMicros;
  if (mcc === '901') return DEFAULT_TARIFF.nonTerrestrial.dataPerMbMicros;
  const zone = DEFAULT_TARIFF.worldZones.find((z) => z.mccs.includes(mcc));
  return (zone?.prices ?? DEFAULT_TARIFF.restOfWorld).dataPerMbMicros;
}
