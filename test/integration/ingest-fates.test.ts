/**
 * No record stalls a shard, and none is counted twice: through the real ingest handler on dynalite, a
 * bad stored profile, absurd values, a bug that hits one subscriber, a plan change between two deliveries
 * of a batch, records from the far future or past the duplicate window, and the redrive of what went to
 * the quarantine once its cause is fixed.
 */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
});

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { DEFAULT_INGEST_LIMITS, boundsOf, type IngestLimits } from '../../shared/config/ingest-limits.js';
import type { CarrierEvent, PeriodCounters, SubscriberProfile } from '../../shared/domain/model.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
import { redriveQuarantine, type RedriveReport } from '../../shared/redrive/redrive-quarantine.js';
import { kinesisEventOf, RecordingWorkflowStarter, sequenceNumberOf, type StreamInput } from '../support/ingest-harness.js';
import { MemoryQuarantineQueue, MemoryRecordSink } from '../support/memory-quarantine-queue.js';
import { invoke, profileOf, rigOf, SETTINGS, SHARD, startIngestTables, type Rig } from './ingest-support.js';

const db = await startIngestTables();
const { tables, usage, profiles } = db;

const PERIOD = '2026-09-01';
const SEPT_10 = Date.parse('2026-09-10T07:00:00Z') / 1000;

/** Profiles read afresh at every batch: a test changes them between deliveries. */
function rig(options: { store?: UsageStore; limits?: IngestLimits; quarantine?: MemoryQuarantineQueue; starter?: RecordingWorkflowStarter } = {}): Rig<RecordingWorkflowStarter, MemoryQuarantineQueue> {
  return rigOf(db, { ...options, quarantine: options.quarantine ?? new MemoryQuarantineQueue(), starter: options.starter ?? new RecordingWorkflowStarter(), profileCacheTtlMs: 0 });
}

async function provision(subscriberId: string, plan: Record<string, unknown> = { dataAllowanceBytes: 0 }): Promise<SubscriberProfile> {
  const profile = profileOf({ subscriberId, msisdn: '+33612345678', plan });
  await profiles.put(profile);
  return profile;
}

function data(subscriberId: string, n: number, overrides: Partial<Record<string, unknown>> = {}): CarrierEvent {
  return {
    type: 'usage',
    recordId: `${subscriberId}-${n}`,
    subscriberId,
    eventTime: new Date(Date.parse('2026-09-10T07:00:00Z') + n * 60_000).toISOString(),
    service: 'data',
    volumeBytes: 1_000_000,
    servingPlmn: '20801',
    chargeMicros: 1_000_000,
    currency: 'EUR',
    ...overrides,
  } as CarrierEvent;
}

let nextSequence = 1;
function inputs(events: ReadonlyArray<CarrierEvent | { event: CarrierEvent; arrivalTime: number }>, shardId = SHARD): StreamInput[] {
  return events.map((e) =>
    'event' in e
      ? { shardId, sequenceNumber: sequenceNumberOf(nextSequence++), payload: e.event, arrivalTime: e.arrivalTime }
      : { shardId, sequenceNumber: sequenceNumberOf(nextSequence++), payload: e },
  );
}

async function countersOf(subscriberId: string, period = PERIOD): Promise<PeriodCounters | undefined> {
  return (await usage.load(subscriberId, [period])).counters.get(period)?.counters;
}

function failedOf(response: { batchItemFailures: Array<{ itemIdentifier: string }> }): string[] {
  return response.batchItemFailures.map((f) => f.itemIdentifier);
}

/** The redrive's stream, delivered to ingest as Lambda would: new positions on a shard of their own. */
let redriveSequence = 1;
function deliver(sink: MemoryRecordSink): KinesisStreamEvent {
  return kinesisEventOf(
    sink.take().map((r) => ({ shardId: 'shardId-000000000009', sequenceNumber: sequenceNumberOf(redriveSequence++), payload: r.data, partitionKey: r.partitionKey, arrivalTime: SEPT_10 + 86_400 })),
  );
}

async function redrive(quarantine: MemoryQuarantineQueue, sink: MemoryRecordSink, dryRun: boolean, limits: IngestLimits = DEFAULT_INGEST_LIMITS): Promise<RedriveReport> {
  return redriveQuarantine({ dryRun, max: 100 }, { quarantine, stream: sink, profiles, ledger: usage, settings: SETTINGS, bounds: boundsOf(limits) });
}

