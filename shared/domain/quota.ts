/**
 * Online data quota: what the charging function may grant a PDU session before the usage happens, so that
 * the spend of a capped bucket never passes its limit (no usage between the cap and the bar to write off).
 *
 * The rules, all in integer arithmetic:
 * - A grant is a reservation against the same period's cap: known spend (the period counters, which hold
 *   every feed's usage once counted) plus committed usage of the charging function not yet counted, plus
 *   every live reservation, plus the new grant, stays at or below the limit while the cap is enabled and
 *   the subscriber has not consented to continue.
 * - Data at home and in the roam-like-at-home zone first consumes what is left of the plan's allowance
 *   (free); only the rest is charged, at the zone's price per started kilobyte.
 * - A grant limited by the cap carries the final unit indication; when nothing may be granted the answer
 *   is QUOTA_LIMIT_REACHED with it.
 * - A reservation ends with the next report of its session, its release, or its expiry (validity time plus
 *   a grace), so an abandoned session gives its quota back.
 */
import type { Micros, NetworkZone, SpendBucketName, Tariff } from './model.js';
import { consumesAllowance, isRoaming, zoneOf } from './networks.js';
import { dataChargeMicros, zonePrices } from './tariff.js';

/** What one byte of data costs the subscriber where the session is served. */
export interface DataRate {
  /** The cap the charge counts toward (roaming when served in another country). */
  readonly bucket: SpendBucketName;
  readonly zone: NetworkZone;
  readonly pricePerMbMicros: Micros;
  /** Home and roam-like-at-home data uses the plan's allowance first. */
  readonly consumesAllowance: boolean;
}

export function dataRateOf(servingPlmn: string, homePlmn: string, tariff: Tariff): DataRate {
  const zone = zoneOf(servingPlmn, homePlmn, tariff);
  return {
    bucket: isRoaming(servingPlmn, homePlmn) ? 'roaming' : 'overage',
    zone,
    pricePerMbMicros: zonePrices(zone, tariff).dataPerMbMicros,
    consumesAllowance: consumesAllowance(zone),
  };
}

/**
 * The largest volume, in whole kilobytes, whose charge fits in `headroomMicros`. Data is charged per started
 * kilobyte at price/1000 per kilobyte, rounded up once: k kilobytes cost ceil(k * price / 1000), which is at
 * most `headroom` exactly when k * price <= headroom * 1000. BigInt keeps it exact for any limit.
 */
export function affordableBytes(headroomMicros: Micros, pricePerMbMicros: Micros): number {
  if (headroomMicros <= 0) return 0;
  if (pricePerMbMicros <= 0) return MAX_WHOLE_KB_BYTES;
  const kilobytes = (BigInt(headroomMicros) * 1000n) / BigInt(pricePerMbMicros);
  const bytes = kilobytes * 1000n;
  return bytes > BigInt(MAX_WHOLE_KB_BYTES) ? MAX_WHOLE_KB_BYTES : Number(bytes);
}

/** The largest safe integer volume in whole kilobytes. */
const MAX_WHOLE_KB_BYTES = Math.floor(Number.MAX_SAFE_INTEGER / 1000) * 1000;

export interface GrantInput {
  /** What the session asks for, already bounded by the deployment's per-grant maximum. */
  readonly wantedBytes: number;
  readonly rate: DataRate;
  /** Cap enabled and no consent to continue in this period. */
  readonly capped: boolean;
  readonly limitMicros: Micros;
  /** Spend of the bucket known now: counted, committed not yet counted, and reserved by live grants. */
  readonly spentMicros: Micros;
  /** Plan allowance not yet used, committed or reserved (0 when the plan has none). */
  readonly allowanceLeftBytes: number;
}

export interface DataGrant {
  readonly bytes: number;
  /** Part of `bytes` that the plan's allowance covers (free). */
  readonly allowanceBytes: number;
  /** bytes - allowanceBytes: charged at the zone's price. */
  readonly paidBytes: number;
  /** The charge of `paidBytes`: what the reservation holds against the cap. */
  readonly chargeMicros: Micros;
  /** Less than wanted because of the cap: this grant is the final unit. */
  readonly limitedByCap: boolean;
}

