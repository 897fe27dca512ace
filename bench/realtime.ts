/**
 * The real-time path, measured on this machine:
 *
 * 1. Update latency: the SMF simulator sends Nchf_ConvergedCharging updates (a used-unit report and a new
 *    quota request) at a fixed rate, open loop, over HTTP/2 (h2c) to the local server, which runs the real
 *    use case on dynalite and puts the usage on kinesalite. Latency is the SMF's, request sent to answer read.
 *
 * 2. Leakage: the same roaming traffic (subscribers streaming in Switzerland past their EUR 50 cap) on the
 *    two paths. Post-event: usage records reach the pipeline 15 minutes after the usage (a mediation file),
 *    the bar takes effect when the crossing record is counted, and everything used until then is charged
 *    and written off; modelled with the pipeline's own rating and capping functions (rateUsage, applyRated).
 *    Quota: the SMF simulator asks for quota before each use over HTTP/2, uses what it is granted and stops
 *    when refused; its usage goes through the stream to the real ingest, and the written-off charge is read
 *    from the counters.
 */
import { performance } from 'node:perf_hooks';
import { createHandler as createIngestHandler, withLedger } from '../functions/ingest-events/handler.js';
import { startEmulators } from '../local/emulators.js';
import { startRealtimeServer } from '../local/realtime-server.js';
import { SmfSimulator, type SimulatedSession } from '../local/sbi-simulator.js';
import { StreamPoller } from '../local/stream-poller.js';
import { createDynamoClient, documentClientOf } from '../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo-usage-store.js';
import { DEFAULT_SETTINGS } from '../shared/config/settings.js';
import { applyRated, emptyCounters } from '../shared/domain/counters.js';
import type { PolicySettings, SubscriberProfile, UsageEvent } from '../shared/domain/model.js';
import { billingPeriodOf } from '../shared/domain/periods.js';
import { rateUsage } from '../shared/domain/rating.js';
import { parseSubscriberProfile } from '../shared/domain/subscriber-schema.js';
import { MemoryQuarantine, RecordingWorkflowStarter } from '../test/support/ingest-harness.js';
import { summarize, type Summary } from './stats.js';

export interface RealtimeBenchOptions {
  /** Updates per second sent by the SMF simulator. */
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** PDU sessions the updates are spread over (one outstanding invocation per session, as an SMF does). */
  readonly sessions: number;
  /** Roaming subscribers in the leakage comparison. */
  readonly leakageSubscribers: number;
  /** @default 15 minutes */
  readonly feedDelayMinutes?: number;
}

export interface LeakageFigures {
  readonly subscribers: number;
  readonly capEur: number;
  readonly demandMbPerSubscriber: number;
  readonly mbPerMinute: number;
  readonly priceEurPerMb: number;
  readonly feedDelayMinutes: number;
  /** Written off (used past the cap, never billed) on each path, EUR, all subscribers. */
  readonly postEventLeakageEur: number;
  readonly quotaLeakageEur: number;
  readonly postEventChargedEur: number;
  readonly quotaChargedEur: number;
  readonly quotaRequests: number;
}

export interface RealtimeFigures {
  readonly transport: 'HTTP/2 h2c (node:http2), local server, dynalite + kinesalite';
  readonly targetRatePerSecond: number;
  readonly achievedRatePerSecond: number;
  readonly requests: number;
  readonly failures: number;
  readonly sessions: number;
  readonly latencyMs: Summary;
  /** CPU of this process per answered update: SMF, server, use case and the embedded DynamoDB and Kinesis. */
  readonly cpuMsPerUpdate: number;
  readonly leakage: LeakageFigures;
}

const MB = 1_000_000;
const CAP_MICROS = 50_000_000;
const SWISS = '22801';

