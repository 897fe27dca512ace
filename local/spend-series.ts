/**
 * Spend against the cap over time, per subscriber: what the demo's terminal chart and the replay's HTML
 * page draw. The JSON report only has each period's totals; the curves come from the same events, read
 * again in file order through the domain's own `applyEvents` (the pure core of ingest), so "with the cap"
 * is what the pipeline counted as billable, step by step. What the network refused cannot be re-derived
 * from the events alone (it depends on when the bars reached it), so the run records it as it happens
 * (`RefusalRecorder`), and the curves add it back for "without the cap".
 *
 * The final points equal the report's figures (chargeMicros, billableMicros, blockedMicros); a test holds
 * them to it.
 */
import type { CarrierEvent, PeriodCounters, PolicySettings, SpendBucketName, SubscriberProfile } from '../shared/domain/model.js';
import { eventKey } from '../shared/domain/model.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import { applyEvents } from '../shared/domain/usage.js';
import { capOf } from '../shared/domain/caps.js';
import { homePlmnOf, isRoaming } from '../shared/domain/networks.js';
import { billingPeriodOf } from '../shared/domain/periods.js';
import { rateUsage } from '../shared/domain/rating.js';
import type { ReportSubscriber } from './replay-report.js';

/** Counts the events the simulated network refused, by record key (the run calls `refused` for each). */
export class RefusalRecorder {
  private readonly counts = new Map<string, number>();

