/**
 * Measuring ingest, and the pieces its tests share: an in-process dynalite with the usage and profile
 * tables, Kinesis-shaped events, a recording workflow starter (deduplicates by execution name like Step
 * Functions, and counts raw calls) and an in-memory quarantine.
 *
 * `measureIngest` runs the real handler against dynalite and reports DynamoDB write units per event for
 * a given number of events per subscriber per batch; `measureIngestCpu` times the use case with storage
 * stubbed (`StubUsageStore`). Both are for bench/ (npm run bench) and the tests; nothing here runs in Lambda
 * (dynalite is loaded lazily, and only from here).
 *
 * CPU figures: prefer `eventsPerCpuSecond` on a shared machine. A process that has loaded the Powertools
 * tracer without AWS_XRAY_MANUAL_MODE=true pays an async hook on every promise (about 15% here); the
 * local runtime sets it, and so should a benchmark that loads the handlers before measuring CPU.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { startTestTables } from './dynalite.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { CarrierEvent, PolicySettings, SubscriberProfile } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import type { ProfileLookup, ProfileStore } from '../../shared/ports/profile-store.js';
import type {
  ClaimsOutcome,
  EventClaims,
  CountersWrite,
  FailureLedger,
  HoldOutcome,
  StoredCounters,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../../shared/ports/usage-store.js';
import type { Quarantine, RejectedInput } from '../../shared/ports/quarantine.js';
import { emptyStats, ingestBatch, type IngestStats, type StreamRecord } from '../../shared/ingest/ingest-batch.js';

// ---------------------------------------------------------------------------------------------------
// Local tables

export interface LocalTables {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** dynalite in this process on a free port, with the tables of tables.ts (the one test fixture). */
export async function startLocalTables(): Promise<LocalTables> {
  const db = await startTestTables();
  return {
    client: db.client,
    documents: db.documents,
    usageTable: db.tableNames.usage,
    profilesTable: db.tableNames.profiles,
    endpoint: db.endpoint,
    stop: () => db.stop(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Stream records

export interface StreamInput {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** An event (serialized as JSON) or a raw payload. */
  readonly payload: CarrierEvent | string;
  readonly partitionKey?: string;
  /** Epoch seconds. Default: a second after the event's own time (delivered in real time, nothing late). */
  readonly arrivalTime?: number;
}

/** When a record arrives unless a test says otherwise: just after its usage. */
function arrivalOf(input: StreamInput): number {
  if (input.arrivalTime !== undefined) return input.arrivalTime;
  const eventMs = typeof input.payload === 'string' ? Number.NaN : Date.parse(input.payload.eventTime);
  return Number.isNaN(eventMs) ? 1_790_000_000 : eventMs / 1000 + 1;
}

/** A Kinesis sequence number of the usual 56 digits, ordered like `n`. */
export function sequenceNumberOf(n: number): string {
  return `4959${String(n).padStart(52, '0')}`;
}

export function kinesisEventOf(inputs: readonly StreamInput[]): KinesisStreamEvent {
  return {
    Records: inputs.map((input): KinesisStreamRecord => {
      const text = typeof input.payload === 'string' ? input.payload : JSON.stringify(input.payload);
      const partitionKey = input.partitionKey ?? (typeof input.payload === 'string' ? 'unknown' : input.payload.subscriberId);
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey,
          sequenceNumber: input.sequenceNumber,
          data: Buffer.from(text, 'utf8').toString('base64'),
          approximateArrivalTimestamp: arrivalOf(input),
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${input.shardId}:${input.sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/ingest',
        awsRegion: 'eu-west-3',
        eventSourceARN: 'arn:aws:kinesis:eu-west-3:000000000000:stream/usage',
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Recording adapters

/** Like Step Functions: a second start with an execution name already used does nothing. */
export class RecordingWorkflowStarter implements PolicyWorkflowStarter {
  /** Every start call, duplicates included. */
  rawStarts = 0;
  /** One per distinct execution name, in first-start order. */
  readonly executions: PolicyRequest[] = [];
  private readonly names = new Set<string>();

  async start(requests: readonly PolicyRequest[]): Promise<void> {
    for (const request of requests) {
      this.rawStarts += 1;
      const name = executionNameOf(request);
      if (this.names.has(name)) continue;
      this.names.add(name);
      this.executions.push(request);
    }
  }
}

export class MemoryQuarantine implements Quarantine {
  readonly items: RejectedInput[] = [];
  async reject(items: readonly RejectedInput[]): Promise<void> {
    this.items.push(...items);
  }
}

export class MemoryProfiles implements Pick<ProfileStore, 'getMany'> {
  reads = 0;
  /** Stored profiles that no longer validate, by id, with their reason. */
  readonly unusable = new Map<string, string>();
  constructor(private readonly profiles: ReadonlyMap<string, SubscriberProfile>) {}
  async getMany(ids: readonly string[]): Promise<ProfileLookup> {
    this.reads += 1;
    const found = new Map<string, SubscriberProfile>();
    const unusable = new Map<string, string>();
    for (const id of ids) {
      const profile = this.profiles.get(id);
      const reason = this.unusable.get(id);
      if (reason !== undefined) unusable.set(id, reason);
      else if (profile !== undefined) found.set(id, profile);
    }
    return { profiles: found, unusable };
  }
}

/**
 * Storage stubbed for the CPU measurement: keeps only the latest counters of each subscriber (so the
 * use case does its real work on real state) and accepts every claim without keeping it, so that the
 * measurement is not a measurement of a growing in-memory table and its garbage collection.
 */
export class StubUsageStore implements UsageStore, FailureLedger {
  private readonly latest = new Map<string, Map<string, StoredCounters>>();

  async load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage> {
    const known = this.latest.get(subscriberId);
    const counters = new Map<string, StoredCounters>();
    for (const period of periods) {
      const stored = known?.get(period);
      if (stored !== undefined) counters.set(period, stored);
    }
    return { counters, state: { version: 0, applied: {}, pending: [] } };
  }

  async claim(claims: EventClaims): Promise<ClaimsOutcome> {
    return { saved: true, results: claims.keys.map(() => ({ claimed: true })), writeUnits: 1 };
  }

  async saveCounters(write: CountersWrite): Promise<WriteOutcome> {
    let known = this.latest.get(write.counters.subscriberId);
    if (known === undefined) this.latest.set(write.counters.subscriberId, (known = new Map()));
    known.set(write.counters.period, {
      counters: write.counters,
      version: write.expectedVersion + 1,
      applied: write.applied,
      pending: write.pending,
    });
    return { saved: true, writeUnits: 1 };
  }

  async saveState(): Promise<WriteOutcome> {
    return { saved: true, writeUnits: 1 };
  }

  async clearOutbox(): Promise<WriteOutcome> {
    return { saved: true, writeUnits: 1 };
  }

  async readClaim(): Promise<undefined> {
    return undefined;
  }

  async holdForRedrive(): Promise<HoldOutcome> {
    return { held: true, writeUnits: 1 };
  }

  async countFailure(): Promise<number> {
    return 1;
  }
}

function withStubLedger(store: StubUsageStore): { usage: StubUsageStore; ledger: StubUsageStore } {
  return { usage: store, ledger: store };
}

// ---------------------------------------------------------------------------------------------------
// Synthetic traffic

/** A home subscriber with a large allowance: steady-state traffic, no threshold crossed. */
export function benchProfile(subscriberId: string): SubscriberProfile {
  const parsed = parseSubscriberProfile({
    subscriberId,
    msisdn: '+33600000000',
    plan: { dataAllowanceBytes: 1_000_000_000_000 },
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function benchEvent(subscriberId: string, n: number): CarrierEvent {
  const minute = n % 40_000;
  return {
    type: 'usage',
    recordId: `${subscriberId}-r${n}`,
    subscriberId,
    eventTime: new Date(Date.UTC(2026, 8, 2) + minute * 60_000).toISOString(),
    service: 'data',
    volumeBytes: 1_000_000 + (n % 7) * 1000,
    servingPlmn: '20801',
    chargeMicros: 0,
    currency: 'EUR',
  };
}

/** Batches of `recordsPerBatch` records, `perSubscriber` consecutive events of each subscriber. */
function benchBatches(options: { perSubscriber: number; recordsPerBatch: number; batches: number; shardId: string }): {
  batches: StreamInput[][];
  subscribers: string[];
} {
  const subscribersPerBatch = Math.max(1, Math.floor(options.recordsPerBatch / options.perSubscriber));
  const subscribers = Array.from({ length: subscribersPerBatch }, (_, i) => `bench-${options.perSubscriber}-${i}`);
  const batches: StreamInput[][] = [];
  let seq = 0;
  for (let b = 0; b < options.batches; b++) {
    const batch: StreamInput[] = [];
    for (const subscriberId of subscribers) {
      for (let k = 0; k < options.perSubscriber; k++) {
        seq += 1;
        batch.push({
          shardId: options.shardId,
          sequenceNumber: sequenceNumberOf(seq),
          payload: benchEvent(subscriberId, b * options.perSubscriber + k),
        });
      }
    }
    batches.push(batch);
  }
  return { batches, subscribers };
}

// ---------------------------------------------------------------------------------------------------
// Measurements

export interface IngestMeasurement {
  readonly eventsPerSubscriberPerBatch: number;
  readonly batches: number;
  readonly events: number;
  readonly writeUnits: number;
  readonly writeUnitsPerEvent: number;
  readonly applied: number;
  readonly duplicates: number;
  readonly starts: number;
}

export interface MeasureIngestOptions {
  /** 1, 10, 100, ... events of each subscriber in each batch. */
  readonly eventsPerSubscriberPerBatch: number;
  /** Records per Lambda batch (Lambda's default batch size for Kinesis is 100). */
  readonly recordsPerBatch?: number;
  readonly batches?: number;
  /** An already running table pair (default: a fresh dynalite, stopped afterwards). */
  readonly tables?: LocalTables;
  readonly settings?: PolicySettings;
}

/**
 * DynamoDB write units per event through the real handler (claims for carrier-duplicate protection
 * included), on steady-state home traffic against dynalite, which returns ConsumedCapacity like AWS.
 */
export async function measureIngest(options: MeasureIngestOptions): Promise<IngestMeasurement> {
  const tables = options.tables ?? (await startLocalTables());
  try {
    const perSubscriber = options.eventsPerSubscriberPerBatch;
    const { batches, subscribers } = benchBatches({
      perSubscriber,
      recordsPerBatch: Math.max(options.recordsPerBatch ?? 100, perSubscriber),
      // One more batch than measured: the first establishes each subscriber's state for the period.
      batches: (options.batches ?? 3) + 1,
      shardId: `shardId-measure-${perSubscriber}-${Date.now().toString(36)}`,
    });
    const profiles = new DynamoProfileStore({ client: tables.documents, tableName: tables.profilesTable });
    for (const id of subscribers) await profiles.put(benchProfile(id));
    const totals = { writeUnits: 0, applied: 0, duplicates: 0, starts: 0, events: 0 };
    let counting = false;
    // Loaded here, not at the top: the handler brings the X-Ray SDK (through the Powertools tracer),
    // whose promise-tracking async hook would otherwise weigh on measureIngestCpu in the same process.
    const { createHandler, withLedger } = await import('../../functions/ingest-events/handler.js');
    const handler = createHandler({
      ...withLedger(new DynamoUsageStore({ client: tables.documents, tableName: tables.usageTable })),
      profiles,
      quarantine: new MemoryQuarantine(),
      workflows: new RecordingWorkflowStarter(),
      settings: options.settings ?? DEFAULT_SETTINGS,
      onBatch: (result) => {
        if (!counting) return;
        totals.writeUnits += result.stats.writeUnits;
        totals.applied += result.stats.applied;
        totals.duplicates += result.stats.duplicates;
        totals.starts += result.stats.starts;
        totals.events += result.stats.records;
      },
    });
    // Steady state: the first batch (each subscriber's first event of the period, which records where
    // its latest event is) is not measured.
    for (const [i, batch] of batches.entries()) {
      counting = i > 0;
      const response = await handler(kinesisEventOf(batch));
      if (response.batchItemFailures.length > 0) throw new Error('measureIngest: the handler failed records back');
    }
    return {
      eventsPerSubscriberPerBatch: perSubscriber,
      batches: batches.length - 1,
      events: totals.events,
      writeUnits: totals.writeUnits,
      writeUnitsPerEvent: totals.writeUnits / totals.events,
      applied: totals.applied,
      duplicates: totals.duplicates,
      starts: totals.starts,
    };
  } finally {
    if (options.tables === undefined) await tables.stop();
  }
}

export interface CpuMeasurement {
  readonly events: number;
  readonly elapsedMs: number;
  /** Events per second of wall time (sensitive to other load on the machine). */
  readonly eventsPerSecond: number;
  /** CPU time of this process (user + system) over the timed part. */
  readonly cpuMs: number;
  /** Events per second of CPU time: the one-core throughput, robust to a busy machine. */
  readonly eventsPerCpuSecond: number;
  readonly stats: IngestStats;
}

/**
 * Events per second of the use case on this core with storage stubbed (in memory, no I/O): decode,
 * validate, group, claim and version bookkeeping, period lookup, rating, counters, thresholds.
 */
export async function measureIngestCpu(
  options: { events?: number; eventsPerSubscriberPerBatch?: number; warmupEvents?: number } = {},
): Promise<CpuMeasurement> {
  const perSubscriber = options.eventsPerSubscriberPerBatch ?? 10;
  const total = options.events ?? 200_000;
  const warmupBatches = Math.ceil((options.warmupEvents ?? 20_000) / 100);
  const { batches, subscribers } = benchBatches({
    perSubscriber,
    recordsPerBatch: 100,
    batches: warmupBatches + Math.ceil(total / 100),
    shardId: 'shardId-000000000000',
  });
  const profiles = new MemoryProfiles(new Map(subscribers.map((id) => [id, benchProfile(id)])));
  const deps = {
    ...withStubLedger(new StubUsageStore()),
    profiles,
    quarantine: new MemoryQuarantine(),
    workflows: new RecordingWorkflowStarter(),
    settings: DEFAULT_SETTINGS,
  };
  // Records arrive base64-encoded; decoding them is part of the work measured.
  const all = batches.map((batch) => kinesisEventOf(batch).Records);
  const decode = (records: readonly KinesisStreamRecord[]): StreamRecord[] =>
    records.map((r) => ({
      shardId: 'shardId-000000000000',
      sequenceNumber: r.kinesis.sequenceNumber,
      data: Buffer.from(r.kinesis.data, 'base64').toString('utf8'),
      arrivalTime: r.kinesis.approximateArrivalTimestamp,
    }));
  // Untimed warm-up: the JIT compiles the hot path, as in a warm Lambda container.
  for (const records of all.slice(0, warmupBatches)) await ingestBatch(decode(records), deps);
  const encoded = all.slice(warmupBatches);
  const stats: IngestStats[] = [];
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const records of encoded) stats.push((await ingestBatch(decode(records), deps)).stats);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const events = encoded.reduce((sum, r) => sum + r.length, 0);
  const merged = stats.reduce<IngestStats>(
    (a, s) => {
      for (const k of Object.keys(a) as Array<keyof IngestStats>) a[k] += s[k];
      return a;
    },
    emptyStats(),
  );
  return { events, elapsedMs, eventsPerSecond: (events / elapsedMs) * 1000, cpuMs, eventsPerCpuSecond: (events / cpuMs) * 1000, stats: merged };
}