describe('a subscriber whose stored profile no longer validates', () => {
  it('goes to the quarantine with the reason; the valid subscribers of the batch are counted; no batch failure', async () => {
    // Arrange
    await provision('fate-ok-1');
    await provision('fate-ok-2');
    await tables.documents.send(new PutCommand({ TableName: tables.profilesTable, Item: { subscriberId: 'fate-broken', msisdn: '0612', plan: { dataAllowanceBytes: 1 } } }));
    const r = rig();
    const batch = inputs([data('fate-ok-1', 1), data('fate-broken', 1), data('fate-ok-2', 1), data('fate-broken', 2), data('fate-ok-1', 2)]);

    // Act
    const response = await r.handler(kinesisEventOf(batch));

    // Assert
    expect(failedOf(response)).toEqual([]);
    expect((await countersOf('fate-ok-1'))?.eventsApplied).toBe(2);
    expect((await countersOf('fate-ok-2'))?.eventsApplied).toBe(1);
    expect(await countersOf('fate-broken')).toBeUndefined();
    expect(r.quarantine.items.map((i) => [i.recordId, i.fault, i.held])).toEqual([
      ['fate-broken-1', 'subscriber', true],
      ['fate-broken-2', 'subscriber', true],
    ]);
    expect(r.quarantine.items[0]?.reason).toMatch(/^profile: stored profile invalid: msisdn/);
    expect(r.results[0]?.stats.quarantinedSubscribers).toBe(1);
  });

  it('once the profile is repaired, the redrive takes over the hold and counts the records once', async () => {
    // Arrange
    await tables.documents.send(new PutCommand({ TableName: tables.profilesTable, Item: { subscriberId: 'fate-repaired', msisdn: '0612', plan: { dataAllowanceBytes: 1 } } }));
    const r = rig();
    const batch = inputs([data('fate-repaired', 1), data('fate-repaired', 2)]);
    await r.handler(kinesisEventOf(batch));
    await provision('fate-repaired');
    const sink = new MemoryRecordSink();

    // Act: the original records come again from the stream, then the redrive
    await r.handler(kinesisEventOf(batch));
    const report = await redrive(r.quarantine, sink, false);
    await r.handler(deliver(sink));

    // Assert
    expect(report.counts.redriven).toBe(2);
    expect((await countersOf('fate-repaired'))?.eventsApplied).toBe(2);
  });

  it('a held record comes back only through its redrive', async () => {
    // Arrange
    await tables.documents.send(new PutCommand({ TableName: tables.profilesTable, Item: { subscriberId: 'fate-held', msisdn: '0612', plan: { dataAllowanceBytes: 1 } } }));
    const r = rig();
    await r.handler(kinesisEventOf(inputs([data('fate-held', 1)])));
    await provision('fate-held');
    const sink = new MemoryRecordSink();

    // Act
    const dry = await redrive(r.quarantine, sink, true);
    const real = await redrive(r.quarantine, sink, false);
    await r.handler(deliver(sink));

    // Assert
    expect(dry.counts['would count']).toBe(1);
    expect(real.counts.redriven).toBe(1);
    expect((await countersOf('fate-held'))?.eventsApplied).toBe(1);
    expect(r.quarantine.items).toEqual([]);
  });
});

