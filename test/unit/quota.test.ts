import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TARIFF, dataChargeMicros } from '../../shared/domain/tariff.js';
import {
  affordableBytes,
  allowanceLeftBytes,
  commitEventTime,
  commitRecordId,
  dataRateOf,
  emptyBudget,
  grantData,
  knownSpendMicros,
  liveBudget,
  rateUse,
  validitySeconds,
  wantedBytes,
  type Budget,
  type DataRate,
  type Reservation,
} from '../../shared/domain/quota.js';

const HOME: DataRate = dataRateOf('20801', '20801', DEFAULT_TARIFF);
const SWISS: DataRate = dataRateOf('22801', '20801', DEFAULT_TARIFF);

function reservation(overrides: Partial<Reservation> = {}): Reservation {
  return {
    bucket: 'roaming',
    chargeMicros: 0,
    allowanceBytes: 0,
    bytes: 0,
    pricePerMbMicros: 500_000,
    servingPlmn: '22801',
    grantedAtMs: 0,
    validitySeconds: 3600,
    expiresAtMs: 10_000,
    finalUnit: false,
    seq: 0,
    ...overrides,
  };
}

describe('dataRateOf: the bucket, price and allowance rule of where the session is served', () => {
  it('charges home data to the overage cap at the home price, after the allowance', () => {
    expect(HOME).toMatchObject({ bucket: 'overage', pricePerMbMicros: 40_000, consumesAllowance: true });
  });

  it('charges Swiss data to the roaming cap at the zone-1 price, with no allowance', () => {
    expect(SWISS).toMatchObject({ bucket: 'roaming', pricePerMbMicros: 500_000, consumesAllowance: false });
  });

  it('counts EU roam-like-at-home as roaming but at the home price, consuming the allowance', () => {
    expect(dataRateOf('20610', '20801', DEFAULT_TARIFF)).toMatchObject({ bucket: 'roaming', pricePerMbMicros: 40_000, consumesAllowance: true });
  });
});

describe('affordableBytes: the most whole kilobytes the headroom pays for', () => {
  it.each([
    [0, 500_000, 0],
    [-5, 500_000, 0],
    [499, 500_000, 0], // a kilobyte costs 500 micros in zone 1
    [500, 500_000, 1_000],
    [50_000_000, 500_000, 100_000_000], // EUR 50 buys 100 MB at EUR 0.50/MB
    [1, 40_000, 0],
    [40, 40_000, 1_000],
  ])('%d micros at %d/MB -> %d bytes', (headroom, price, expected) => {
    expect(affordableBytes(headroom, price)).toBe(expected);
  });

  it('is never charged more than the headroom, and one more kilobyte would be', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000_000 }), fc.integer({ min: 1, max: 100_000_000 }), (headroom, price) => {
        const bytes = affordableBytes(headroom, price);
        expect(bytes % 1000).toBe(0);
        expect(dataChargeMicros(bytes, price)).toBeLessThanOrEqual(headroom);
        // Maximal, short of the largest safe volume (where a grant stops anyway).
        if (bytes + 1000 <= Number.MAX_SAFE_INTEGER) expect(dataChargeMicros(bytes + 1000, price)).toBeGreaterThan(headroom);
      }),
    );
  });

  it('is unlimited (to the largest safe volume) at a price of zero', () => {
    expect(affordableBytes(1, 0)).toBe(Math.floor(Number.MAX_SAFE_INTEGER / 1000) * 1000);
  });
});

describe('grantData: allowance first, then what the cap leaves', () => {
  it('grants what is asked from the allowance, free, without touching the cap', () => {
    // Act
    const grant = grantData({ wantedBytes: 10_000_000, rate: HOME, capped: true, limitMicros: 0, spentMicros: 0, allowanceLeftBytes: 50_000_000 });

    // Assert
    expect(grant).toEqual({ bytes: 10_000_000, allowanceBytes: 10_000_000, paidBytes: 0, chargeMicros: 0, limitedByCap: false });
  });

  it('grants the rest of the allowance plus what the overage headroom buys, and says it is the final unit', () => {
    // Arrange: 2 MB of allowance left, EUR 0.20 of headroom buys 5 MB at EUR 0.04/MB
    const input = { wantedBytes: 100_000_000, rate: HOME, capped: true, limitMicros: 1_000_000, spentMicros: 800_000, allowanceLeftBytes: 2_000_000 };

    // Act
    const grant = grantData(input);

    // Assert
    expect(grant).toEqual({ bytes: 7_000_000, allowanceBytes: 2_000_000, paidBytes: 5_000_000, chargeMicros: 200_000, limitedByCap: true });
  });

  it('grants nothing when the spend is at the limit', () => {
    const grant = grantData({ wantedBytes: 1_000_000, rate: SWISS, capped: true, limitMicros: 50_000_000, spentMicros: 50_000_000, allowanceLeftBytes: 0 });
    expect(grant.bytes).toBe(0);
    expect(grant.limitedByCap).toBe(true);
  });

  it('grants what is asked, priced, when the cap does not apply (consent, opt-out)', () => {
    const grant = grantData({ wantedBytes: 4_000_000, rate: SWISS, capped: false, limitMicros: 0, spentMicros: 99_000_000, allowanceLeftBytes: 0 });
    expect(grant).toEqual({ bytes: 4_000_000, allowanceBytes: 0, paidBytes: 4_000_000, chargeMicros: 2_000_000, limitedByCap: false });
  });

  it('never reserves more than the headroom, whatever is asked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000_000 }),
        fc.integer({ min: 0, max: 60_000_000 }),
        fc.integer({ min: 0, max: 60_000_000 }),
        fc.integer({ min: 0, max: 50_000_000 }),
        fc.constantFrom(HOME, SWISS, dataRateOf('90112', '20801', DEFAULT_TARIFF)),
        (wanted, limit, spent, allowance, rate) => {
          const grant = grantData({ wantedBytes: wanted, rate, capped: true, limitMicros: limit, spentMicros: spent, allowanceLeftBytes: allowance });
          expect(grant.bytes).toBeLessThanOrEqual(wanted);
          expect(grant.chargeMicros).toBe(dataChargeMicros(grant.paidBytes, rate.pricePerMbMicros));
          expect(grant.chargeMicros).toBeLessThanOrEqual(Math.max(0, limit - spent));
          expect(grant.limitedByCap).toBe(grant.bytes < wanted);
        },
      ),
    );
  });
});

