/**
 * What ingest accepts beyond the contract's schema: deployment bounds on time and on the size of one
 * event. The schema says what a well-formed record is; these say what a sane one is, so that a hostile
 * or broken feed cannot bar a line in 2026 with a record stamped 2099, or push a counter past the range
 * where integer arithmetic is exact.
 *
 * Time. A record may be stamped at most `maxAheadMs` after it reached the stream (clocks and mediation
 * disagree by seconds, not hours), and no earlier than the duplicate window before it (the claim that
 * recognises a carrier duplicate lives that long: an older record could be counted twice). The replay
 * has no arrival: its clock, the latest eventTime read so far, stands in for it, so only the second
 * bound can bite there and a line that moves the clock forward is always accepted.
 *
 * Size. Every counter of a period is a sum of per-event amounts held in a double, exact up to 2^53 - 1
 * (Number.MAX_SAFE_INTEGER, about 9.007e15). With the default per-event maxima below, a period holds at
 * least this many maximal events before the sum could leave that range:
 *   volumeBytes    <= 1e13 (10 TB)             -> 900 events of 10 TB
 *   durationSeconds<= 2,678,400 (31 days)      -> 3.3e9 events
 *   count          <= 100,000 SMS              -> 9e10 events
 *   charge         <= 1e11 micros (EUR 100,000) -> 90,071 events of EUR 100,000
 * Real records are many orders below (an hourly data record of a 10 Gbps line is 4.5 TB). Anything that
 * would still cross 2^53 is refused as a whole subscriber's batch by the counters (CounterRangeError).
 */
import type { CarrierEvent, Micros, PolicySettings, SubscriberProfile } from './model.js';
import { homePlmnOf } from './networks.js';
import { rateUsage } from './rating.js';

export interface IngestBounds {
  /** How far after its arrival on the stream a record's eventTime may lie (ms). */
  readonly maxAheadMs: number;
  /** How far before its arrival a record's eventTime may lie: the duplicate window, the claims' lifetime (ms). */
  readonly duplicateWindowMs: number;
  readonly maxVolumeBytes: number;
  readonly maxDurationSeconds: number;
  readonly maxSmsCount: number;
  /** The largest charge one record may carry or be rated at. */
  readonly maxChargeMicros: Micros;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export const DEFAULT_BOUNDS: IngestBounds = Object.freeze({
  maxAheadMs: 5 * MINUTE_MS,
  duplicateWindowMs: 45 * DAY_MS,
  maxVolumeBytes: 10_000_000_000_000,
  maxDurationSeconds: 31 * 86_400,
  maxSmsCount: 100_000,
  maxChargeMicros: 100_000_000_000,
});

/**
 * Why a record is out of bounds (naming the field and the rule), or undefined when it is within them.
 * `arrivalMs` absent (a test feeding events directly): only the size bounds apply.
 */
export function outOfBounds(event: CarrierEvent, arrivalMs: number | undefined, bounds: IngestBounds, eventMs = Date.parse(event.eventTime)): string | undefined {
  if (arrivalMs !== undefined) {
    if (eventMs > arrivalMs + bounds.maxAheadMs) {
      return (
        `eventTime: ${describeSpan(eventMs - arrivalMs)} after the record reached the stream (${isoOf(arrivalMs)}); ` +
        `at most ${describeSpan(bounds.maxAheadMs)} ahead is accepted (future-dated records are refused)`
      );
    }
    if (eventMs < arrivalMs - bounds.duplicateWindowMs) {
      return (
        `eventTime: ${describeSpan(arrivalMs - eventMs)} before the record reached the stream (${isoOf(arrivalMs)}); ` +
        `records older than the duplicate window (${describeSpan(bounds.duplicateWindowMs)}) are refused: a duplicate of them could no longer be recognised`
      );
    }
  }
  if (event.type === 'attach') return undefined;
  if (event.volumeBytes !== undefined && event.volumeBytes > bounds.maxVolumeBytes) {
    return `volumeBytes: ${event.volumeBytes} is above the per-record limit of ${bounds.maxVolumeBytes}`;
  }
  if (event.durationSeconds !== undefined && event.durationSeconds > bounds.maxDurationSeconds) {
    return `durationSeconds: ${event.durationSeconds} is above the per-record limit of ${bounds.maxDurationSeconds}`;
  }
  if (event.count !== undefined && event.count > bounds.maxSmsCount) {
    return `count: ${event.count} is above the per-record limit of ${bounds.maxSmsCount}`;
  }
  if (event.chargeMicros !== undefined && event.chargeMicros > bounds.maxChargeMicros) {
    return `chargeMicros: ${event.chargeMicros} is above the per-record limit of ${bounds.maxChargeMicros}`;
  }
  return undefined;
}

/**
 * Why the record's rated charge is out of bounds, or undefined. Rated as if no allowance were left, the
 * most the record can cost whatever the period's counters: so the verdict does not depend on them.
 */
export function ratedOutOfBounds(event: CarrierEvent, profile: SubscriberProfile, settings: PolicySettings, bounds: IngestBounds): string | undefined {
  if (event.type === 'attach' || event.chargeMicros !== undefined) return undefined;
  const rated = rateUsage(event, { homePlmn: homePlmnOf(profile, settings), allowanceRemainingBytes: 0, tariff: settings.tariff });
  if (rated.chargeMicros <= bounds.maxChargeMicros) return undefined;
  const field = event.service === 'data' ? 'volumeBytes' : event.service === 'voice' ? 'durationSeconds' : 'count';
  return `${field}: rated at ${rated.chargeMicros} micros, above the per-record charge limit of ${bounds.maxChargeMicros}`;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** "3 minutes", "2 days 4 hours": enough to see the scale of the gap. */
export function describeSpan(ms: number): string {
  const minutes = Math.floor(ms / MINUTE_MS);
  if (minutes < 60) return minutes === 1 ? '1 minute' : minutes < 1 ? `${Math.round(ms / 1000)} seconds` : `${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  const days = Math.floor(hours / 24);
  return `${days} days`;
}