/** A grant that fits the cap: allowance first, then what the headroom buys, never more than wanted. */
export function grantData(input: GrantInput): DataGrant {
  const wanted = Math.max(0, Math.floor(input.wantedBytes));
  const allowanceBytes = input.rate.consumesAllowance ? Math.min(wanted, Math.max(0, input.allowanceLeftBytes)) : 0;
  const paidWanted = wanted - allowanceBytes;
  let paidBytes = paidWanted;
  let limitedByCap = false;
  if (input.capped && paidWanted > 0) {
    const affordable = affordableBytes(input.limitMicros - input.spentMicros, input.rate.pricePerMbMicros);
    if (affordable < paidWanted) {
      paidBytes = affordable;
      limitedByCap = true;
    }
  }
  return {
    bytes: allowanceBytes + paidBytes,
    allowanceBytes,
    paidBytes,
    chargeMicros: dataChargeMicros(paidBytes, input.rate.pricePerMbMicros),
    limitedByCap,
  };
}

/** A grant as the budget holds it until its session reports, releases or abandons it. */
export interface Reservation {
  readonly bucket: SpendBucketName;
  /** What the grant holds against the cap: the charge of its paid bytes. */
  readonly chargeMicros: Micros;
  readonly allowanceBytes: number;
  /** Volume granted (allowance + paid). */
  readonly bytes: number;
  /** The price it was granted at: usage against it is rated at this price. */
  readonly pricePerMbMicros: Micros;
  readonly servingPlmn: string;
  readonly grantedAtMs: number;
  readonly validitySeconds: number;
  /** Epoch ms after which the grant is abandoned: validity time plus grace. */
  readonly expiresAtMs: number;
  /** Limited by the cap: the final unit (the answer carries the final unit indication). */
  readonly finalUnit: boolean;
  /** The invocation (sequence number) of its session that made it: a retry of that invocation reuses it. */
  readonly seq: number;
}

/**
 * Usage the charging function committed (and put on the stream) that the counters may not hold yet. Kept
 * until the counters' watermark for its shard passes its position: then the counters hold it.
 */
export interface UncountedUsage {
  readonly bucket: SpendBucketName;
  /** What the usage event charges (the counters will add exactly this). */
  readonly chargeMicros: Micros;
  /** An upper bound of the allowance the usage may consume once counted. */
  readonly allowanceBytes: number;
  readonly period: string;
  /** Where the stream put it; absent until the put is known to have succeeded. */
  readonly shardId?: string;
  readonly sequenceNumber?: string;
}

/** What a subscriber's grants and uncounted usage hold in one billing period. */
export interface Budget {
  readonly subscriberId: string;
  readonly period: string;
  /** By `<chargingDataRef>/<ratingGroup>`. */
  readonly reservations: Readonly<Record<string, Reservation>>;
  /** By recordId. */
  readonly uncounted: Readonly<Record<string, UncountedUsage>>;
  /** By chargingDataRef: the last invocation of that session applied to this budget. */
  readonly lastSeq: Readonly<Record<string, number>>;
  /** Sessions refused quota in this period, by chargingDataRef: where to send a re-authorisation (may be ''). */
  readonly denied: Readonly<Record<string, string>>;
}

export function emptyBudget(subscriberId: string, period: string): Budget {
  return { subscriberId, period, reservations: {}, uncounted: {}, lastSeq: {}, denied: {} };
}

/**
 * The budget as it stands at `nowMs`: abandoned reservations dropped, and the uncounted usage that the
 * counters now hold (by their watermarks) folded away. The counters read and the budget read belong
 * together: the charge those counters show includes exactly the usage folded here.
 */
export function liveBudget(budget: Budget, nowMs: number, isCounted: (usage: UncountedUsage) => boolean): Budget {
  const reservations: Record<string, Reservation> = {};
  for (const [key, r] of Object.entries(budget.reservations)) if (r.expiresAtMs > nowMs) reservations[key] = r;
  const uncounted: Record<string, UncountedUsage> = {};
  for (const [id, u] of Object.entries(budget.uncounted)) if (!isCounted(u)) uncounted[id] = u;
  return { ...budget, reservations, uncounted };
}

/** What the period's counters say about one bucket and the allowance. */
export interface CountedSpend {
  readonly roamingChargeMicros: Micros;
  readonly overageChargeMicros: Micros;
  readonly allowanceBytes: number;
}

/** Spend of a bucket known now: counted + uncounted + reserved. */
export function knownSpendMicros(counted: CountedSpend, budget: Budget, bucket: SpendBucketName): Micros {
  let spent = bucket === 'roaming' ? counted.roamingChargeMicros : counted.overageChargeMicros;
  for (const u of Object.values(budget.uncounted)) if (u.bucket === bucket) spent += u.chargeMicros;
  for (const r of Object.values(budget.reservations)) if (r.bucket === bucket) spent += r.chargeMicros;
  return spent;
}

