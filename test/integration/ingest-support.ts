/**
 * Shared by the ingest tests: a three-subscriber story (roaming to a cap, home past the allowance and
 * the overage cap, events on both sides of a billing-period boundary) with carrier duplicates, an
 * oracle computed from the unique events with the pure domain, fault-injecting wrappers, and a driver
 * that redelivers like the Lambda event source mapping.
 */
import { afterAll } from 'vitest';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import type { IngestLimits } from '../../shared/config/ingest-limits.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { CarrierEvent, PeriodCounters, SubscriberProfile } from '../../shared/domain/model.js';
import { eventKey } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import { applyEvents } from '../../shared/domain/usage.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import type { IngestResult } from '../../shared/ingest/ingest-batch.js';
import type { Quarantine } from '../../shared/ports/quarantine.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
import { MemoryQuarantine, RecordingWorkflowStarter, sequenceNumberOf, startLocalTables, type LocalTables, type StreamInput } from '../support/ingest-harness.js';
import { AllRecordsFailedError, createHandler, type IngestHandler } from '../../functions/ingest-events/handler.js';

export const SETTINGS = DEFAULT_SETTINGS;
export const SHARD = 'shardId-000000000000';

/** The tables of one test file (dynalite) and the DynamoDB stores ingest uses on them. */
export interface IngestTables {
  readonly tables: LocalTables;
  readonly usage: DynamoUsageStore;
  readonly profiles: DynamoProfileStore;
}

/** Starts dynalite for the calling test file (top-level await) and stops it after the file's tests. */
export async function startIngestTables(): Promise<IngestTables> {
  const tables = await startLocalTables();
  afterAll(() => tables.stop());
  return {
    tables,
    usage: new DynamoUsageStore({ client: tables.documents, tableName: tables.usageTable }),
    profiles: new DynamoProfileStore({ client: tables.documents, tableName: tables.profilesTable }),
  };
}

export interface Rig<W extends PolicyWorkflowStarter, Q extends Quarantine> {
  readonly handler: IngestHandler;
  /** The result of every batch, in order. */
  readonly results: IngestResult[];
  readonly starter: W;
  readonly quarantine: Q;
}

export interface RigOptions<W extends PolicyWorkflowStarter, Q extends Quarantine> {
  /** The usage store of the hot path (a fault-injecting wrapper); the failure ledger is always the table's. */
  readonly store?: UsageStore;
  readonly starter?: W;
  readonly quarantine?: Q;
  readonly limits?: IngestLimits;
  readonly profileCacheTtlMs?: number;
}

/** The real ingest handler on the file's tables, recording workflow starts, the quarantine and every batch's result. */
export function rigOf<W extends PolicyWorkflowStarter = RecordingWorkflowStarter, Q extends Quarantine = MemoryQuarantine>(
  db: IngestTables,
  options: RigOptions<W, Q> = {},
): Rig<W, Q> {
  const starter = options.starter ?? (new RecordingWorkflowStarter() as PolicyWorkflowStarter as W);
  const quarantine = options.quarantine ?? (new MemoryQuarantine() as Quarantine as Q);
  const results: IngestResult[] = [];
  const handler = createHandler({
    usage: options.store ?? db.usage,
    ledger: db.usage,
    profiles: db.profiles,
    quarantine,
    workflows: starter,
    settings: SETTINGS,
    ...(options.limits !== undefined && { limits: options.limits }),
    ...(options.profileCacheTtlMs !== undefined && { profileCacheTtlMs: options.profileCacheTtlMs }),
    onBatch: (r) => results.push(r),
  });
  return { handler, results, starter, quarantine };
}

