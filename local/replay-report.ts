/**
 * The replay report (replay-report.v1): what the caps did, per subscriber and billing period, from the
 * pipeline's own state (usage table counters, bars) and what the outboxes and the simulated network
 * recorded.
 */
import type { CarrierCommand, Channel, Micros, NotificationKind, PeriodCounters, SpendBucket } from '../shared/domain/model.js';
import type { BlockedFigures } from './simulated-network.js';

export interface ReportBucket {
  readonly chargeMicros: Micros;
  readonly billableMicros: Micros;
  readonly writtenOffMicros: Micros;
  readonly blockedBytes: number;
  readonly blockedMicros: Micros;
}

export interface ReportPeriod {
  readonly period: string;
  readonly dataBytes: number;
  readonly roamingDataBytes: number;
  readonly roaming: ReportBucket;
  readonly overage: ReportBucket;
}

export interface ReportNotification {
  readonly kind: NotificationKind;
  readonly channel: Channel;
  readonly to: string;
  readonly text: string;
  readonly at: string;
}

export interface ReportCarrierCommand {
  readonly command: CarrierCommand;
  readonly at: string;
  readonly reason?: string;
}

export interface ReportSubscriber {
  readonly subscriberId: string;
  readonly periods: ReportPeriod[];
  readonly notifications: ReportNotification[];
  readonly carrierCommands: ReportCarrierCommand[];
  readonly bars: { readonly dataRoaming: boolean; readonly dataOverage: boolean };
}

export interface RejectedLine {
  readonly line: number;
  readonly recordId?: string;
  readonly reason: string;
}

export interface ReplayReport {
  readonly version: 1;
  readonly eventsRead: number;
  readonly eventsApplied: number;
  readonly duplicates: number;
  readonly rejected: RejectedLine[];
  readonly subscribers: ReportSubscriber[];
}

const NO_BLOCK: BlockedFigures = { blockedBytes: 0, blockedMicros: 0 };
const NO_SPEND: SpendBucket = { chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 };

function bucket(spend: SpendBucket, blocked: BlockedFigures): ReportBucket {
  return {
    chargeMicros: spend.chargeMicros,
    billableMicros: spend.billableMicros,
    writtenOffMicros: spend.writtenOffMicros,
    blockedBytes: blocked.blockedBytes,
    blockedMicros: blocked.blockedMicros,
  };
}

/** Periods in date order: every period with counters, and any where only refused usage happened. */
export function reportPeriods(
  counters: readonly PeriodCounters[],
  blocked: ReadonlyMap<string, Readonly<Record<'roaming' | 'overage', Readonly<BlockedFigures>>>>,
): ReportPeriod[] {
  const ids = new Set<string>([...counters.map((c) => c.period), ...blocked.keys()]);
  const byId = new Map(counters.map((c) => [c.period, c]));
  return [...ids].sort().map((period) => {
    const c = byId.get(period);
    const b = blocked.get(period);
    return {
      period,
      dataBytes: c?.dataBytes ?? 0,
      roamingDataBytes: c?.roamingDataBytes ?? 0,
      roaming: bucket(c?.roaming ?? NO_SPEND, b?.roaming ?? NO_BLOCK),
      overage: bucket(c?.overage ?? NO_SPEND, b?.overage ?? NO_BLOCK),
    };
  });
}

/** Stable sort by time: entries with the same time keep the order in which they were sent. */
export function inTimeOrder<T extends { readonly at: string }>(entries: readonly T[]): T[] {
  return entries
    .map((entry, index) => ({ entry, index, ms: Date.parse(entry.at) }))
    .sort((a, b) => a.ms - b.ms || a.index - b.index)
    .map(({ entry }) => entry);
}

/**
 * The report as one string with every list that has no meaningful order sorted (rejected lines by line,
 * subscribers by id, notifications and commands by time then content): two replays of the same input give
 * the same string, whatever the waves or the store (tests and the scale benchmark compare them).
 */
export function canonicalReportJson(report: ReplayReport): string {
  const by = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return JSON.stringify({
    ...report,
    rejected: [...report.rejected].sort((a, b) => a.line - b.line || by<RejectedLine>((r) => r.reason)(a, b)),
    subscribers: [...report.subscribers]
      .sort(by((s) => s.subscriberId))
      .map((s) => ({
        ...s,
        notifications: [...s.notifications].sort(by((n) => `${new Date(n.at).toISOString()}|${n.kind}|${n.channel}|${n.to}|${n.text}`)),
        carrierCommands: [...s.carrierCommands].sort(by((c) => `${new Date(c.at).toISOString()}|${c.command}|${c.reason ?? ''}`)),
      })),
  });
}
