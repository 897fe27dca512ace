/**
 * Rating: what one usage event means for the subscriber's counters - its zone, the cap it counts
 * toward, how much of the plan's allowance it consumes and what it costs. Pure and on the ingest hot
 * path (one call per event), so it allocates one result object and does integer arithmetic only.
 */
import type { Micros, NetworkZone, SpendBucketName, Tariff, UsageEvent } from './model.js';
import { consumesAllowance, isRoaming, zoneOf } from './networks.js';
import { dataChargeMicros, smsChargeMicros, voiceChargeMicros, zonePrices } from './tariff.js';

export interface RatedUsage {
  readonly zone: NetworkZone;
  readonly roaming: boolean;
  /** The cap the charge counts toward: roaming (any service) or out-of-bundle at home. */
  readonly bucket: SpendBucketName;
  readonly dataBytes: number;
  /** Part of dataBytes that consumed the plan allowance (0 outside home/roam-like-at-home). */
  readonly allowanceBytes: number;
  readonly voiceSeconds: number;
  readonly smsCount: number;
  readonly chargeMicros: Micros;
}

export interface RatingContext {
  readonly homePlmn: string;
  /** Allowance left in the period before this event (0 when the plan has none or it is used up). */
  readonly allowanceRemainingBytes: number;
  readonly tariff: Tariff;
}

/**
 * Rates one usage event.
 * - bucket: 'roaming' when served in another country, else 'overage'.
 * - data at home or in the EU/EEA consumes min(volume, remaining allowance); only the rest is
 *   charged, at the home price per started kB, so an event straddling the allowance boundary is
 *   charged for exactly its out-of-bundle part. Elsewhere the whole volume is charged at the zone price.
 * - voice per started second, SMS per message, at the zone's prices.
 * - a carrier-rated `chargeMicros` is the charge, whatever the tariff says; the allowance is still
 *   consumed, because the plan's counters do not depend on who rated the event.
 */
export function rateUsage(event: UsageEvent, ctx: RatingContext): RatedUsage {
  const zone = zoneOf(event.servingPlmn, ctx.homePlmn, ctx.tariff);
  const roaming = isRoaming(event.servingPlmn, ctx.homePlmn);
  const bucket: SpendBucketName = roaming ? 'roaming' : 'overage';
  const remaining = Math.max(0, ctx.allowanceRemainingBytes);

  const carrierCharge = event.chargeMicros;
  let dataBytes = 0;
  let allowanceBytes = 0;
  let voiceSeconds = 0;
  let smsCount = 0;
  let chargeMicros: Micros;

  switch (event.service) {
    case 'data':
      dataBytes = event.volumeBytes ?? 0;
      allowanceBytes = consumesAllowance(zone) ? Math.min(dataBytes, remaining) : 0;
      chargeMicros = carrierCharge ?? dataChargeMicros(dataBytes - allowanceBytes, zonePrices(zone, ctx.tariff).dataPerMbMicros);
      break;
    case 'voice':
      voiceSeconds = event.durationSeconds ?? 0;
      chargeMicros = carrierCharge ?? voiceChargeMicros(voiceSeconds, zonePrices(zone, ctx.tariff).voicePerMinuteMicros);
      break;
    case 'sms':
      // The schema requires count >= 1 for SMS; a record of an SMS is at least one message.
      smsCount = event.count ?? 1;
      chargeMicros = carrierCharge ?? smsChargeMicros(smsCount, zonePrices(zone, ctx.tariff).smsMicros);
      break;
  }

  return { zone, roaming, bucket, dataBytes, allowanceBytes, voiceSeconds, smsCount, chargeMicros };
}