/** Plan allowance left after what is counted, committed and reserved. */
export function allowanceLeftBytes(planAllowanceBytes: number, counted: CountedSpend, budget: Budget): number {
  let used = counted.allowanceBytes;
  for (const u of Object.values(budget.uncounted)) used += u.allowanceBytes;
  for (const r of Object.values(budget.reservations)) used += r.allowanceBytes;
  return Math.max(0, planAllowanceBytes - used);
}

/** The charge of used volume against the reservation it consumed: its allowance first, then the price. */
export interface RatedUse {
  readonly allowanceBytes: number;
  readonly chargeMicros: Micros;
}

/**
 * Rates used volume, taking allowance from `allowanceLeft` (the part of the reservation's allowance not yet
 * taken by earlier containers of the same report). Used volume within the grant is never charged more than
 * the grant reserved: the charge only grows with the paid part.
 */
export function rateUse(usedBytes: number, allowanceLeft: number, pricePerMbMicros: Micros): RatedUse {
  const allowanceBytes = Math.min(usedBytes, Math.max(0, allowanceLeft));
  return { allowanceBytes, chargeMicros: dataChargeMicros(usedBytes - allowanceBytes, pricePerMbMicros) };
}

export type FinalUnitAction = 'REDIRECT' | 'TERMINATE';

export interface QuotaSettings {
  /** Granted when the request names no volume. */
  readonly defaultGrantBytes: number;
  /** No single grant is larger (bounds what one session holds away from the others). */
  readonly maxGrantBytes: number;
  /** How long a grant may be used before the session must report (and ask again). */
  readonly validityTimeSeconds: number;
  /** Idle time after which the SMF reports a grant it is not using. */
  readonly quotaHoldingTimeSeconds: number;
  /** After a refusal: when the SMF asks again (sooner with a re-authorisation after consent). */
  readonly deniedValidityTimeSeconds: number;
  /** A reservation outlives its validity by this much before it counts as abandoned (late reports). */
  readonly graceSeconds: number;
  readonly finalUnitAction: FinalUnitAction;
  /** Where REDIRECT sends the subscriber: the page to consent or raise the limit. */
  readonly redirectUrl: string;
}

export const DEFAULT_QUOTA_SETTINGS: Omit<QuotaSettings, 'redirectUrl'> = Object.freeze({
  defaultGrantBytes: 10_000_000,
  maxGrantBytes: 100_000_000,
  validityTimeSeconds: 3_600,
  quotaHoldingTimeSeconds: 600,
  deniedValidityTimeSeconds: 900,
  graceSeconds: 120,
  finalUnitAction: 'REDIRECT',
});

/** The volume to grant for a request: what it asks (or the default), never above the maximum. */
export function wantedBytes(requestedBytes: number | undefined, settings: Pick<QuotaSettings, 'defaultGrantBytes' | 'maxGrantBytes'>): number {
  const asked = requestedBytes === undefined || requestedBytes <= 0 ? settings.defaultGrantBytes : requestedBytes;
  return Math.min(asked, settings.maxGrantBytes);
}

/**
 * A grant's validity: the configured time, but never past the end of the billing period, so that usage
 * of one period is reported in that period and a new period starts with fresh grants.
 */
export function validitySeconds(nowMs: number, periodEndMs: number, configured: number): number {
  const left = Math.ceil((periodEndMs - nowMs) / 1000);
  return Math.max(1, Math.min(configured, left));
}

/**
 * The time a committed usage event carries: when it was committed, kept inside the period of the grant it
 * used (a report that arrives just after the period ended belongs to the period the grant was for). Whole
 * seconds, so the text is the same whoever formats it; stored with the commit so that a retry re-sends it
 * unchanged (a duplicate carries the same eventTime).
 */
export function commitEventTime(nowMs: number, periodStartMs: number, periodEndMs: number): string {
  const clamped = Math.min(Math.max(nowMs, periodStartMs), periodEndMs - 1000);
  const seconds = Math.floor(clamped / 1000) * 1000;
  return new Date(seconds).toISOString().replace('.000Z', 'Z');
}

/**
 * The record id of one used-unit container: the same report, retried, gives the same id, so the stream's
 * consumers count it once. 128 characters at most (usage-event.v1).
 */
export function commitRecordId(chargingDataRef: string, seq: number, ratingGroup: number, localSequenceNumber: number): string {
  return `nchf-${chargingDataRef}-${seq}-${ratingGroup}-${localSequenceNumber}`.slice(0, 128);
}