describe('absurd values', () => {
  it('a volume near 2^53 is refused by the per-record bound, naming the field; the shard advances', async () => {
    // Arrange
    await provision('fate-huge');
    const r = rig();
    const batch = inputs([data('fate-huge', 1, { volumeBytes: 2 ** 53 - 10 }), data('fate-huge', 2, { volumeBytes: 2 ** 53 - 10 }), data('fate-huge', 3)]);

    // Act
    const response = await r.handler(kinesisEventOf(batch));

    // Assert
    expect(failedOf(response)).toEqual([]);
    expect(r.quarantine.items.map((i) => i.reason)).toEqual([
      `volumeBytes: ${2 ** 53 - 10} is above the per-record limit of 10000000000000`,
      `volumeBytes: ${2 ** 53 - 10} is above the per-record limit of 10000000000000`,
    ]);
    expect((await countersOf('fate-huge'))?.dataBytes).toBe(1_000_000);
  });

  it('with the bounds raised past exact arithmetic, the counters refuse the sum: the subscriber goes to the quarantine, the shard advances', async () => {
    // Arrange
    await provision('fate-sum');
    await provision('fate-sum-neighbour');
    const limits = { ...DEFAULT_INGEST_LIMITS, maxVolumeBytes: 2 ** 52, maxChargeMicros: 2 ** 52 };
    const r = rig({ limits });
    const huge = { volumeBytes: 2 ** 52 - 1, chargeMicros: 0 };
    const batch = inputs([data('fate-sum', 1, huge), data('fate-sum-neighbour', 1), data('fate-sum', 2, huge), data('fate-sum', 3, huge)]);

    // Act
    const response = await r.handler(kinesisEventOf(batch));

    // Assert
    expect(failedOf(response)).toEqual([]);
    expect(await countersOf('fate-sum')).toBeUndefined();
    expect((await countersOf('fate-sum-neighbour'))?.eventsApplied).toBe(1);
    expect(r.quarantine.items).toHaveLength(3);
    expect(r.quarantine.items[0]?.reason).toMatch(/^dataBytes: the period 2026-09-01 total would exceed 9007199254740991/);
  });
});

describe('a bug that hits one subscriber', () => {
  it('is retried a bounded number of times, then its records go to the quarantine and the shard advances', async () => {
    // Arrange
    await provision('fate-bug');
    await provision('fate-bug-neighbour');
    const buggy: UsageStore = {
      load: (id, p) => usage.load(id, p),
      claim: (c) => {
        if (c.subscriberId === 'fate-bug') throw new TypeError("Cannot read properties of undefined (reading 'period')");
        return usage.claim(c);
      },
      saveCounters: (w) => usage.saveCounters(w),
      saveState: (w) => usage.saveState(w),
      clearOutbox: (c) => usage.clearOutbox(c),
    };
    const r = rig({ store: buggy });
    const batch = inputs([data('fate-bug', 1), data('fate-bug-neighbour', 1), data('fate-bug', 2)]);

    // Act: Lambda delivers the failed records again, from the first of them
    const first = await r.handler(kinesisEventOf(batch));
    const retry = batch.slice(batch.findIndex((i) => i.sequenceNumber === failedOf(first)[0]));
    const second = await r.handler(kinesisEventOf(retry));
    const third = await r.handler(kinesisEventOf(retry));

    // Assert
    expect(failedOf(first)).toEqual([batch[0]?.sequenceNumber, batch[2]?.sequenceNumber]);
    expect(failedOf(second)).toEqual(failedOf(first));
    expect(failedOf(third)).toEqual([]);
    expect(r.quarantine.items.map((i) => i.recordId)).toEqual(['fate-bug-1', 'fate-bug-2']);
    expect(r.quarantine.items[0]?.reason).toBe("unexpected error after 3 attempts: TypeError: Cannot read properties of undefined (reading 'period')");
    expect((await countersOf('fate-bug-neighbour'))?.eventsApplied).toBe(1);
  });
});

describe('one record, one period', () => {
  it('a batch redelivered after the billing cycle day changed is counted once, in the period it was first counted in', async () => {
    // Arrange: a crash after the claims, before the counters (the claims recorded the period)
    await provision('fate-cycle', { dataAllowanceBytes: 0, billingCycleDay: 1 });
    let crash = true;
    const crashing: UsageStore = {
      load: (id, p) => usage.load(id, p),
      claim: (c) => usage.claim(c),
      saveCounters: async (w) => {
        if (crash) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return usage.saveCounters(w);
      },
      saveState: (w) => usage.saveState(w),
      clearOutbox: (c) => usage.clearOutbox(c),
    };
    const batch = inputs([data('fate-cycle', 1), data('fate-cycle', 2)]);
    const first = await invoke(rig({ store: crashing }).handler, batch, kinesisEventOf);
    crash = false;
    await provision('fate-cycle', { dataAllowanceBytes: 0, billingCycleDay: 15 });

    // Act: the same batch, then once more after it was applied
    const second = await rig().handler(kinesisEventOf(batch));
    const third = await rig().handler(kinesisEventOf(batch));

    // Assert
    expect(first).toHaveLength(2);
    expect(failedOf(second)).toEqual([]);
    expect(failedOf(third)).toEqual([]);
    expect((await countersOf('fate-cycle', '2026-09-01'))?.eventsApplied).toBe(2);
    expect(await countersOf('fate-cycle', '2026-08-15')).toBeUndefined();
  });

  it('a batch applied, then redelivered after the time zone changed, is recognised as already counted', async () => {
    // Arrange: on 1 Sept at 00:30 Paris (22:30 UTC on 31 Aug), in the September period in Paris
    await provision('fate-zone', { dataAllowanceBytes: 0, timeZone: 'Europe/Paris' });
    const event = data('fate-zone', 0, { eventTime: '2026-08-31T22:30:00Z' });
    const batch = inputs([event]);
    await rig().handler(kinesisEventOf(batch));
    await provision('fate-zone', { dataAllowanceBytes: 0, timeZone: 'UTC' });

    // Act: in UTC the record belongs to August
    const r = rig();
    await r.handler(kinesisEventOf(batch));

    // Assert
    expect((await countersOf('fate-zone', '2026-09-01'))?.eventsApplied).toBe(1);
    expect(await countersOf('fate-zone', '2026-08-01')).toBeUndefined();
    expect(r.results[0]?.stats.redelivered).toBe(1);
  });
});