export function profileOf(input: Record<string, unknown>): SubscriberProfile {
  const parsed = parseSubscriberProfile(input);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

export interface Story {
  readonly profiles: SubscriberProfile[];
  readonly inputs: StreamInput[];
  readonly ids: { readonly roamer: string; readonly home: string; readonly boundary: string };
}

/**
 * The story, with subscriber ids prefixed so that each test has its own. Stream order interleaves the
 * subscribers; carrier duplicates (same recordId/eventId, new sequence number) come both right after
 * the original and many records later.
 */
export function story(prefix: string, options: { shardId?: string; firstSequence?: number } = {}): Story {
  const roamer = `${prefix}-roamer`;
  const home = `${prefix}-home`;
  const boundary = `${prefix}-boundary`;
  const profiles = [
    profileOf({ subscriberId: roamer, msisdn: '+33611111111', plan: { dataAllowanceBytes: 5_000_000_000 } }),
    profileOf({ subscriberId: home, msisdn: '+33622222222', plan: { dataAllowanceBytes: 1_000_000_000 } }),
    profileOf({ subscriberId: boundary, msisdn: '+33633333333', plan: { dataAllowanceBytes: 0 } }),
  ];
  const r: CarrierEvent[] = [
    { type: 'attach', eventId: `${roamer}-a1`, subscriberId: roamer, eventTime: '2026-09-10T07:00:00Z', servingPlmn: '22801' },
  ];
  for (let i = 1; i <= 24; i++) {
    r.push(usage(roamer, `${roamer}-r${i}`, at('2026-09-10T07:00:00Z', i * 10), '22801', 4_000_000, 2_500_000));
    if (i === 12) {
      r.push({ type: 'attach', eventId: `${roamer}-a2`, subscriberId: roamer, eventTime: at('2026-09-10T07:00:00Z', i * 10 + 1), servingPlmn: '20801' });
      r.push({ type: 'attach', eventId: `${roamer}-a3`, subscriberId: roamer, eventTime: at('2026-09-10T07:00:00Z', i * 10 + 2), servingPlmn: '22801' });
    }
  }
  const h: CarrierEvent[] = [];
  for (let i = 1; i <= 20; i++) h.push(usage(home, `${home}-r${i}`, at('2026-09-12T08:00:00Z', i * 15), '20801', 150_000_000));
  // Paris is UTC+2 in September: the October period starts at 2026-09-30T22:00Z.
  const b: CarrierEvent[] = [
    usage(boundary, `${boundary}-r1`, '2026-09-30T21:30:00Z', '20801', 1000, 30_000_000),
    usage(boundary, `${boundary}-r2`, '2026-09-30T22:30:00Z', '20801', 1000, 30_000_000),
    usage(boundary, `${boundary}-r3`, '2026-09-30T21:40:00Z', '20801', 1000, 30_000_000),
    usage(boundary, `${boundary}-r4`, '2026-10-01T09:00:00Z', '20801', 1000, 30_000_000),
    usage(boundary, `${boundary}-r5`, '2026-09-29T10:00:00Z', '20801', 1000, 30_000_000),
  ];
  const events: CarrierEvent[] = [];
  for (let i = 0; i < Math.max(r.length, h.length, b.length); i++) {
    for (const list of [r, h, b]) {
      const e = list[i];
      if (e !== undefined) events.push(e);
    }
    if (i === 3) events.push(must(r[3])); // carrier duplicate in the same batch
    if (i === 6) events.push(must(r[0])); // duplicate attach
  }
  events.push(must(r[5]), must(h[0]), must(b[1])); // carrier duplicates much later
  let seq = options.firstSequence ?? 1;
  const shardId = options.shardId ?? SHARD;
  return {
    profiles,
    ids: { roamer, home, boundary },
    inputs: events.map((payload) => ({ shardId, sequenceNumber: sequenceNumberOf(seq++), payload })),
  };
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('story: index out of range');
  return value;
}

function at(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

function usage(subscriberId: string, recordId: string, eventTime: string, servingPlmn: string, volumeBytes: number, chargeMicros?: number): CarrierEvent {
  return {
    type: 'usage',
    recordId,
    subscriberId,
    eventTime,
    service: 'data',
    volumeBytes,
    servingPlmn,
    currency: 'EUR',
    ...(chargeMicros !== undefined ? { chargeMicros } : {}),
  };
}

export interface Expected {
  /** subscriberId -> period -> counters. */
  readonly counters: Map<string, Map<string, PeriodCounters>>;
  readonly requests: PolicyRequest[];
  readonly executionNames: Set<string>;
  readonly uniqueEvents: number;
}

/**
 * What exactly-once means: the pure domain applied once to each unique valid event, in stream order (in the
 * period `periodOf` says it was counted in, when a plan change makes that a matter of which delivery came first).
 */
export function oracle(
  inputs: readonly StreamInput[],
  profiles: readonly SubscriberProfile[],
  options: { readonly valid?: (event: CarrierEvent) => boolean; readonly periodOf?: (event: CarrierEvent) => string | undefined } = {},
): Expected {
  const bySubscriber = new Map<string, CarrierEvent[]>();
  const seen = new Set<string>();
  for (const input of inputs) {
    if (typeof input.payload === 'string') continue;
    const e = input.payload;
    if (options.valid !== undefined && !options.valid(e)) continue;
    const key = `${e.subscriberId}\u0000${e.type}\u0000${eventKey(e)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    bySubscriber.set(e.subscriberId, [...(bySubscriber.get(e.subscriberId) ?? []), e]);
  }
  const counters = new Map<string, Map<string, PeriodCounters>>();
  const requests: PolicyRequest[] = [];
  for (const profile of profiles) {
    const events = bySubscriber.get(profile.subscriberId) ?? [];
    const timed = events.map((event) => {
      const period = options.periodOf?.(event);
      return period === undefined ? { event } : { event, period };
    });
    const applied = applyEvents({ counters: new Map() }, timed, profile, SETTINGS);
    counters.set(profile.subscriberId, new Map(applied.counters));
    requests.push(...applied.requests);
  }
  return { counters, requests, executionNames: new Set(requests.map(executionNameOf)), uniqueEvents: seen.size };
}

/** Counts every write and start; after `budget` of them, every call fails as if the process had died. */
export class Crash {
  operations = 0;
  crashed = false;
  constructor(private readonly budget: number) {}
  tick(): void {
    if (this.crashed || this.operations >= this.budget) {
      this.crashed = true;
      throw new Error(`injected crash after ${this.budget} operations`);
    }
    this.operations += 1;
  }
  store(inner: UsageStore): UsageStore {
    return {
      load: async (id, periods) => {
        if (this.crashed) throw new Error('process is dead');
        return inner.load(id, periods);
      },
      claim: async (c) => {
        this.tick();
        return inner.claim(c);
      },
      saveCounters: async (w) => {
        this.tick();
        return inner.saveCounters(w);
      },
      saveState: async (w) => {
        this.tick();
        return inner.saveState(w);
      },
      clearOutbox: async (c) => {
        this.tick();
        return inner.clearOutbox(c);
      },
    };
  }
  starter(inner: PolicyWorkflowStarter): PolicyWorkflowStarter {
    return {
      start: async (requests) => {
        for (const request of requests) {
          this.tick();
          await inner.start([request]);
        }
      },
    };
  }
}

/** Invokes the handler; a thrown full-batch failure means every record failed (Lambda retries the batch). */
export async function invoke(handler: IngestHandler, inputs: readonly StreamInput[], toEvent: (i: readonly StreamInput[]) => Parameters<IngestHandler>[0]): Promise<string[]> {
  try {
    const response = await handler(toEvent(inputs));
    return response.batchItemFailures.map((f) => f.itemIdentifier);
  } catch (e: unknown) {
    if (e instanceof AllRecordsFailedError || (e instanceof Error && e.message.includes('injected crash'))) {
      return inputs.map((i) => i.sequenceNumber);
    }
    throw e;
  }
}