  refused(event: CarrierEvent): void {
    const key = `${event.subscriberId}\u0000${eventKey(event)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** A copy with the same counts (reading the events again consumes them). */
  clone(): RefusalRecorder {
    const copy = new RefusalRecorder();
    for (const [key, count] of this.counts) copy.counts.set(key, count);
    return copy;
  }

  /** Takes one refusal of this event, if one is left. */
  take(event: CarrierEvent): boolean {
    const key = `${event.subscriberId}\u0000${eventKey(event)}`;
    const left = this.counts.get(key) ?? 0;
    if (left === 0) return false;
    this.counts.set(key, left - 1);
    return true;
  }
}

/** One step of a bucket's curve: after the event at `atMs`, in billing period `period`. */
export interface SpendPoint {
  readonly atMs: number;
  readonly period: string;
  /** Charges that reached the pipeline, in the period so far. */
  readonly chargeMicros: number;
  /** What may be billed (the curve "with the cap"). */
  readonly billableMicros: number;
  /** What the network refused while barred (its charge), in the period so far. */
  readonly blockedMicros: number;
}

export interface BucketSeries {
  readonly bucket: SpendBucketName;
  /** The cap as configured (enabled false: opted out). */
  readonly cap: { readonly enabled: boolean; readonly limitMicros: number };
  readonly points: SpendPoint[];
}

export interface SubscriberSeries {
  readonly subscriberId: string;
  readonly buckets: Readonly<Record<SpendBucketName, BucketSeries>>;
  /** Times (ms) of the events read for this subscriber, first and last (undefined: none). */
  readonly firstMs?: number;
  readonly lastMs?: number;
}

/** "Without the cap" at a point: what reached the pipeline plus what the network refused. */
export const uncappedOf = (p: SpendPoint): number => p.chargeMicros + p.blockedMicros;

/** At most this many points per curve are kept: a chart is a few hundred pixels wide anyway. */
const MAX_POINTS = 2_000;

export interface SeriesInput {
  readonly profiles: readonly SubscriberProfile[];
  readonly settings: PolicySettings;
  /** The events, as text lines in file order (blank lines and bad lines are skipped as the pipeline does). */
  readonly lines: AsyncIterable<{ readonly text: string }> | Iterable<{ readonly text: string }>;
  readonly refusals: RefusalRecorder;
}

interface Working {
  counters: Map<string, PeriodCounters>;
  servingMcc?: string;
  latestEventMs?: number;
  blocked: Map<string, Record<SpendBucketName, number>>;
  seen: Set<string>;
  series: SubscriberSeries;
}

export async function spendSeries(input: SeriesInput): Promise<SubscriberSeries[]> {
  const byId = new Map<string, Working>();
  for (const profile of input.profiles) {
    const bucket = (name: SpendBucketName): BucketSeries => ({ bucket: name, cap: capOf(profile, name), points: [] });
    byId.set(profile.subscriberId, {
      counters: new Map(),
      blocked: new Map(),
      seen: new Set(),
      series: { subscriberId: profile.subscriberId, buckets: { roaming: bucket('roaming'), overage: bucket('overage') } },
    });
  }
  const profiles = new Map(input.profiles.map((p) => [p.subscriberId, p]));
  // The virtual clock: the largest eventTime of a valid event of a known subscriber read so far.
  let clockMs = Number.NEGATIVE_INFINITY;
  for await (const { text } of input.lines) {
    if (text.trim() === '') continue;
    const parsed = parseCarrierEventJson(text);
    if (!parsed.ok) continue;
    const event = parsed.value;
    const working = byId.get(event.subscriberId);
    const profile = profiles.get(event.subscriberId);
    if (working === undefined || profile === undefined) continue;
    const eventMs = Date.parse(event.eventTime);
    clockMs = Math.max(clockMs, eventMs);
    const times = working.series as { firstMs?: number; lastMs?: number };
    times.firstMs = Math.min(times.firstMs ?? eventMs, eventMs);
    times.lastMs = Math.max(times.lastMs ?? eventMs, eventMs);

    const period = billingPeriodOf(event.eventTime, profile.plan).id;
    if (input.refusals.take(event)) {
      if (event.type !== 'usage') continue;
      // Rated as the network rates what it refuses: its charge, or the tariff with the allowance left.
      const homePlmn = homePlmnOf(profile, input.settings);
      const used = working.counters.get(period)?.allowanceBytes ?? 0;
      const micros =
        event.chargeMicros ??
        rateUsage(event, { homePlmn, allowanceRemainingBytes: Math.max(0, profile.plan.dataAllowanceBytes - used), tariff: input.settings.tariff }).chargeMicros;
      const bucket: SpendBucketName = isRoaming(event.servingPlmn, homePlmn) ? 'roaming' : 'overage';
      const blocked = working.blocked.get(period) ?? { roaming: 0, overage: 0 };
      blocked[bucket] += micros;
      working.blocked.set(period, blocked);
      record(working, period, bucket, eventMs);
      continue;
    }
    const key = eventKey(event);
    if (working.seen.has(key)) continue; // a carrier duplicate: counted once
    working.seen.add(key);
    let applied: ReturnType<typeof applyEvents>;
    try {
      applied = applyEvents(
        { counters: working.counters, ...(working.servingMcc !== undefined && { servingMcc: working.servingMcc }), ...(working.latestEventMs !== undefined && { latestEventMs: working.latestEventMs }) },
        [{ event, knownAtMs: clockMs }],
        profile,
        input.settings,
      );
    } catch {
      continue; // an absurd value the pipeline quarantines
    }
    for (const [id, c] of applied.counters) working.counters.set(id, c);
    if (applied.servingMcc !== undefined) working.servingMcc = applied.servingMcc;
    if (applied.latestEventMs !== undefined) working.latestEventMs = applied.latestEventMs;
    if (event.type === 'usage') {
      const homePlmn = homePlmnOf(profile, input.settings);
      record(working, period, isRoaming(event.servingPlmn, homePlmn) ? 'roaming' : 'overage', eventMs);
    }
  }
  return [...byId.values()].map((w) => w.series);
}

function record(working: Working, period: string, bucket: SpendBucketName, atMs: number): void {
  const counters = working.counters.get(period);
  const points = working.series.buckets[bucket].points;
  const point: SpendPoint = {
    atMs,
    period,
    chargeMicros: counters?.[bucket].chargeMicros ?? 0,
    billableMicros: counters?.[bucket].billableMicros ?? 0,
    blockedMicros: working.blocked.get(period)?.[bucket] ?? 0,
  };
  const last = points[points.length - 1];
  if (last !== undefined && last.period === point.period && last.chargeMicros === point.chargeMicros && last.blockedMicros === point.blockedMicros && last.billableMicros === point.billableMicros) return;
  points.push(point);
  if (points.length > MAX_POINTS) thin(points);
}

/** Halves a curve, keeping the first and last points and every period change (a chart needs no more). */
function thin(points: SpendPoint[]): void {
  const kept = points.filter((p, i) => i === 0 || i === points.length - 1 || i % 2 === 0 || points[i - 1]?.period !== p.period);
  points.splice(0, points.length, ...kept);
}

/** The bucket a chart of this subscriber shows first: the one with the most spend without the cap. */
export function mainBucket(series: SubscriberSeries): BucketSeries {
  const total = (b: BucketSeries): number => b.points.reduce((max, p) => Math.max(max, uncappedOf(p)), 0);
  return total(series.buckets.overage) > total(series.buckets.roaming) ? series.buckets.overage : series.buckets.roaming;
}

/** Times of the markers a chart shows for a bucket: the 80% warning and the bars, from the report. */
export function markersOf(report: ReportSubscriber, bucket: SpendBucketName): { warnings: number[]; bars: number[]; lifts: number[] } {
  const prefix = bucket === 'roaming' ? 'ROAMING' : 'OVERAGE';
  // One marker per warning, whatever the channels it went to.
  return {
    warnings: [...new Set(report.notifications.filter((n) => n.kind === `${prefix}_SPEND_80`).map((n) => Date.parse(n.at)))],
    bars: report.carrierCommands.filter((c) => c.command === `BAR_DATA_${prefix}`).map((c) => Date.parse(c.at)),
    lifts: report.carrierCommands.filter((c) => c.command === `UNBAR_DATA_${prefix}`).map((c) => Date.parse(c.at)),
  };
}
