/**
 * The deployment's tariff: what usage costs when the carrier did not rate it (no `chargeMicros`).
 * Every price is integer micros of `currency`; every computation stays in exact integer arithmetic.
 */
import type { Micros, NetworkZone, Tariff, ZonePrices } from './model.js';
import { REST_OF_WORLD_ZONE } from './networks.js';

/**
 * Default prices (EUR, excl. VAT). They are a starting point for a deployment, which sets its own in
 * SPENDCAP_SETTINGS; they are chosen so that the caps do what they exist for with realistic numbers:
 * - home: voice and SMS are unlimited in the plans we target (0); out-of-bundle data EUR 0.04/MB
 *   (EUR 2 per 50 MB, the usual "recharge" price of French MVNO plans; the 2009 bill was at 0.02/MB).
 *   The same prices apply in the EU/EEA (roam-like-at-home, Regulation (EU) 2022/612 Art. 4).
 * - zone-1, Europe outside the EU/EEA and North America (CH, GB, GI, MC, AD, SM, VA, US, CA):
 *   EUR 0.50/MB, 0.50/min, 0.20/SMS - the neighbours a border subscriber latches onto by accident.
 * - zone-2, Maghreb and Turkiye (MA, TN, DZ, TR): EUR 1.00/MB, 1.00/min, 0.30/SMS.
 * - rest of the world: EUR 2.00/MB, 2.00/min, 0.50/SMS.
 * - ships and aircraft (MCC 901): satellite backhaul, billed by the maritime/aviation operators at
 *   several euros per MB: EUR 10.00/MB, 5.00/min, 1.00/SMS. The EU rules ask for a warning on
 *   connection there precisely because a few minutes of background sync can reach the cap.
 */
export const DEFAULT_TARIFF: Tariff = deepFreeze({
  currency: 'EUR',
  home: { dataPerMbMicros: 40_000, voicePerMinuteMicros: 0, smsMicros: 0 },
  worldZones: [
    {
      name: 'zone-1',
      mccs: ['228', '234', '235', '266', '212', '213', '292', '225', '310', '311', '312', '313', '314', '315', '316', '302'],
      prices: { dataPerMbMicros: 500_000, voicePerMinuteMicros: 500_000, smsMicros: 200_000 },
    },
    {
      name: 'zone-2',
      mccs: ['604', '605', '603', '286'],
      prices: { dataPerMbMicros: 1_000_000, voicePerMinuteMicros: 1_000_000, smsMicros: 300_000 },
    },
  ],
  restOfWorld: { dataPerMbMicros: 2_000_000, voicePerMinuteMicros: 2_000_000, smsMicros: 500_000 },
  nonTerrestrial: { dataPerMbMicros: 10_000_000, voicePerMinuteMicros: 5_000_000, smsMicros: 1_000_000 },
});

/** Tariffs are indexed once per object (WeakMap below), which is only sound if they never change. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Per tariff: world zone name -> prices, built once (configuration is immutable once parsed). */
const worldPricesIndex = new WeakMap<Tariff, ReadonlyMap<string, ZonePrices>>();

function worldPrices(zoneName: string, tariff: Tariff): ZonePrices {
  let index = worldPricesIndex.get(tariff);
  if (index === undefined) {
    const built = new Map<string, ZonePrices>();
    for (const zone of tariff.worldZones) {
      if (!built.has(zone.name)) built.set(zone.name, zone.prices);
    }
    worldPricesIndex.set(tariff, built);
    index = built;
  }
  // A zone no longer configured (or REST_OF_WORLD_ZONE) falls back to the rest-of-world prices.
  return zoneName === REST_OF_WORLD_ZONE ? tariff.restOfWorld : (index.get(zoneName) ?? tariff.restOfWorld);
}

/** Prices that apply in a zone: home prices at home and in the roam-like-at-home zone. */
export function zonePrices(zone: NetworkZone, tariff: Tariff): ZonePrices {
  switch (zone.kind) {
    case 'home':
    case 'rlah':
      return tariff.home;
    case 'world':
      return worldPrices(zone.zone, tariff);
    case 'nonTerrestrial':
      return tariff.nonTerrestrial;
  }
}

function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what}: must be an integer >= 0 (got ${value})`);
  }
}

/**
 * ceil(units * price / per) for non-negative safe integers, exactly, without BigInt: split
 * units = q * per + r so that q * price is the whole part (no larger than the result) and r * price
 * stays below per * price. Exact as long as the result and per * price are safe integers.
 */
function ceilProrata(units: number, price: number, per: number): number {
  const r = units % per;
  const q = (units - r) / per;
  const part = r * price;
  const partRemainder = part % per;
  const result = q * price + (part - partRemainder) / per + (partRemainder > 0 ? 1 : 0);
  if (!Number.isSafeInteger(result) || !Number.isSafeInteger(part)) {
    throw new RangeError(`charge exceeds the exact integer range (${units} units at ${price} per ${per})`);
  }
  return result;
}

/**
 * Data charge: per started kilobyte (1 kB = 1000 B), as the EU roaming rules require of any charge
 * for regulated data roaming (Regulation (EU) 2022/612, carried over from 531/2012 Art. 6e), at
 * pricePerMb / 1000 per kilobyte; the total is rounded up to a whole
 * micro-unit once (not per kilobyte). Exact for volumes up to 1e13 bytes and prices up to
 * EUR 9,000,000/MB, and for any volume whose charge stays below 2^53 micros.
 */
export function dataChargeMicros(bytes: number, pricePerMbMicros: Micros): Micros {
  assertCount(bytes, 'volumeBytes');
  assertCount(pricePerMbMicros, 'dataPerMbMicros');
  const remainder = bytes % 1000;
  const kilobytes = (bytes - remainder) / 1000 + (remainder > 0 ? 1 : 0);
  return ceilProrata(kilobytes, pricePerMbMicros, 1000);
}

/** Voice charge: per started second at pricePerMinute / 60, the total rounded up to a whole micro. */
export function voiceChargeMicros(seconds: number, pricePerMinuteMicros: Micros): Micros {
  assertCount(seconds, 'durationSeconds');
  assertCount(pricePerMinuteMicros, 'voicePerMinuteMicros');
  return ceilProrata(seconds, pricePerMinuteMicros, 60);
}

/** SMS charge: per message. */
export function smsChargeMicros(count: number, smsMicros: Micros): Micros {
  assertCount(count, 'count');
  assertCount(smsMicros, 'smsMicros');
  const result = count * smsMicros;
  if (!Number.isSafeInteger(result)) {
    throw new RangeError(`charge exceeds the exact integer range (${count} messages at ${smsMicros})`);
  }
  return result;
}
