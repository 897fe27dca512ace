/**
 * Deterministic ingest workloads: Kinesis-shaped batches with a chosen number of events per subscriber
 * per batch, the way the Lambda event source mapping delivers them (one shard, records of different
 * subscribers interleaved, each subscriber's own events in order), plus carrier duplicates.
 *
 * Traffic shape (stated in docs/benchmarks.md): 90% of subscribers at home, 10% roaming on one visited
 * network for the whole run (EU roam-like-at-home or Switzerland), announced by one attach event; usage is
 * 85% data, 10% voice, 5% SMS; a third of the records carry a carrier-rated charge. A carrier duplicate is
 * the same payload as an earlier event of the same subscriber, sent again under a new sequence number.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { SubscriberProfile } from '../shared/domain/model.js';
import { parseSubscriberProfile } from '../shared/domain/subscriber-schema.js';
import { kinesisRecord, localStreamArn } from '../local/kinesis-event.js';
import { seededRandom } from '../local/generate-traffic.js';

export interface WorkloadOptions {
  /** Events per subscriber in each batch (1, 10, 100 in the benchmark). */
  readonly eventsPerSubscriberPerBatch: number;
  /** Records per invocation (the event source mapping's batch size). */
  readonly batchSize: number;
  readonly batches: number;
  /** Share of records that are carrier duplicates (0.01 = one in a hundred), spread evenly (a subscriber's first event is never one). */
  readonly duplicateRate: number;
  /** Distinct subscribers = subscribers per batch x this (they come back every `rotation` batches). */
  readonly rotation?: number;
  /** Makes ids unique across workloads that share a store. */
  readonly idPrefix?: string;
  readonly seed?: number;
  readonly shardId?: string;
}

export interface Workload {
  readonly profiles: readonly SubscriberProfile[];
  readonly batches: readonly KinesisStreamEvent[];
  readonly records: number;
  readonly duplicates: number;
  /** Events that are not duplicates: what the counters must end up holding. */
  readonly uniqueEvents: number;
  /** Sum of the JSON payload sizes (bytes). */
  readonly payloadBytes: number;
}

export const BENCH_REGION = 'eu-west-3';
export const BENCH_STREAM = 'spendcap-bench';
const HOME_PLMN = '20801';
const VISITED = ['21407', '26201', '22210', '22801'] as const;

/** Fixed-width decimal sequence numbers (no leading zero), so that they order as Kinesis ones do. */
export function sequenceNumberOf(n: number): string {
  return `4${String(n).padStart(29, '0')}`;
}

export function benchProfile(subscriberId: string, index: number): SubscriberProfile {
  const parsed = parseSubscriberProfile({
    subscriberId,
    msisdn: `+336${String(10_000_000 + index).slice(-8)}`,
    homePlmn: HOME_PLMN,
    plan: { dataAllowanceBytes: 20_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  });
  if (!parsed.ok) throw new Error(`bench profile invalid: ${parsed.reason}`);
  return parsed.value;
}

export function buildWorkload(options: WorkloadOptions): Workload {
  const k = options.eventsPerSubscriberPerBatch;
  if (!Number.isInteger(k) || k < 1) throw new Error(`eventsPerSubscriberPerBatch: must be an integer >= 1, got ${k}`);
  if (options.batchSize % k !== 0) throw new Error(`batchSize: must be a multiple of eventsPerSubscriberPerBatch (${k})`);
  const rnd = seededRandom(options.seed ?? 7);
  const prefix = options.idPrefix ?? 'b';
  const shardId = options.shardId ?? 'shardId-000000000000';
  const source = { region: BENCH_REGION, streamArn: localStreamArn(BENCH_REGION, BENCH_STREAM) };
  const perBatch = options.batchSize / k;
  const rotation = options.rotation ?? 2;
  const subscriberCount = perBatch * rotation;

  const profiles: SubscriberProfile[] = [];
  const serving: string[] = [];
  for (let i = 0; i < subscriberCount; i++) {
    profiles.push(benchProfile(`${prefix}${String(i).padStart(10, '0')}`, i));
    serving.push(i % 10 === 9 ? (VISITED[i % VISITED.length] as string) : HOME_PLMN);
  }
  const previous = new Map<string, string>();
  const attached = new Set<string>();
  const start = Date.parse('2026-09-02T00:00:00Z');
  let sequence = 1;
  let eventNo = 0;
  let records = 0;
  let duplicates = 0;
  let sinceDuplicate = 0;
  let payloadBytes = 0;
  const batches: KinesisStreamEvent[] = [];
  const dupEvery = options.duplicateRate > 0 ? Math.round(1 / options.duplicateRate) : 0;

  for (let b = 0; b < options.batches; b++) {
    const group = profiles.slice((b % rotation) * perBatch, (b % rotation + 1) * perBatch);
    const perSubscriber: string[][] = group.map(() => []);
    group.forEach((profile, s) => {
      const id = profile.subscriberId;
      const plmn = serving[(b % rotation) * perBatch + s] as string;
      for (let e = 0; e < k; e++) {
        const prior = previous.get(id);
        sinceDuplicate++;
        if (dupEvery > 0 && sinceDuplicate >= dupEvery && prior !== undefined) {
          perSubscriber[s]?.push(prior);
          duplicates++;
          sinceDuplicate = 0;
          continue;
        }
        // Whole run inside one billing period (September 2026), time moving forward batch by batch.
        const time = new Date(start + b * 60_000 + e * 50).toISOString();
        eventNo++;
        let payload: string;
        if (plmn !== HOME_PLMN && !attached.has(id)) {
          attached.add(id);
          payload = JSON.stringify({ type: 'attach', eventId: `${prefix}a${eventNo}`, subscriberId: id, eventTime: time, servingPlmn: plmn });
        } else {
          const roll = rnd();
          const service = roll < 0.85 ? 'data' : roll < 0.95 ? 'voice' : 'sms';
          const event: Record<string, unknown> = { recordId: `${prefix}r${eventNo}`, subscriberId: id, eventTime: time, service, servingPlmn: plmn };
          if (service === 'data') event.volumeBytes = 100_000 + Math.floor(rnd() * 2_000_000);
          if (service === 'voice') event.durationSeconds = 1 + Math.floor(rnd() * 300);
          if (service === 'sms') event.count = 1;
          if (rnd() < 1 / 3) event.chargeMicros = Math.floor(rnd() * 20_000);
          payload = JSON.stringify(event);
        }
        previous.set(id, payload);
        perSubscriber[s]?.push(payload);
      }
    });
    // Interleave subscribers the way a shard does: one event of each in turn.
    const lambdaRecords: KinesisStreamRecord[] = [];
    // The batch reaches the stream a second after its last event: ingest refuses records that arrive
    // long after their eventTime (older than the duplicate window) or before it.
    const arrival = start + b * 60_000 + k * 50 + 1_000;
    for (let e = 0; e < k; e++) {
      perSubscriber.forEach((payloads, s) => {
        const payload = payloads[e];
        const profile = group[s];
        if (payload === undefined || profile === undefined) return;
        payloadBytes += Buffer.byteLength(payload, 'utf8');
        lambdaRecords.push(
          kinesisRecord(source, {
            shardId,
            sequenceNumber: sequenceNumberOf(sequence++),
            partitionKey: profile.subscriberId,
            data: payload,
            arrival,
          }),
        );
      });
    }
    records += lambdaRecords.length;
    batches.push({ Records: lambdaRecords });
  }
  return { profiles, batches, records, duplicates, uniqueEvents: records - duplicates, payloadBytes };
}
