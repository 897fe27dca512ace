/**
 * Billing periods: a period starts on `plan.billingCycleDay` (1..28, so that every month has it) at
 * 00:00 in `plan.timeZone`, and ends where the next one starts (exclusive). An event belongs to the
 * period of its eventTime, whatever its offset and whenever it arrives.
 *
 * Local midnight is resolved on the IANA time zone database of the runtime (shared/domain/time-zones.ts),
 * so periods follow daylight saving time and historical offset changes. Where a zone skips midnight (a DST
 * change at 00:00, as in America/Santiago), the day, and so the period, starts at its first existing instant.
 *
 * This runs once per event on the ingest path: period starts are computed once per
 * (time zone, cycle day, month) and kept, so a call is a Date.parse and a few map look-ups.
 */
import { isKnownTimeZone, localMidnightUtcMs } from './time-zones.js';

export interface BillingPeriod {
  /** Start date in the plan's time zone, YYYY-MM-DD: the period's id in the counters. */
  readonly id: string;
  /** ISO 8601 UTC ('Z'), inclusive. */
  readonly start: string;
  /** ISO 8601 UTC ('Z'), exclusive: the next period's start. */
  readonly end: string;
}

export interface BillingPlan {
  readonly billingCycleDay: number;
  readonly timeZone: string;
}

interface PeriodStart {
  readonly startMs: number;
  readonly start: string;
  readonly id: string;
  /** Filled on first use (it needs the next month's start). */
  period?: BillingPeriod;
}

/** timeZone -> (cycleDay * MONTH_KEY_SPAN + month index) -> start of the period beginning that month. */
const startCache = new Map<string, Map<number, PeriodStart>>();
let cachedStarts = 0;
/** Bounds memory on a long-lived container fed with many zones and years; refilling is cheap. */
const MAX_CACHED_STARTS = 10_000;
const MONTH_KEY_SPAN = 1_000_000;

function isoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  // Period starts are whole seconds in every modern zone: keep the compact form ('...T22:00:00Z').
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

function checkPlan(plan: BillingPlan): void {
  const day = plan.billingCycleDay;
  if (!Number.isInteger(day) || day < 1 || day > 28) {
    throw new Error(`plan.billingCycleDay: must be an integer from 1 to 28 (got ${day})`);
  }
}

/** Start of the period that begins in month `monthIndex` (year * 12 + zero-based month). */
function periodStart(plan: BillingPlan, monthIndex: number): PeriodStart {
  const key = plan.billingCycleDay * MONTH_KEY_SPAN + monthIndex;
  const cached = startCache.get(plan.timeZone)?.get(key);
  if (cached !== undefined) return cached;

  checkPlan(plan);
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  if (!isKnownTimeZone(plan.timeZone)) {
    throw new Error(`plan.timeZone: not a known IANA time zone (got "${plan.timeZone}")`);
  }
  const startMs = localMidnightUtcMs(plan.timeZone, year, month, plan.billingCycleDay);
  const id = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(plan.billingCycleDay).padStart(2, '0')}`;
  const entry: PeriodStart = { startMs, start: isoUtc(startMs), id };

  if (cachedStarts >= MAX_CACHED_STARTS) {
    startCache.clear();
    cachedStarts = 0;
  }
  let zoneStarts = startCache.get(plan.timeZone);
  if (zoneStarts === undefined) {
    zoneStarts = new Map();
    startCache.set(plan.timeZone, zoneStarts);
  }
  zoneStarts.set(key, entry);
  cachedStarts += 1;
  return entry;
}

function periodBeginning(plan: BillingPlan, monthIndex: number): BillingPeriod {
  const start = periodStart(plan, monthIndex);
  if (start.period === undefined) {
    start.period = Object.freeze({ id: start.id, start: start.start, end: periodStart(plan, monthIndex + 1).start });
  }
  return start.period;
}

function instantOf(eventTime: string | Date | number): number {
  const ms = typeof eventTime === 'string' ? Date.parse(eventTime) : typeof eventTime === 'number' ? eventTime : eventTime.getTime();
  if (Number.isNaN(ms)) {
    throw new Error(`eventTime: not an RFC 3339 date-time (got "${String(eventTime)}")`);
  }
  return ms;
}

/** The billing period an instant belongs to: an RFC 3339 `eventTime` with any offset, a Date, or epoch ms. */
export function billingPeriodOf(eventTime: string | Date | number, plan: BillingPlan): BillingPeriod {
  const ms = instantOf(eventTime);
  const utc = new Date(ms);
  // The period starting in the instant's UTC month, or the one before or after: local midnight is
  // at most 14 hours from UTC midnight, and cycle days stop at 28.
  let monthIndex = utc.getUTCFullYear() * 12 + utc.getUTCMonth();
  if (ms < periodStart(plan, monthIndex).startMs) {
    monthIndex -= 1;
  } else if (ms >= periodStart(plan, monthIndex + 1).startMs) {
    monthIndex += 1;
  }
  return periodBeginning(plan, monthIndex);
}

const PERIOD_ID = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(id: string): { year: number; month: number; day: number } {
  const match = PERIOD_ID.exec(id);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (match === null || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new Error(`period: must be a date YYYY-MM-DD (got "${id}")`);
  }
  return { year, month, day };
}

/** The period whose id is `id`; it must start on the plan's cycle day. */
export function billingPeriodById(id: string, plan: BillingPlan): BillingPeriod {
  const { year, month, day } = parseDate(id);
  checkPlan(plan);
  if (day !== plan.billingCycleDay) {
    throw new Error(`period: ${id} does not start on plan.billingCycleDay ${plan.billingCycleDay}`);
  }
  return periodBeginning(plan, year * 12 + month - 1);
}

/**
 * Start (ISO UTC) of the period after period `id`: when the caps reset and bars are lifted.
 * If the plan's cycle day changed since that period began (so `id` is not on it), the answer is the
 * first start under the current plan after that date, so a scheduled un-bar is never lost.
 */
export function nextPeriodStart(id: string, plan: BillingPlan): string {
  const { year, month, day } = parseDate(id);
  checkPlan(plan);
  const monthIndex = year * 12 + month - 1;
  return periodStart(plan, day < plan.billingCycleDay ? monthIndex : monthIndex + 1).start;
}
