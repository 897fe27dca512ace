/**
 * Ingest CPU on one core: the real ingest handler (createHandler of functions/ingest-events: base64
 * decode, validation, rating and periods, applyEvents, the exactly-once bookkeeping of shared/ingest) with
 * storage stubbed by StubUsageStore (test/support/ingest-harness.ts) (latest counters kept, claims accepted and not kept: a carrier duplicate
 * is caught within its batch only), profiles from a map and workflow starts counted. Nothing here does
 * I/O: the main thread's CPU time is the figure (wall time also reported; on a shared machine it
 * includes the moments other processes had the core).
 *
 * Also measured on their own, to show where the time goes: decode + validate (parseCarrierEventJson)
 * and rate + aggregate (applyEvents over the batch's events per subscriber).
 */
import { performance } from 'node:perf_hooks';
import type { CarrierEvent, PolicySettings, SubscriberProfile } from '../shared/domain/model.js';
import { emptyCounters } from '../shared/domain/counters.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import { billingPeriodOf } from '../shared/domain/periods.js';
import { applyEvents } from '../shared/domain/usage.js';
import { measureIngestCpu, StubUsageStore } from '../test/support/ingest-harness.js';
import { createHandler, withLedger } from '../functions/ingest-events/handler.js';
import { measureInLambdaMode, type LambdaModeFigures } from './cpu-lambda-mode.js';
import { RecordingQuarantine } from '../local/recording-quarantine.js';
import { CountingWorkflows, MapProfiles } from './fakes.js';
import { mainThreadCpuSeconds } from './thread-cpu.js';
import { percentile } from './stats.js';
import { buildWorkload, type Workload } from './workload.js';

export interface CpuOptions {
  readonly batches: number;
  readonly warmupBatches: number;
  readonly batchSize: number;
  readonly eventsPerSubscriberPerBatch: number;
  readonly duplicateRate: number;
  readonly settings: PolicySettings;
}

export interface CpuFigures {
  /** Full handler, storage stubbed, by wall time (median of the rounds). */
  readonly eventsPerSecond: number;
  /** The same by CPU time of the main thread: what one core does, whatever else runs on the machine (median of the rounds). */
  readonly eventsPerCpuSecond: number;
  /** Each round's events per main-thread CPU-second (`FULL_HANDLER_ROUNDS` rounds), to show the spread. */
  readonly roundsEventsPerCpuSecond: readonly number[];
  /** Share of the wall time the event loop was busy (below 1: the process waited for a CPU or a timer). */
  readonly eventLoopUtilization: number;
  /** Every record counted once, as applied or duplicate, and no version conflict. */
  readonly verified: boolean;
  readonly events: number;
  readonly seconds: number;
  /** CPU time of the main thread over the same span (10 ms resolution; the process's where /proc is missing). */
  readonly cpuSeconds: number;
  /** CPU time of the whole process (GC and JIT helper threads included). */
  readonly processCpuSeconds: number;
  readonly eventsPerSubscriberPerBatch: number;
  readonly batchSize: number;
  /** base64 decode + JSON.parse + zod validation alone (main-thread CPU time). */
  readonly decodeValidateEventsPerSecond: number;
  /** billingPeriodOf + applyEvents (rating, counters, thresholds) alone, per subscriber group (main-thread CPU time). */
  readonly rateAggregateEventsPerSecond: number;
  readonly what: string;
  /**
   * The full handler again in a process whose X-Ray SDK runs in automatic mode, as in Lambda: its async hook
   * follows every promise. The headline figure runs in manual mode, like the local runtime.
   */
  readonly inLambdaMode: LambdaModeFigures;
  readonly crossCheck: { readonly helper: string; readonly eventsPerCpuSecond: number; readonly eventsPerSecond: number; readonly events: number };
}

interface Timing {
  readonly seconds: number;
  /** Main-thread CPU seconds (Linux), else the whole process's. */
  readonly cpuSeconds: number;
  readonly processCpuSeconds: number;
}