describe('rateUse: usage within a grant never costs more than the grant reserved', () => {
  it('takes the allowance first, then charges the rest', () => {
    expect(rateUse(3_000_000, 1_000_000, 40_000)).toEqual({ allowanceBytes: 1_000_000, chargeMicros: 80_000 });
  });

  it('holds for any split of the grant into reports', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: 0, max: 100_000_000 }), (granted, allowance, used) => {
        const grant = grantData({ wantedBytes: granted, rate: HOME, capped: false, limitMicros: 0, spentMicros: 0, allowanceLeftBytes: allowance });
        const rated = rateUse(Math.min(used, grant.bytes), grant.allowanceBytes, HOME.pricePerMbMicros);
        expect(rated.chargeMicros).toBeLessThanOrEqual(grant.chargeMicros);
      }),
    );
  });
});

describe('budgets', () => {
  const budget: Budget = {
    ...emptyBudget('S', '2026-09-01'),
    reservations: {
      'a/1': reservation({ chargeMicros: 1_000_000, expiresAtMs: 5_000 }),
      'b/1': reservation({ bucket: 'overage', chargeMicros: 40_000, allowanceBytes: 3_000_000, expiresAtMs: 20_000 }),
    },
    uncounted: {
      r1: { bucket: 'roaming', chargeMicros: 700_000, allowanceBytes: 0, period: '2026-09-01', shardId: 's', sequenceNumber: '10' },
      r2: { bucket: 'overage', chargeMicros: 0, allowanceBytes: 2_000_000, period: '2026-09-01' },
    },
  };
  const counted = { roamingChargeMicros: 5_000_000, overageChargeMicros: 100_000, allowanceBytes: 1_000_000 };

  it('adds counted, uncounted and reserved spend per bucket', () => {
    expect(knownSpendMicros(counted, budget, 'roaming')).toBe(6_700_000);
    expect(knownSpendMicros(counted, budget, 'overage')).toBe(140_000);
    expect(allowanceLeftBytes(10_000_000, counted, budget)).toBe(4_000_000);
  });

  it('drops abandoned reservations and the usage the counters now hold', () => {
    // Act
    const live = liveBudget(budget, 10_000, (u) => u.sequenceNumber === '10');

    // Assert
    expect(Object.keys(live.reservations)).toEqual(['b/1']);
    expect(Object.keys(live.uncounted)).toEqual(['r2']);
  });
});

describe('grant validity and committed usage', () => {
  it('defaults and bounds the volume asked', () => {
    const settings = { defaultGrantBytes: 10_000_000, maxGrantBytes: 50_000_000 };
    expect(wantedBytes(undefined, settings)).toBe(10_000_000);
    expect(wantedBytes(0, settings)).toBe(10_000_000);
    expect(wantedBytes(1_000, settings)).toBe(1_000);
    expect(wantedBytes(900_000_000, settings)).toBe(50_000_000);
  });

  it('never lets a grant outlive its billing period', () => {
    expect(validitySeconds(0, 10 * 3_600_000, 3600)).toBe(3600);
    expect(validitySeconds(0, 90_500, 3600)).toBe(91);
    expect(validitySeconds(100_000, 100_000, 3600)).toBe(1);
  });

  it('dates committed usage inside the grant period, in whole seconds', () => {
    const start = Date.parse('2026-09-01T00:00:00Z');
    const end = Date.parse('2026-10-01T00:00:00Z');
    expect(commitEventTime(Date.parse('2026-09-10T07:20:31.987Z'), start, end)).toBe('2026-09-10T07:20:31Z');
    expect(commitEventTime(Date.parse('2026-10-01T00:00:05Z'), start, end)).toBe('2026-09-30T23:59:59Z');
  });

  it('derives record ids from the resource, invocation, rating group and container', () => {
    expect(commitRecordId('abc', 3, 10, 1)).toBe('nchf-abc-3-10-1');
    expect(commitRecordId('x'.repeat(200), 3, 10, 1)).toHaveLength(128);
  });
});
