/**
 * Builds replay input files in a temporary directory and runs the replay in-process (the same
 * `runReplay` that `npm run replay` calls), so scenarios read as data and figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplay } from '../../../local/replay.js';
import type { ReplayReport, ReportPeriod, ReportSubscriber } from '../../../local/replay-report.js';

export const MB = 1_000_000;
export const GB = 1_000_000_000;
export const EUR = 1_000_000;

export interface ScenarioFiles {
  readonly dir: string;
  readonly subscribers: string;
  readonly events: string;
  readonly report: string;
  cleanup(): void;
}

/** Lines are written as given: objects as JSON, strings verbatim (bad lines, blank lines). */
export function scenarioFiles(subscribers: unknown, lines: ReadonlyArray<object | string>): ScenarioFiles {
  const dir = mkdtempSync(join(tmpdir(), 'spendcap-e2e-'));
  const files = {
    dir,
    subscribers: join(dir, 'subscribers.json'),
    events: join(dir, 'events.jsonl'),
    report: join(dir, 'report.json'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  writeFileSync(files.subscribers, typeof subscribers === 'string' ? subscribers : JSON.stringify(subscribers));
  writeFileSync(files.events, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return files;
}

export async function replay(
  subscribers: unknown,
  lines: ReadonlyArray<object | string>,
  options: { maxWave?: number } = {},
): Promise<ReplayReport> {
  const files = scenarioFiles(subscribers, lines);
  try {
    return await runReplay({ subscribersFile: files.subscribers, eventsFile: files.events, progress: false, ...options });
  } finally {
    files.cleanup();
  }
}

export function subscriberOf(report: ReplayReport, id: string): ReportSubscriber {
  const found = report.subscribers.find((s) => s.subscriberId === id);
  if (found === undefined) throw new Error(`subscriber ${id} not in the report`);
  return found;
}

export function periodOf(report: ReplayReport, id: string, period: string): ReportPeriod {
  const found = subscriberOf(report, id).periods.find((p) => p.period === period);
  if (found === undefined) throw new Error(`period ${period} of ${id} not in the report`);
  return found;
}

/** `KIND@channel@time` per notification, in report order: compact to assert. */
export function notesOf(report: ReplayReport, id: string): string[] {
  return subscriberOf(report, id).notifications.map((n) => `${n.kind}@${n.channel}@${new Date(n.at).toISOString()}`);
}

export function commandsOf(report: ReplayReport, id: string): string[] {
  return subscriberOf(report, id).carrierCommands.map((c) => `${c.command}@${new Date(c.at).toISOString()}`);
}

export function profile(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { plan, ...rest } = overrides as { plan?: Record<string, unknown> };
  return {
    subscriberId: id,
    msisdn: `+3361234${String(Math.abs(hash(id)) % 10000).padStart(4, '0')}`,
    locale: 'en',
    homePlmn: '20801',
    ...rest,
    plan: { dataAllowanceBytes: 1 * GB, monthlyFeeMicros: 20 * EUR, billingCycleDay: 1, timeZone: 'Europe/Paris', ...plan },
  };
}

function hash(text: string): number {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

let counter = 0;
export function data(subscriberId: string, eventTime: string, volumeBytes: number, servingPlmn: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { recordId: `r${++counter}`, subscriberId, eventTime, service: 'data', volumeBytes, servingPlmn, ...extra };
}

export function attach(subscriberId: string, eventTime: string, servingPlmn: string): Record<string, unknown> {
  return { type: 'attach', eventId: `a${++counter}`, subscriberId, eventTime, servingPlmn };
}

/** ISO time `minutes` after `start`. */
export function after(start: string, minutes: number): string {
  return new Date(Date.parse(start) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}