describe('time bounds', () => {
  it('refuses a record stamped far in the future and one older than the duplicate window, saying which rule', async () => {
    // Arrange
    await provision('fate-time');
    const r = rig();
    const batch = inputs([
      { event: data('fate-time', 1, { eventTime: '2099-01-01T00:00:00Z' }), arrivalTime: SEPT_10 },
      { event: data('fate-time', 2, { eventTime: '9999-12-31T23:59:59Z' }), arrivalTime: SEPT_10 },
      { event: data('fate-time', 3, { eventTime: '2026-07-01T00:00:00Z' }), arrivalTime: SEPT_10 },
      { event: data('fate-time', 4, { eventTime: '2026-09-10T07:03:00Z' }), arrivalTime: SEPT_10 },
    ]);

    // Act
    const response = await r.handler(kinesisEventOf(batch));

    // Assert
    expect(failedOf(response)).toEqual([]);
    const reasons = r.quarantine.items.map((i) => i.reason);
    expect(reasons[0]).toMatch(/^eventTime: \d+ days after the record reached the stream \(2026-09-10T07:00:00.000Z\); at most 5 minutes ahead is accepted/);
    expect(reasons[1]).toMatch(/^eventTime: \d+ days after the record reached the stream/);
    expect(reasons[2]).toMatch(/^eventTime: 71 days before the record reached the stream .*older than the duplicate window \(45 days\)/);
    expect(reasons).toHaveLength(3);
    expect((await countersOf('fate-time'))?.eventsApplied).toBe(1);
  });
});

describe('watermarks per stream and shard', () => {
  it('counts records of two streams that share shard ids and sequence numbers', async () => {
    // Arrange
    await provision('fate-streams');
    const r = rig();
    const one = kinesisEventOf([{ shardId: SHARD, sequenceNumber: sequenceNumberOf(900_001), payload: data('fate-streams', 1) }]);
    const other = kinesisEventOf([{ shardId: SHARD, sequenceNumber: sequenceNumberOf(900_001), payload: data('fate-streams', 2) }]);
    const renamed: KinesisStreamEvent = { Records: other.Records.map((rec) => ({ ...rec, eventSourceARN: 'arn:aws:kinesis:eu-west-3:000000000000:stream/usage-restored' })) };

    // Act
    await r.handler(one);
    await r.handler(renamed);
    await r.handler(one);

    // Assert
    expect((await countersOf('fate-streams'))?.eventsApplied).toBe(2);
  });
});

describe('the outbox', () => {
  it('is empty after the requests are started, whatever container comes next', async () => {
    // Arrange: a roaming welcome and an 80% warning, then a new container
    await provision('fate-outbox', { dataAllowanceBytes: 10_000_000_000 });
    const starter = new RecordingWorkflowStarter();
    await rig({ starter }).handler(kinesisEventOf(inputs([data('fate-outbox', 1, { servingPlmn: '22801', chargeMicros: 45_000_000 })])));

    // Act
    await rig({ starter }).handler(kinesisEventOf(inputs([data('fate-outbox', 2)])));

    // Assert
    const stored = await usage.load('fate-outbox', [PERIOD]);
    expect(stored.state.pending).toEqual([]);
    expect(stored.counters.get(PERIOD)?.pending).toEqual([]);
    expect(starter.executions.map((e) => e.kind).sort()).toEqual(['ROAMING_SPEND_80', 'ROAMING_WELCOME']);
    expect(starter.rawStarts).toBe(2);
  });
});

