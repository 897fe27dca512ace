import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetworkZone, Tariff } from '../../shared/domain/model.js';
import { EU_EEA_MCCS } from '../../shared/domain/networks.js';
import { DEFAULT_TARIFF, dataChargeMicros, smsChargeMicros, voiceChargeMicros, zonePrices } from '../../shared/domain/tariff.js';

/** Reference: the definition, in exact big-integer arithmetic. */
function referenceDataCharge(bytes: number, pricePerMb: number): bigint {
  const kilobytes = (BigInt(bytes) + 999n) / 1000n;
  return (kilobytes * BigInt(pricePerMb) + 999n) / 1000n;
}

function referenceVoiceCharge(seconds: number, pricePerMinute: number): bigint {
  return (BigInt(seconds) * BigInt(pricePerMinute) + 59n) / 60n;
}

describe('dataChargeMicros: per started kilobyte, rounded up to a whole micro once', () => {
  it.each([
    [0, 40_000, 0],
    [1, 40_000, 40], // 1 byte is a started kilobyte
    [999, 40_000, 40],
    [1_000, 40_000, 40],
    [1_001, 40_000, 80], // a second kilobyte started
    [1_000_000, 40_000, 40_000], // 1 MB at the home price
    [50_000_000, 40_000, 2_000_000], // EUR 2 per 50 MB
    [1, 1, 1], // 0.001 micro rounds up to 1
    [1_500, 3, 1], // 2 kB x 0.003 = 0.006 -> 1
    [1_000_000, 0, 0],
    [4_000_000, 625_000, 2_500_000],
    [1e13, 10_000_000, 100_000_000_000_000], // 10 TB on a ship: no overflow
    [1e13 - 1, 999_999, 9_999_990_000_000],
  ])('%d bytes at %d/MB -> %d', (bytes, price, expected) => {
    expect(dataChargeMicros(bytes, price)).toBe(expected);
  });

  it('matches the big-integer definition for volumes up to 1e13 bytes and prices up to EUR 100/MB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e13 }), fc.integer({ min: 0, max: 100_000_000 }), (bytes, price) => {
        const charge = dataChargeMicros(bytes, price);
        expect(Number.isSafeInteger(charge)).toBe(true);
        expect(BigInt(charge)).toBe(referenceDataCharge(bytes, price));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a charge it could not represent exactly', () => {
    expect(() => dataChargeMicros(1e13, 9_000_000_000_000)).toThrow(RangeError);
  });

  it.each([
    [-1, 40_000, /volumeBytes: must be an integer >= 0/],
    [1.5, 40_000, /volumeBytes/],
    [Number.NaN, 40_000, /volumeBytes/],
    [2 ** 53, 40_000, /volumeBytes/],
    [1_000, -1, /dataPerMbMicros: must be an integer >= 0/],
    [1_000, 0.5, /dataPerMbMicros/],
  ])('refuses %d bytes at %d/MB, naming the field', (bytes, price, message) => {
    expect(() => dataChargeMicros(bytes, price)).toThrow(message);
  });
});

describe('voiceChargeMicros: per started second', () => {
  it.each([
    [0, 600_000, 0],
    [1, 600_000, 10_000],
    [60, 500_000, 500_000],
    [61, 500_000, 508_334], // 508,333.33 rounded up
    [1, 1, 1],
    [3_600, 0, 0],
  ])('%d s at %d/min -> %d', (seconds, price, expected) => {
    expect(voiceChargeMicros(seconds, price)).toBe(expected);
  });

  it('matches the big-integer definition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000_000 }), (seconds, price) => {
        expect(BigInt(voiceChargeMicros(seconds, price))).toBe(referenceVoiceCharge(seconds, price));
      }),
    );
  });

  it('names the field at fault', () => {
    expect(() => voiceChargeMicros(-1, 1)).toThrow(/durationSeconds/);
    expect(() => voiceChargeMicros(1, -1)).toThrow(/voicePerMinuteMicros/);
  });
});

