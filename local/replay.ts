/**
 * `npm run replay -- --subscribers s.json --events e.jsonl --report r.json`: what would the caps have
 * done with this traffic? Runs the deployment's own ingest handler and policy workflow on local stores
 * (in memory by default, or the DynamoDB adapters on dynalite), with virtual time (local/timeline.ts) and a
 * simulated network (../shared contract "The replay command"), and writes a replay-report.v1 JSON file.
 */
import './local-env.js';
import { rename, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { SubscriberProfile } from '../shared/domain/model.js';
import type { IngestHandler } from '../functions/ingest-events/handler.js';
import { LOCAL_REGION, LOCAL_STREAM_NAME, type LocalEmulators } from './emulators.js';
import { kinesisRecord, localLambdaContext, localStreamArn } from './kinesis-event.js';
import { checkEventsFile, checkReportPath, InputFileError, loadSubscribers } from './replay-input.js';
import { replaySource, type ReplaySource } from './mapped-lines.js';
import { inTimeOrder, reportPeriods, type RejectedLine, type ReplayReport, type ReportSubscriber } from './replay-report.js';
import { startLocalRuntime, startMemoryRuntime, type LocalRuntime, type LocalStoreKind } from './runtime.js';
import { SimulatedNetwork } from './simulated-network.js';
import { REPLAY_HELP } from './cli-help.js';
import { plural } from './cli.js';
import { RefusalRecorder } from './spend-series.js';
import { writeReplayPage } from './replay-page.js';

export interface ReplayOptions {
  readonly subscribersFile: string;
  readonly eventsFile: string;
  /** A feed mapping (docs/feeds.md): the events file is then a host operator's export, read through it. */
  readonly mappingFile?: string;
  /** Where to write the report; omitted: only returned. */
  readonly reportFile?: string;
  /** Lines per wave (1 = one event at a time; the report is the same). */
  readonly maxWave?: number;
  /**
   * Where the pipeline keeps its data: `memory` (default: the stores in this process, fastest) or `dynalite`
   * (the DynamoDB adapters on the embedded emulator). The report is the same.
   */
  readonly store?: LocalStoreKind;
  /** With `store: 'dynalite'`: emulators already running, shared by several replays (tables of its own each). */
  readonly emulators?: LocalEmulators;
  /** Progress lines on this stream (default: stderr when it is a TTY or the file is large). */
  readonly progress?: NodeJS.WritableStream | false;
  /** Filled with how long each phase took (benchmarks). */
  readonly timings?: ReplayTimings;
  /** Told of each event the simulated network refuses (the HTML page's curves need them). */
  readonly refusals?: RefusalRecorder;
}

export interface ReplayTimings {
  /** Emulators, policy definition, profiles loaded (ms). */
  setupMs?: number;
  /** Reading and applying every line (ms). */
  eventsMs?: number;
  /** Reading the counters and writing the report (ms). */
  reportMs?: number;
  /** Handler invocations the lines took. */
  waves?: number;
}

/** Files larger than this show progress even when stderr is not a terminal (CI logs of long replays). */
const LARGE_FILE_BYTES = 2_000_000;
const PROGRESS_EVERY_MS = 2_000;
/** Lines per ingest invocation, at most: the largest Kinesis batch Lambda delivers (fewer, larger writes). */
const DEFAULT_WAVE = 10_000;
/** The replay's stream position: one shard, the sequence number derived from the line number. */
const REPLAY_SHARD = 'shardId-000000000000';

export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const profilesList = await loadSubscribers(options.subscribersFile);
  const size = await checkEventsFile(options.eventsFile);
  if (options.reportFile !== undefined) await checkReportPath(options.reportFile);
  const input = await replaySource(options.eventsFile, options.mappingFile);
  const profiles = new Map<string, SubscriberProfile>(profilesList.map((p) => [p.subscriberId, p]));

  const setupStarted = performance.now();
  // Rejected lines are kept compact (line, id, reason), not with their payload.
  const runtime =
    options.store === 'dynalite'
      ? await startLocalRuntime({ env: process.env, keepRejected: false, ...(options.emulators !== undefined && { emulators: options.emulators }) })
      : await startMemoryRuntime({ env: process.env, keepRejected: false });
  try {
    await runtime.putProfiles(profilesList);
    if (options.timings !== undefined) options.timings.setupMs = performance.now() - setupStarted;
    const report = await replayInto(runtime, profiles, profilesList, options, size, input);
    if (options.reportFile !== undefined) await writeReportFile(options.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    await runtime.stop();
  }
}

/** Written beside the target, then renamed: a report file is never half written, and no temporary file stays. */
export async function writeReportFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.partial-${process.pid}`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (e: unknown) {
    await rm(temporary, { force: true });
    throw e;
  }
}

async function replayInto(
  runtime: LocalRuntime,
  profiles: ReadonlyMap<string, SubscriberProfile>,
  profilesList: readonly SubscriberProfile[],
  options: ReplayOptions,
  size: number,
  input: ReplaySource,
): Promise<ReplayReport> {
  const network = simulatedNetworkOf(runtime, profiles);
  const rejected: RejectedLine[] = [];
  runtime.quarantine.onReject((item) => {
    rejected.push({
      line: Number(item.position?.sequenceNumber ?? 0),
      ...(item.recordId !== undefined ? { recordId: item.recordId } : {}),
      reason: item.reason,
    });
  });

  const source = { region: LOCAL_REGION, streamArn: localStreamArn(LOCAL_REGION, LOCAL_STREAM_NAME) };
  let ingest: IngestHandler | undefined;
  const timeline = runtime.timeline({
    profiles,
    network,
    maxWave: options.maxWave ?? DEFAULT_WAVE,
    ...(options.refusals !== undefined && { onRefused: (event: Parameters<RefusalRecorder['refused']>[0]) => options.refusals!.refused(event) }),
    delivery: {
      async deliver(lines, on) {
        const records = lines.map((l) => {
          // The line number is the position: a quarantined record names its line, a request its line's clock.
          on.registerPosition(REPLAY_SHARD, String(l.line), l.clockMs);
          return kinesisRecord(source, { shardId: REPLAY_SHARD, sequenceNumber: String(l.line), partitionKey: l.partitionKey, data: l.text, arrival: l.arrivalMs });
        });
        const response = await ingest!({ Records: records }, localLambdaContext('spendcap-ingest-events'));
        if ((response?.batchItemFailures.length ?? 0) > 0) {
          throw new Error(`ingest failed lines ${response?.batchItemFailures.map((f) => f.itemIdentifier).join(', ')}`);
        }
      },
    },
  });
  ingest = runtime.ingestWith(timeline.starter);

  const progressOut =
    options.progress === false
      ? undefined
      : (options.progress ?? (process.stderr.isTTY || size > LARGE_FILE_BYTES ? process.stderr : undefined));
  const started = Date.now();
  let lastProgress = started;
  const tty = progressOut === process.stderr && process.stderr.isTTY;
  for await (const line of input.lines) {
    await timeline.feed(line);
    if (progressOut !== undefined && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      const rate = Math.round(timeline.counts.read / ((lastProgress - started) / 1000));
      const text = `replay: ${timeline.counts.read.toLocaleString('en')} events read, ${rate.toLocaleString('en')}/s, line ${line.line.toLocaleString('en')}`;
      progressOut.write(tty ? `\r${text}\u001b[K` : `${text}\n`);
    }
  }
  await timeline.finish();
  if (progressOut !== undefined && tty) progressOut.write('\r\u001b[K');
  const eventsDone = Date.now();
  if (options.timings !== undefined) {
    options.timings.eventsMs = eventsDone - started;
    options.timings.waves = timeline.counts.waves;
  }

  // Waves may reach the quarantine out of line order; lines a feed mapping refused never reached it.
  rejected.push(...input.refused);
  rejected.sort((a, b) => a.line - b.line);
  const subscribers = await subscriberReports(runtime, network, profilesList);
  if (options.timings !== undefined) options.timings.reportMs = Date.now() - eventsDone;
  return {
    version: 1,
    eventsRead: timeline.counts.read + input.refused.length,
    eventsApplied: runtime.totals.applied,
    duplicates: runtime.totals.duplicates,
    rejected,
    subscribers,
  };
}

/** What the caps did for each subscriber: counters from the usage table, refusals, messages, bars. */
export async function subscriberReports(
  runtime: LocalRuntime,
  network: SimulatedNetwork,
  profiles: readonly SubscriberProfile[],
): Promise<ReportSubscriber[]> {
  const { workflows } = runtime;
  const subscribers: ReportSubscriber[] = [];
  for (const profile of profiles) {
    const id = profile.subscriberId;
    const counters = await runtime.readCounters(id);
    subscribers.push({
      subscriberId: id,
      periods: reportPeriods(counters, network.blockedOf(id)),
      notifications: inTimeOrder(workflows.notificationsOf(id)).map(({ kind, channel, to, text, at }) => ({ kind, channel, to, text, at })),
      carrierCommands: inTimeOrder(workflows.commandsOf(id)).map(({ command, at, reason }) => ({ command, at, reason })),
      bars: await workflows.barsOf(id),
    });
  }
  return subscribers;
}

/** The network, as the replay and the demo see it: the allowance left comes from the usage table. */
export function simulatedNetworkOf(runtime: LocalRuntime, profiles: ReadonlyMap<string, SubscriberProfile>): SimulatedNetwork {
  return new SimulatedNetwork((id) => profiles.get(id), runtime.settings, async (subscriberId, period) => {
    const counters = (await runtime.readCounters(subscriberId)).find((c) => c.period === period);
    const profile = profiles.get(subscriberId);
    return Math.max(0, (profile?.plan.dataAllowanceBytes ?? 0) - (counters?.allowanceBytes ?? 0));
  });
}

async function main(): Promise<void> {
  let values: { subscribers?: string; events?: string; report?: string; wave?: string; mapping?: string; html?: string; store?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        subscribers: { type: 'string' },
        events: { type: 'string' },
        report: { type: 'string' },
        wave: { type: 'string' },
        mapping: { type: 'string' },
        html: { type: 'string' },
        store: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e: unknown) {
    fail(`${(e instanceof Error ? e.message : String(e)).replace(/\. To specify a positional argument.*$/s, '')} (see npm run replay -- --help)`, 2);
  }
  if (values.help === true) {
    process.stdout.write(`${REPLAY_HELP}\n`);
    return;
  }
  for (const flag of ['subscribers', 'events', 'report'] as const) {
    if (values[flag] === undefined || values[flag] === '') {
      fail(`--${flag} is required; usage: npm run replay -- --subscribers s.json --events e.jsonl --report r.json (see --help)`, 2);
    }
  }
  if (values.html === '') fail('--html needs a file name, e.g. --html report.html', 2);
  const refusals = values.html !== undefined ? new RefusalRecorder() : undefined;
  const maxWave = values.wave === undefined ? undefined : Number(values.wave);
  if (maxWave !== undefined && (!Number.isInteger(maxWave) || maxWave < 1)) fail('--wave must be an integer >= 1', 2);
  if (values.store !== undefined && values.store !== 'memory' && values.store !== 'dynalite') fail('--store must be memory or dynalite', 2);
  const started = process.hrtime.bigint();
  try {
    const report = await runReplay({
      subscribersFile: values.subscribers!,
      eventsFile: values.events!,
      reportFile: values.report!,
      ...(values.mapping !== undefined ? { mappingFile: values.mapping } : {}),
      ...(maxWave !== undefined ? { maxWave } : {}),
      ...(refusals !== undefined && { refusals }),
      ...(values.store !== undefined ? { store: values.store } : {}),
    });
    if (values.html !== undefined && refusals !== undefined) {
      await writeReplayPage({
        report,
        refusals,
        htmlFile: values.html,
        subscribersFile: values.subscribers!,
        eventsFile: values.events!,
        ...(values.mapping !== undefined && { mappingFile: values.mapping }),
      });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(
      `replay: ${plural(report.eventsRead, 'event')} read, ${report.eventsApplied.toLocaleString('en')} applied, ${plural(report.duplicates, 'duplicate')}, ` +
        `${report.rejected.length.toLocaleString('en')} rejected, in ${seconds.toFixed(1)} s; report written to ${values.report}` +
        `${values.html !== undefined ? `, page to ${values.html}` : ''}\n`,
    );
  } catch (e: unknown) {
    if (e instanceof InputFileError) fail(e.message, 1);
    fail(`failed: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
}

function fail(message: string, code: number): never {
  process.stderr.write(`replay: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(code);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