function measure(run: () => Promise<void> | void): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const thread0 = mainThreadCpuSeconds();
  const t0 = performance.now();
  return Promise.resolve(run()).then(() => {
    const seconds = (performance.now() - t0) / 1_000;
    const cpu = process.cpuUsage(cpu0);
    const thread1 = mainThreadCpuSeconds();
    const processCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const cpuSeconds = thread0 !== undefined && thread1 !== undefined ? thread1 - thread0 : processCpuSeconds;
    return { seconds, cpuSeconds, processCpuSeconds };
  });
}

function decodedBatches(workload: Workload): string[][] {
  return workload.batches.map((b) => b.Records.map((r) => r.kinesis.data));
}

/** Rounds of the full handler in one run: one round strays by a third (a major GC in it or not), their median less. */
export const FULL_HANDLER_ROUNDS = 5;

/**
 * The full handler over the timed workload, `FULL_HANDLER_ROUNDS` times, each round on a fresh handler and
 * store warmed up first (a warm Lambda container): the headline figures are the rounds' medians.
 */
export async function runFullHandler(options: CpuOptions): Promise<{
  readonly workload: Workload;
  readonly warmup: Workload;
  readonly eventLoopUtilization: number;
  readonly verified: boolean;
  readonly eventsPerSecond: number;
  readonly eventsPerCpuSecond: number;
  /** Each round's events per main-thread CPU-second, in the order run. */
  readonly roundsEventsPerCpuSecond: number[];
  readonly cpuSeconds: number;
  readonly seconds: number;
  readonly processCpuSeconds: number;
}> {
  const shape = {
    eventsPerSubscriberPerBatch: options.eventsPerSubscriberPerBatch,
    batchSize: options.batchSize,
    duplicateRate: options.duplicateRate,
  };
  const warmup = buildWorkload({ ...shape, batches: options.warmupBatches, idPrefix: 'w', seed: 11 });
  const workload = buildWorkload({ ...shape, batches: options.batches, idPrefix: 'c', seed: 13 });
  const rounds: Array<{ timing: Timing; utilization: number; verified: boolean }> = [];
  for (let round = 0; round < FULL_HANDLER_ROUNDS; round++) {
    const totals = { applied: 0, duplicates: 0, conflicts: 0 };
    const handler = createHandler({
      ...withLedger(new StubUsageStore()),
      profiles: new MapProfiles([...warmup.profiles, ...workload.profiles]),
      quarantine: new RecordingQuarantine(false),
      workflows: new CountingWorkflows(),
      settings: options.settings,
      onBatch: ({ stats }) => {
        totals.applied += stats.applied;
        totals.duplicates += stats.duplicates;
        totals.conflicts += stats.conflicts;
      },
    });
    for (const batch of warmup.batches) await handler(batch);
    totals.applied = 0;
    totals.duplicates = 0;
    totals.conflicts = 0;
    const elu0 = performance.eventLoopUtilization();
    const timing = await measure(async () => {
      for (const batch of workload.batches) await handler(batch);
    });
    rounds.push({
      timing,
      utilization: performance.eventLoopUtilization(elu0).utilization,
      verified: totals.applied + totals.duplicates === workload.records && totals.conflicts === 0,
    });
  }
  const median = (values: readonly number[]): number => percentile(values, 50);
  return {
    workload,
    warmup,
    eventLoopUtilization: median(rounds.map((r) => r.utilization)),
    verified: rounds.every((r) => r.verified),
    eventsPerSecond: median(rounds.map((r) => workload.records / r.timing.seconds)),
    eventsPerCpuSecond: median(rounds.map((r) => workload.records / r.timing.cpuSeconds)),
    roundsEventsPerCpuSecond: rounds.map((r) => workload.records / r.timing.cpuSeconds),
    cpuSeconds: median(rounds.map((r) => r.timing.cpuSeconds)),
    seconds: median(rounds.map((r) => r.timing.seconds)),
    processCpuSeconds: median(rounds.map((r) => r.timing.processCpuSeconds)),
  };
}