describe('smsChargeMicros: per message', () => {
  it('multiplies', () => {
    expect(smsChargeMicros(3, 200_000)).toBe(600_000);
    expect(smsChargeMicros(1, 0)).toBe(0);
  });

  it('names the field at fault and refuses an inexact result', () => {
    expect(() => smsChargeMicros(-1, 1)).toThrow(/count/);
    expect(() => smsChargeMicros(1, 0.5)).toThrow(/smsMicros/);
    expect(() => smsChargeMicros(2 ** 30, 2 ** 30)).toThrow(RangeError);
  });
});

describe('zonePrices', () => {
  const tariff: Tariff = {
    currency: 'EUR',
    home: { dataPerMbMicros: 1, voicePerMinuteMicros: 2, smsMicros: 3 },
    worldZones: [{ name: 'alps', mccs: ['228'], prices: { dataPerMbMicros: 4, voicePerMinuteMicros: 5, smsMicros: 6 } }],
    restOfWorld: { dataPerMbMicros: 7, voicePerMinuteMicros: 8, smsMicros: 9 },
    nonTerrestrial: { dataPerMbMicros: 10, voicePerMinuteMicros: 11, smsMicros: 12 },
  };

  it.each<[string, NetworkZone, number]>([
    ['home', { kind: 'home' }, 1],
    ['roam-like-at-home: home prices', { kind: 'rlah', mcc: '206' }, 1],
    ['configured world zone', { kind: 'world', mcc: '228', zone: 'alps' }, 4],
    ['rest of the world', { kind: 'world', mcc: '440', zone: 'restOfWorld' }, 7],
    ['a world zone no longer configured', { kind: 'world', mcc: '604', zone: 'zone-2' }, 7],
    ['ships and aircraft', { kind: 'nonTerrestrial', mcc: '901' }, 10],
  ])('%s', (_label, zone, dataPerMb) => {
    expect(zonePrices(zone, tariff).dataPerMbMicros).toBe(dataPerMb);
  });
});

describe('DEFAULT_TARIFF', () => {
  it('charges home out-of-bundle data at EUR 0.04/MB and nothing for voice and SMS in the plan', () => {
    expect(DEFAULT_TARIFF.currency).toBe('EUR');
    expect(DEFAULT_TARIFF.home).toEqual({ dataPerMbMicros: 40_000, voicePerMinuteMicros: 0, smsMicros: 0 });
  });

  it('is dearer the farther from home: zone-1 < zone-2 < rest of world < ships and aircraft', () => {
    const [zone1, zone2] = DEFAULT_TARIFF.worldZones;
    const ladder = [DEFAULT_TARIFF.home, zone1!.prices, zone2!.prices, DEFAULT_TARIFF.restOfWorld, DEFAULT_TARIFF.nonTerrestrial];
    for (let i = 1; i < ladder.length; i++) {
      expect(ladder[i]!.dataPerMbMicros).toBeGreaterThan(ladder[i - 1]!.dataPerMbMicros);
    }
  });

  it('lists no EU/EEA MCC in a world zone, and Switzerland and the UK in zone-1', () => {
    const all = DEFAULT_TARIFF.worldZones.flatMap((zone) => zone.mccs);
    expect(all.filter((mcc) => EU_EEA_MCCS.has(mcc))).toEqual([]);
    expect(DEFAULT_TARIFF.worldZones[0]!.mccs).toEqual(expect.arrayContaining(['228', '234', '235', '310', '302']));
  });

  it('is frozen, since zones are indexed once per tariff object', () => {
    expect(Object.isFrozen(DEFAULT_TARIFF)).toBe(true);
    expect(Object.isFrozen(DEFAULT_TARIFF.home)).toBe(true);
    expect(Object.isFrozen(DEFAULT_TARIFF.worldZones[0]!.mccs)).toBe(true);
  });
});
