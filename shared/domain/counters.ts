/**
 * Period counters: what one subscriber used and spent in one billing period, and what of it may be billed.
 * Pure and integer-only; the ingest use case applies one rated event at a time through `applyRated`.
 */
import { capOf } from './caps.js';
import type { Micros, PeriodCounters, SpendBucket, SpendBucketName, SubscriberProfile } from './model.js';
import type { RatedUsage } from './rating.js';

const NO_LATE_WRITE_OFF = Object.freeze({ roaming: 0, overage: 0 });
const EMPTY_BUCKET: SpendBucket = Object.freeze({ chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 });

export function emptyCounters(subscriberId: string, period: string): PeriodCounters {
  return {
    subscriberId,
    period,
    dataBytes: 0,
    roamingDataBytes: 0,
    allowanceBytes: 0,
    voiceSeconds: 0,
    smsCount: 0,
    roaming: EMPTY_BUCKET,
    overage: EMPTY_BUCKET,
    consent: { roaming: false, overage: false },
    fired: {},
    eventsApplied: 0,
    lateEvents: 0,
    lateWrittenOff: NO_LATE_WRITE_OFF,
  };
}

/**
 * Whether the cap currently stops billing in this bucket: enabled, and the subscriber has not consented
 * to continue for this period. An opted-out subscriber (cap disabled) is billed everything.
 */
export function isCapped(counters: PeriodCounters, profile: SubscriberProfile, bucket: SpendBucketName): boolean {
  return capOf(profile, bucket).enabled && !counters.consent[bucket];
}

/**
 * Adds a charge to a bucket. Billing is incremental: while capped, billable stops at the limit and the
 * excess is written off (never billed, reported); once uncapped (consent, opt-out) every new charge is
 * billable, while what was written off before stays written off. So billable + writtenOff == charge always.
 */
export function addCharge(bucket: SpendBucket, chargeMicros: Micros, capped: boolean, limitMicros: Micros): SpendBucket {
  if (chargeMicros === 0) return bucket;
  let billable = chargeMicros;
  if (capped) {
    const room = Math.max(0, limitMicros - bucket.billableMicros);
    billable = Math.min(chargeMicros, room);
  }
  return {
    chargeMicros: bucket.chargeMicros + chargeMicros,
    billableMicros: bucket.billableMicros + billable,
    writtenOffMicros: bucket.writtenOffMicros + (chargeMicros - billable),
  };
}

/**
 * A counter would leave the range where doubles hold integers exactly (2^53 - 1). Per-record bounds keep
 * real feeds far from it (shared/domain/bounds.ts); this refuses what gets past them instead of storing
 * a sum that is no longer exact.
 */
export class CounterRangeError extends Error {
  override readonly name = 'CounterRangeError';

  constructor(readonly counter: string, period: string) {
    super(`${counter}: the period ${period} total would exceed ${Number.MAX_SAFE_INTEGER}, beyond exact integer arithmetic`);
  }
}

function checkRange(after: PeriodCounters, bucketName: SpendBucketName): PeriodCounters {
  const bucket = after[bucketName];
  const fields: ReadonlyArray<readonly [string, number]> = [
    ['dataBytes', after.dataBytes],
    ['voiceSeconds', after.voiceSeconds],
    ['smsCount', after.smsCount],
    [`${bucketName}.chargeMicros`, bucket.chargeMicros],
  ];
  // The other counters are parts of these (roaming data, allowance, billable, written off): no larger.
  for (const [name, value] of fields) if (!Number.isSafeInteger(value)) throw new CounterRangeError(name, after.period);
  return after;
}

/** Applies one rated usage event: one new counters object per event, buckets copied only when charged. */
export function applyRated(counters: PeriodCounters, rated: RatedUsage, profile: SubscriberProfile): PeriodCounters {
  const bucketName = rated.bucket;
  const charged = addCharge(
    counters[bucketName],
    rated.chargeMicros,
    isCapped(counters, profile, bucketName),
    capOf(profile, bucketName).limitMicros,
  );
  return checkRange({
    subscriberId: counters.subscriberId,
    period: counters.period,
    dataBytes: counters.dataBytes + rated.dataBytes,
    roamingDataBytes: counters.roamingDataBytes + (rated.roaming ? rated.dataBytes : 0),
    allowanceBytes: counters.allowanceBytes + rated.allowanceBytes,
    voiceSeconds: counters.voiceSeconds + rated.voiceSeconds,
    smsCount: counters.smsCount + rated.smsCount,
    roaming: bucketName === 'roaming' ? charged : counters.roaming,
    overage: bucketName === 'overage' ? charged : counters.overage,
    consent: counters.consent,
    fired: counters.fired,
    eventsApplied: counters.eventsApplied + 1,
    lateEvents: counters.lateEvents,
    lateWrittenOff: counters.lateWrittenOff,
  }, bucketName);
}

/** Applies one rated event that arrived after its period ended: the same counting, and its write-off marked late. */
export function applyLateRated(counters: PeriodCounters, rated: RatedUsage, profile: SubscriberProfile): PeriodCounters {
  const after = applyRated(counters, rated, profile);
  const writtenOff = after[rated.bucket].writtenOffMicros - counters[rated.bucket].writtenOffMicros;
  const lateWrittenOff = { ...counters.lateWrittenOff, [rated.bucket]: counters.lateWrittenOff[rated.bucket] + writtenOff };
  return { ...after, lateEvents: counters.lateEvents + 1, lateWrittenOff };
}

/** Total accrued charges of the period, billable or not (the bill-shock measure). */
export function totalChargeMicros(counters: PeriodCounters): Micros {
  return counters.roaming.chargeMicros + counters.overage.chargeMicros;
}