export async function runCpuBenchmark(options: CpuOptions): Promise<CpuFigures> {
  const full = await runFullHandler(options);
  const { workload, warmup } = full;

  // Decode + validate alone, over the same payloads.
  const payloads = decodedBatches(workload);
  let sink = 0;
  for (const batch of decodedBatches(warmup)) for (const data of batch) sink += parseCarrierEventJson(Buffer.from(data, 'base64').toString('utf8')).ok ? 1 : 0;
  const decode = await measure(() => {
    for (const batch of payloads) for (const data of batch) sink += parseCarrierEventJson(Buffer.from(data, 'base64').toString('utf8')).ok ? 1 : 0;
  });

  // Rate + aggregate alone: the events already parsed and grouped, counters kept between batches.
  const profiles = new Map<string, SubscriberProfile>(workload.profiles.map((p) => [p.subscriberId, p]));
  const groups = payloads.map((batch) => {
    const bySubscriber = new Map<string, CarrierEvent[]>();
    for (const data of batch) {
      const parsed = parseCarrierEventJson(Buffer.from(data, 'base64').toString('utf8'));
      if (!parsed.ok) continue;
      const list = bySubscriber.get(parsed.value.subscriberId);
      if (list === undefined) bySubscriber.set(parsed.value.subscriberId, [parsed.value]);
      else list.push(parsed.value);
    }
    return bySubscriber;
  });
  const state = new Map<string, { counters: Map<string, ReturnType<typeof emptyCounters>>; servingMcc?: string }>();
  const aggregate = await measure(() => {
    for (const bySubscriber of groups) {
      for (const [subscriberId, events] of bySubscriber) {
        const profile = profiles.get(subscriberId);
        if (profile === undefined) continue;
        const current = state.get(subscriberId) ?? { counters: new Map() };
        for (const e of events) {
          const period = billingPeriodOf(e.eventTime, profile.plan).id;
          if (!current.counters.has(period)) current.counters.set(period, emptyCounters(subscriberId, period));
        }
        const applied = applyEvents(current, events.map((event) => ({ event })), profile, options.settings);
        for (const [period, counters] of applied.counters) current.counters.set(period, counters);
        const next: { counters: Map<string, ReturnType<typeof emptyCounters>>; servingMcc?: string } = { counters: current.counters };
        if (applied.servingMcc !== undefined) next.servingMcc = applied.servingMcc;
        state.set(subscriberId, next);
        sink += applied.requests.length;
      }
    }
  });
  if (sink < 0) throw new Error('unreachable: keeps the measured loops from being optimised away');
  // The ingest harness's own measurement (measureIngestCpu), as a cross-check on its simpler traffic.
  const f = await measureIngestCpu({ events: workload.records, eventsPerSubscriberPerBatch: options.eventsPerSubscriberPerBatch });
  // The headline again, with the X-Ray SDK's async hook on as in Lambda (a child process: it cannot be turned off).
  const lambda = measureInLambdaMode(options);

  return {
    eventsPerSecond: full.eventsPerSecond,
    eventsPerCpuSecond: full.eventsPerCpuSecond,
    roundsEventsPerCpuSecond: full.roundsEventsPerCpuSecond,
    eventLoopUtilization: full.eventLoopUtilization,
    verified: full.verified,
    events: workload.records,
    seconds: full.seconds,
    cpuSeconds: full.cpuSeconds,
    processCpuSeconds: full.processCpuSeconds,
    eventsPerSubscriberPerBatch: options.eventsPerSubscriberPerBatch,
    batchSize: options.batchSize,
    decodeValidateEventsPerSecond: workload.records / decode.cpuSeconds,
    rateAggregateEventsPerSecond: workload.records / aggregate.cpuSeconds,
    what: 'functions/ingest-events/handler.ts createHandler with test/support/ingest-harness.ts StubUsageStore, profiles from a map, workflow starts counted',
    inLambdaMode: lambda,
    crossCheck: {
      helper: 'test/support/ingest-harness.ts measureIngestCpu (home data only, 100-record batches)',
      eventsPerCpuSecond: f.eventsPerCpuSecond,
      eventsPerSecond: f.eventsPerSecond,
      events: f.events,
    },
  };
}
