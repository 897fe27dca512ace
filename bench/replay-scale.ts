/**
 * Replay at scale: a month of an MVNO's traffic (1,000,000 events from local/generate-traffic.ts, 10,000
 * subscribers by default) through `npm run replay` as a user runs it (a child process under GNU time, for its
 * peak RSS), and the check that batching and the store change nothing at that size.
 *
 * The check: a sample of the subscribers (one in 50) with every line of theirs, plus the file's last valid
 * line, is replayed three ways: in memory in waves (the default), in memory one event at a time, and on the
 * DynamoDB adapters (dynalite) in small waves. The generator writes lines in eventTime order, so the clock at
 * each of those lines is the same in the sample as in the whole file (the last line makes the last clock the
 * same too), and subscribers do not influence each other: each run must give these subscribers exactly what
 * the million-event run gave them, byte for byte after sorting.
 *
 *   npm run bench -- --only replay-scale [--replay-scale-events 1000000] [--json results.json]
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import { startEmulators } from '../local/emulators.js';
import { runReplay, type ReplayOptions } from '../local/replay.js';
import { canonicalReportJson, type ReplayReport } from '../local/replay-report.js';
import { runReplayBenchmark, type ReplayFigures } from './replay.js';

export interface ReplayScaleOptions {
  readonly events: number;
  readonly subscribers: number;
  /** One subscriber in this many is in the sample. @default 50 */
  readonly sampleEvery?: number;
  /** Lines per wave of the dynalite run of the sample ("small waves"). @default 10 */
  readonly smallWave?: number;
  readonly dir: string;
  readonly cwd: string;
}

export interface SampleRun {
  readonly store: 'memory' | 'dynalite';
  /** Lines per wave (10,000 = the default). */
  readonly wave: number;
  readonly seconds: number;
  /** The sample's subscribers got exactly what the whole run gave them. */
  readonly identical: boolean;
}

export interface ReplayScaleFigures extends ReplayFigures {
  readonly sample: {
    readonly subscribers: number;
    readonly lines: number;
    readonly runs: readonly SampleRun[];
    /** Every run gave the sample's subscribers what the whole run gave them. */
    readonly identical: boolean;
    /** What the sample holds, so that "identical" is about something: commands and messages of its subscribers. */
    readonly carrierCommands: number;
    readonly notifications: number;
  };
}

const SUBSCRIBER_ID = /"subscriberId"\s*:\s*"([^"]*)"/;

/** Lines of the chosen subscribers, then the file's last valid event (so the sample's last clock is the file's). */
async function writeSample(from: string, to: string, chosen: ReadonlySet<string>): Promise<number> {
  const input = createReadStream(from, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const reader = createInterface({ input, crlfDelay: Infinity });
  const out = createWriteStream(to);
  let kept = 0;
  const tail: string[] = [];
  for await (const line of reader) {
    tail.push(line);
    if (tail.length > 100) tail.shift();
    const id = SUBSCRIBER_ID.exec(line)?.[1];
    if (id === undefined || !chosen.has(id)) continue;
    kept++;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  const last = [...tail].reverse().find((line) => parseCarrierEventJson(line).ok);
  if (last !== undefined && !chosen.has(SUBSCRIBER_ID.exec(last)?.[1] ?? '')) {
    out.write(`${last}\n`);
    kept++;
  }
  out.end();
  await once(out, 'finish');
  return kept;
}

/** The report's entries of `ids` only, in the canonical form. */
function entriesOf(report: ReplayReport, ids: ReadonlySet<string>): string {
  return canonicalReportJson({ version: 1, eventsRead: 0, eventsApplied: 0, duplicates: 0, rejected: [], subscribers: report.subscribers.filter((s) => ids.has(s.subscriberId)) });
}

export async function runReplayScaleBenchmark(options: ReplayScaleOptions): Promise<ReplayScaleFigures> {
  await mkdir(options.dir, { recursive: true });
  const figures = await runReplayBenchmark({ events: options.events, subscribers: options.subscribers, dir: options.dir, cwd: options.cwd });
  const whole = JSON.parse(readFileSync(join(options.dir, 'report.json'), 'utf8')) as ReplayReport;

  const every = options.sampleEvery ?? 50;
  const chosen = new Set(whole.subscribers.map((s) => s.subscriberId).filter((_, i) => i % every === 0));
  const expected = entriesOf(whole, chosen);
  const sampleFile = join(options.dir, 'sample.jsonl');
  const lines = await writeSample(join(options.dir, 'events.jsonl'), sampleFile, chosen);
  const files: ReplayOptions = { subscribersFile: join(options.dir, 'subscribers.json'), eventsFile: sampleFile, progress: false };

  const emulators = await startEmulators({ env: { ...process.env } });
  const runs: SampleRun[] = [];
  try {
    const plans: Array<Pick<SampleRun, 'store' | 'wave'>> = [
      { store: 'memory', wave: 10_000 },
      { store: 'memory', wave: 1 },
      { store: 'dynalite', wave: options.smallWave ?? 10 },
    ];
    for (const plan of plans) {
      const started = performance.now();
      const report = await runReplay({ ...files, maxWave: plan.wave, store: plan.store, ...(plan.store === 'dynalite' && { emulators }) });
      runs.push({ ...plan, seconds: (performance.now() - started) / 1000, identical: entriesOf(report, chosen) === expected });
    }
  } finally {
    await emulators.stop();
  }
  const sampled = whole.subscribers.filter((s) => chosen.has(s.subscriberId));
  return {
    ...figures,
    sample: {
      subscribers: chosen.size,
      lines,
      runs,
      identical: runs.every((r) => r.identical),
      carrierCommands: sampled.reduce((n, s) => n + s.carrierCommands.length, 0),
      notifications: sampled.reduce((n, s) => n + s.notifications.length, 0),
    },
  };
}