function profileOf(subscriberId: string, capMicros = CAP_MICROS): SubscriberProfile {
  const parsed = parseSubscriberProfile({ subscriberId, msisdn: `+336${subscriberId.slice(-8)}`, plan: { dataAllowanceBytes: 0 }, roamingCap: { limitMicros: capMicros } });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

/**
 * The post-event path: usage in 1 MB records, one a minute from `startMs`; a record is counted `delay`
 * after its usage; the bar holds from the moment the counted charge reaches the cap; the network refuses
 * usage from then on. Returns the written-off and total charges (micros).
 */
export function postEventLeakage(profile: SubscriberProfile, settings: PolicySettings, demandMb: number, mbPerMinute: number, delayMs: number): { writtenOffMicros: number; chargeMicros: number } {
  const minuteMs = 60_000 / mbPerMinute;
  const start = Date.parse('2026-09-10T08:00:00Z');
  let counters = emptyCounters(profile.subscriberId, '2026-09-01');
  let barAt = Infinity;
  let countedCharge = 0;
  const context = { homePlmn: settings.homePlmn, allowanceRemainingBytes: 0, tariff: settings.tariff };
  // Charges as counted, in the order they are counted (usage time + delay): when the cap is reached in
  // counted charge, the bar takes effect.
  const usageTimes: number[] = [];
  for (let i = 0; i < demandMb; i++) usageTimes.push(start + i * minuteMs);
  for (const t of usageTimes) {
    if (t >= barAt) break;
    const event: UsageEvent = { type: 'usage', recordId: `pe-${t}`, subscriberId: profile.subscriberId, eventTime: new Date(t).toISOString(), service: 'data', volumeBytes: MB, servingPlmn: SWISS, currency: 'EUR' };
    const rated = rateUsage(event, context);
    counters = applyRated(counters, rated, profile);
    countedCharge += rated.chargeMicros;
    if (countedCharge >= profile.roamingCap.limitMicros && barAt === Infinity) barAt = t + delayMs;
  }
  return { writtenOffMicros: counters.roaming.writtenOffMicros, chargeMicros: counters.roaming.chargeMicros };
}

export async function runRealtimeBenchmark(options: RealtimeBenchOptions): Promise<RealtimeFigures> {
  const emulators = await startEmulators({ env: { ...process.env } });
  const documents = documentClientOf(
    createDynamoClient({ endpoint: emulators.dynamoEndpoint, region: emulators.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const profiles = new DynamoProfileStore({ client: documents, tableName: emulators.tableNames.profiles });
  const settings = DEFAULT_SETTINGS;
  const server = await startRealtimeServer({
    runtime: { documents, settings, emulators },
    settings: { defaultGrantBytes: 10 * MB, maxGrantBytes: 10 * MB },
  });
  const poller = new StreamPoller({
    kinesis: emulators.kinesis,
    streamName: emulators.streamName,
    region: emulators.region,
    handler: createIngestHandler({
      ...withLedger(new DynamoUsageStore({ client: documents, tableName: emulators.tableNames.usage })),
      profiles,
      quarantine: new MemoryQuarantine(),
      workflows: new RecordingWorkflowStarter(),
      settings,
    }),
    idlePollMs: 50,
  });
  const smf = await new SmfSimulator(server.url).start();
  try {
    // ---- 1. latency at a stated rate -------------------------------------------------------------
    // Caps high enough that no session is refused: the figure is the grant path's.
    const latencySubscribers = Math.max(1, Math.ceil(options.sessions / 4));
    for (let i = 0; i < latencySubscribers; i++) await profiles.put(profileOf(`20801900${String(i).padStart(7, '0')}`, 1_000_000_000_000));
    const sessions: SimulatedSession[] = [];
    for (let i = 0; i < options.sessions; i++) {
      const opened = await smf.openSession({ supi: `imsi-20801900${String(i % latencySubscribers).padStart(7, '0')}`, servingPlmn: SWISS, requestedBytes: MB, chargingId: 10_000 + i });
      if (opened.session === undefined) throw new Error(`bench: session ${i} not opened (${opened.answer.status})`);
      sessions.push(opened.session);
    }
    const free = [...sessions];
    const latencies: number[] = [];
    let failures = 0;
    const total = Math.round(options.ratePerSecond * options.durationSeconds);
    const intervalMs = 1000 / options.ratePerSecond;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const inFlight: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = started + n * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const session = free.shift();
      if (session === undefined) {
        // Every session busy: the request cannot be sent on time, which is what the figure must show.
        failures += 1;
        continue;
      }
      const sent = performance.now();
      inFlight.push(
        session
          .update(session.granted, MB)
          .then((answer) => {
            if (answer.status === 200) latencies.push(performance.now() - sent);
            else failures += 1;
          })
          .catch(() => {
            failures += 1;
          })
          .finally(() => free.push(session)),
      );
    }
    await Promise.all(inFlight);
    const elapsedSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    // ---- 2. leakage: post-event (15 min feed delay) versus quota --------------------------------
    const delayMinutes = options.feedDelayMinutes ?? 15;
    const demandMb = 200;
    const mbPerMinute = 1;
    let postWrittenOff = 0;
    let postCharged = 0;
    const roamers: SubscriberProfile[] = [];
    for (let i = 0; i < options.leakageSubscribers; i++) {
      const profile = profileOf(`20801800${String(i).padStart(7, '0')}`);
      roamers.push(profile);
      await profiles.put(profile);
      const post = postEventLeakage(profile, settings, demandMb, mbPerMinute, delayMinutes * 60_000);
      postWrittenOff += post.writtenOffMicros;
      postCharged += post.chargeMicros;
    }
    let quotaRequests = 0;
    const leakageStarted = new Date();
    await Promise.all(
      roamers.map(async (profile) => {
        const opened = await smf.openSession({ supi: `imsi-${profile.subscriberId}`, servingPlmn: SWISS, chargingId: 1 });
        quotaRequests += 1;
        const session = opened.session;
        if (session === undefined) throw new Error('bench: roaming session not opened');
        // The subscriber wants `demandMb`; the SMF lets through only what is granted.
        let wanted = demandMb * MB;
        while (session.granted > 0 && wanted > 0) {
          const used = Math.min(session.granted, wanted);
          wanted -= used;
          await session.update(used, 10 * MB);
          quotaRequests += 1;
        }
        await session.release(0);
        quotaRequests += 1;
      }),
    );
    await poller.start('TRIM_HORIZON');
    await poller.drain();
    const usage = new DynamoUsageStore({ client: documents, tableName: emulators.tableNames.usage });
    let quotaWrittenOff = 0;
    let quotaCharged = 0;
    for (const profile of roamers) {
      const stored = await usage.load(profile.subscriberId, periodsSince(leakageStarted, profile));
      for (const c of stored.counters.values()) {
        quotaWrittenOff += c.counters.roaming.writtenOffMicros;
        quotaCharged += c.counters.roaming.chargeMicros;
      }
    }
    await poller.stop();

    return {
      transport: 'HTTP/2 h2c (node:http2), local server, dynalite + kinesalite',
      targetRatePerSecond: options.ratePerSecond,
      achievedRatePerSecond: latencies.length / elapsedSeconds,
      requests: latencies.length,
      failures,
      sessions: options.sessions,
      latencyMs: summarize(latencies.length > 0 ? latencies : [0]),
      cpuMsPerUpdate: latencies.length > 0 ? (cpu.user + cpu.system) / 1000 / latencies.length : 0,
      leakage: {
        subscribers: options.leakageSubscribers,
        capEur: CAP_MICROS / 1e6,
        demandMbPerSubscriber: demandMb,
        mbPerMinute,
        priceEurPerMb: (settings.tariff.worldZones.find((z) => z.mccs.includes('228'))?.prices.dataPerMbMicros ?? 0) / 1e6,
        feedDelayMinutes: delayMinutes,
        postEventLeakageEur: postWrittenOff / 1e6,
        quotaLeakageEur: quotaWrittenOff / 1e6,
        postEventChargedEur: postCharged / 1e6,
        quotaChargedEur: quotaCharged / 1e6,
        quotaRequests,
      },
    };
  } finally {
    await smf.stop();
    await server.close();
    await emulators.stop();
  }
}

/** The billing periods from `since` to now: the charging function dates usage with the wall clock. */
function periodsSince(since: Date, profile: SubscriberProfile): string[] {
  return [...new Set([billingPeriodOf(since, profile.plan).id, billingPeriodOf(new Date(), profile.plan).id])];
}