describe('redrive', () => {
  it('counts records of an unknown subscriber once it is provisioned, once, even when the redrive runs twice', async () => {
    // Arrange
    const r = rig();
    await r.handler(kinesisEventOf(inputs([data('fate-late-provisioned', 1), data('fate-late-provisioned', 2)])));
    const sink = new MemoryRecordSink();
    const before = await redrive(r.quarantine, sink, true);
    await provision('fate-late-provisioned');

    // Act: a dry run, then a run whose deletes fail (the messages stay), then a second run
    const dry = await redrive(r.quarantine, sink, true);
    r.quarantine.failDeletes = true;
    await expect(redrive(r.quarantine, sink, false)).rejects.toThrow('delete refused');
    await r.handler(deliver(sink));
    r.quarantine.failDeletes = false;
    r.quarantine.showAll();
    const second = await redrive(r.quarantine, sink, false);
    await r.handler(deliver(sink));

    // Assert
    expect(before.counts['would be refused']).toBe(2);
    expect(before.records[0]?.detail).toBe('subscriberId: unknown subscriber (no profile)');
    expect(dry.counts['would count']).toBe(2);
    expect(second.counts.redriven).toBe(2);
    expect(r.quarantine.items).toEqual([]);
    expect((await countersOf('fate-late-provisioned'))?.eventsApplied).toBe(2);
    expect(r.results.at(-1)?.stats.duplicates).toBe(2);
  });

  it('after a partial apply, redrives only what was not counted, and counts it once', async () => {
    // Arrange: a bug in writing the October counters; the September ones are written first
    await provision('fate-partial');
    let buggy = true;
    const store: UsageStore = {
      load: (id, p) => usage.load(id, p),
      claim: (c) => usage.claim(c),
      saveCounters: async (w) => {
        if (buggy && w.counters.period === '2026-10-01') throw new RangeError('Invalid time value');
        return usage.saveCounters(w);
      },
      saveState: (w) => usage.saveState(w),
      clearOutbox: (c) => usage.clearOutbox(c),
    };
    const r = rig({ store });
    const october = (n: number) => ({ event: data('fate-partial', n, { eventTime: '2026-10-02T10:00:00Z' }), arrivalTime: Date.parse('2026-10-02T10:00:01Z') / 1000 });
    const batch = inputs([{ event: data('fate-partial', 1), arrivalTime: SEPT_10 + 60 }, october(2), october(3)]);
    for (let attempt = 0; attempt < 3; attempt++) await invoke(r.handler, batch, kinesisEventOf);
    const quarantined = r.quarantine.items.map((i) => i.recordId);

    // Act: the fix is deployed; the stream redelivers the batch once more (another subscriber failed), then the redrive
    buggy = false;
    const sink = new MemoryRecordSink();
    await rig().handler(kinesisEventOf(batch));
    await redrive(r.quarantine, sink, false);
    await rig().handler(deliver(sink));

    // Assert
    expect(quarantined).toEqual(['fate-partial-2', 'fate-partial-3']);
    expect((await countersOf('fate-partial', '2026-09-01'))?.eventsApplied).toBe(1);
    expect((await countersOf('fate-partial', '2026-10-01'))?.eventsApplied).toBe(2);
  });

  it('a record put back while its cause is still there is quarantined again, under its first position', async () => {
    // Arrange
    const r = rig();
    const batch = inputs([data('fate-never-provisioned', 1)]);
    await r.handler(kinesisEventOf(batch));
    const sink = new MemoryRecordSink();

    // Act
    await redrive(r.quarantine, sink, false);
    await r.handler(deliver(sink));

    // Assert
    expect(r.quarantine.items).toHaveLength(1);
    expect(r.quarantine.items[0]?.position).toMatchObject({ stream: 'usage', shardId: SHARD, sequenceNumber: batch[0]?.sequenceNumber });
    expect(r.quarantine.items[0]?.reason).toBe('subscriberId: unknown subscriber (no profile)');
  });
});
