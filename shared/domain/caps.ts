/**
 * The two spend caps, as one table of facts: everything that differs between the roaming cap and the
 * out-of-bundle (overage) cap is here, and every other module derives from it (policy, messages, the
 * line's bars, the carrier gateway, self-care, the simulated network, the workflow payloads).
 *
 * And the rule the line's state follows: a bucket is barred exactly while its cap is enabled, the
 * subscriber has not consented to continue in the current period, and the current period's charge in
 * the bucket is at or above the limit (`mustBar`). The bar follows the counters, not the history of
 * messages: whatever changes one of those inputs reconciles the line to it.
 */
import type { Bar, CarrierCommand, PeriodCounters, SpendBucketName, SpendCap, SubscriberProfile } from './model.js';
import { SPEND_BUCKETS } from './model.js';

export interface CapFacts {
  readonly bucket: SpendBucketName;
  /** The profile field that holds the cap (subscriber.v1). */
  readonly capField: 'roamingCap' | 'overageCap';
  /** The 80% warning. */
  readonly warningKind: 'ROAMING_SPEND_80' | 'OVERAGE_SPEND_80';
  /** The cap reached: the bar, and the message with the price to continue. */
  readonly capKind: 'ROAMING_CAP_REACHED' | 'OVERAGE_CAP_REACHED';
  readonly barCommand: 'BAR_DATA_ROAMING' | 'BAR_DATA_OVERAGE';
  readonly unbarCommand: 'UNBAR_DATA_ROAMING' | 'UNBAR_DATA_OVERAGE';
  /** The bar's name in the replay report and the API (`bars.dataRoaming`). */
  readonly bar: 'dataRoaming' | 'dataOverage';
  /** The attribute that holds the bar in force on the line's item of the usage table. */
  readonly barAttribute: 'barDataRoaming' | 'barDataOverage';
  /**
   * What the host network stops while the bar is in force: data used while roaming (`true`), or data
   * used on the home network beyond the allowance (`false`). Voice, SMS and attaches are never barred.
   */
  readonly barsRoamingData: boolean;
}

export const CAPS: Readonly<Record<SpendBucketName, CapFacts>> = Object.freeze({
  roaming: {
    bucket: 'roaming',
    capField: 'roamingCap',
    warningKind: 'ROAMING_SPEND_80',
    capKind: 'ROAMING_CAP_REACHED',
    barCommand: 'BAR_DATA_ROAMING',
    unbarCommand: 'UNBAR_DATA_ROAMING',
    bar: 'dataRoaming',
    barAttribute: 'barDataRoaming',
    barsRoamingData: true,
  },
  overage: {
    bucket: 'overage',
    capField: 'overageCap',
    warningKind: 'OVERAGE_SPEND_80',
    capKind: 'OVERAGE_CAP_REACHED',
    barCommand: 'BAR_DATA_OVERAGE',
    unbarCommand: 'UNBAR_DATA_OVERAGE',
    bar: 'dataOverage',
    barAttribute: 'barDataOverage',
    barsRoamingData: false,
  },
});

/** The caps in policy order. */
export const CAP_LIST: readonly CapFacts[] = SPEND_BUCKETS.map((bucket) => CAPS[bucket]);

/** The cap a carrier command concerns, and whether it places (`true`) or lifts (`false`) the bar. */
export function capOfCommand(command: CarrierCommand): { readonly cap: CapFacts; readonly places: boolean } {
  for (const cap of CAP_LIST) {
    if (cap.barCommand === command) return { cap, places: true };
    if (cap.unbarCommand === command) return { cap, places: false };
  }
  throw new Error(`command: not a carrier command (${String(command)})`);
}

/** The cap a warning or cap kind concerns; undefined for kinds that concern no cap (allowance, welcome...). */
export function capOfKind(kind: string): CapFacts | undefined {
  return CAP_LIST.find((cap) => cap.warningKind === kind || cap.capKind === kind);
}

/** The subscriber's cap on a bucket. */
export function capOf(profile: SubscriberProfile, bucket: SpendBucketName): SpendCap {
  return profile[CAPS[bucket].capField];
}

/**
 * Whether the cap of `bucket` must stop data now: enabled, not consented past in the period of `counters`
 * (the current one), and its charge at or above the limit. A limit of 0 is reached by the first charge.
 */
export function mustBar(profile: SubscriberProfile, counters: PeriodCounters, bucket: SpendBucketName): boolean {
  const cap = capOf(profile, bucket);
  if (!cap.enabled || counters.consent[bucket]) return false;
  const charge = counters[bucket].chargeMicros;
  return charge > 0 && charge >= cap.limitMicros;
}

/** The bar each bucket must have, from the current period's counters. */
export function desiredBars(profile: SubscriberProfile, counters: PeriodCounters): Readonly<Record<SpendBucketName, boolean>> {
  return { roaming: mustBar(profile, counters, 'roaming'), overage: mustBar(profile, counters, 'overage') };
}

/** The identity of the bar a request places on a bucket in a period: one per (period, request, bucket). */
export function barIdOf(period: string, crossingId: string, bucket: SpendBucketName): string {
  return `${period}/${bucket}/${crossingId}`;
}

/** Bars in force on a subscriber's line, by bucket. */
export type LineBars = Readonly<Partial<Record<SpendBucketName, Bar>>>;

/** What reconciling the line did to one bucket's bar. */
export type BarChange = 'PLACED' | 'LIFTED' | 'KEPT' | 'NONE';

export interface BucketOutcome {
  readonly bucket: SpendBucketName;
  readonly change: BarChange;
  /** The bar placed or kept (in force after), or the bar lifted. */
  readonly bar?: Bar;
}

/** What reconciling the line did, and when (the request's notifications depend on it). */
export interface LineOutcome {
  /** When it was decided (ISO UTC). */
  readonly at: string;
  /** The billing period current then. */
  readonly period: string;
  readonly buckets: readonly BucketOutcome[];
}
