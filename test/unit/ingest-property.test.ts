/**
 * Property: whatever the carrier duplicates, the batching, the crash points and the redeliveries, the
 * stored counters equal the pure domain applied once to each unique event, and each policy request
 * (crossing, welcome) gets exactly one workflow execution. Runs the real handler on the in-memory store
 * (same items and conditions as DynamoDB; the dynalite tests cover the adapter).
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { createHandler, type IngestHandler } from '../../functions/ingest-events/handler.js';
import type { CarrierEvent } from '../../shared/domain/model.js';
import { kinesisEventOf, MemoryProfiles, MemoryQuarantine, RecordingWorkflowStarter, sequenceNumberOf, type StreamInput } from '../support/ingest-harness.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import { compareSequenceNumbers, type UsageStore } from '../../shared/ports/usage-store.js';
import { Crash, invoke, oracle, profileOf, SETTINGS, SHARD } from '../integration/ingest-support.js';

const PROFILES = [
  profileOf({
    subscriberId: 'P',
    msisdn: '+33611111111',
    plan: { dataAllowanceBytes: 10_000_000, monthlyFeeMicros: 1_000_000 },
    roamingCap: { limitMicros: 5_000_000 },
    overageCap: { limitMicros: 4_000_000 },
  }),
  profileOf({ subscriberId: 'Q', msisdn: '+33622222222', plan: { dataAllowanceBytes: 0, billingCycleDay: 15, timeZone: 'America/New_York' } }),
];

const eventArb = fc.record({
  subscriber: fc.constantFrom('P', 'Q'),
  attach: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  plmn: fc.constantFrom('20801', '20801', '22801', '20610', '90112'),
  minutes: fc.integer({ min: 0, max: 60 * 24 * 40 }),
  volume: fc.integer({ min: 0, max: 5_000_000 }),
  charge: fc.option(fc.integer({ min: 0, max: 3_000_000 }), { nil: undefined }),
});

type Delivery = 'whole' | 'tail' | 'bisect';

const scenarioArb = fc.record({
  events: fc.array(eventArb, { minLength: 1, maxLength: 30 }),
  duplicates: fc.array(fc.record({ of: fc.nat(), at: fc.nat() }), { maxLength: 8 }),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  faults: fc.array(
    fc.record({ crashAfter: fc.option(fc.nat({ max: 40 }), { nil: undefined }), delivery: fc.constantFrom<Delivery>('whole', 'tail', 'bisect'), newContainer: fc.boolean(), replay: fc.boolean() }),
    { minLength: 1, maxLength: 7 },
  ),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function toEvents(events: Scenario['events']): CarrierEvent[] {
  return events.map((e, i) => {
    const eventTime = new Date(Date.parse('2026-09-01T00:00:00Z') + e.minutes * 60_000).toISOString();
    if (e.attach) return { type: 'attach', eventId: `k${i}`, subscriberId: e.subscriber, eventTime, servingPlmn: e.plmn };
    return {
      type: 'usage',
      recordId: `k${i}`,
      subscriberId: e.subscriber,
      eventTime,
      service: 'data',
      volumeBytes: e.volume,
      servingPlmn: e.plmn,
      currency: 'EUR',
      ...(e.charge !== undefined ? { chargeMicros: e.charge } : {}),
    };
  });
}

describe('ingest counts every unique event exactly once', () => {
  it('under random duplicates, batching, crash points and redeliveries', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const events = toEvents(scenario.events);
        const stream: CarrierEvent[] = [...events];
        for (const d of scenario.duplicates) {
          const original = events[d.of % events.length];
          if (original !== undefined) stream.splice(d.at % (stream.length + 1), 0, original);
        }
        const inputs: StreamInput[] = stream.map((payload, i) => ({ shardId: SHARD, sequenceNumber: sequenceNumberOf(i + 1), payload }));
        const cuts = [...new Set(scenario.cuts.map((c) => c % inputs.length))].sort((a, b) => a - b);
        const batches: StreamInput[][] = [];
        let from = 0;
        for (const cut of [...cuts, inputs.length]) {
          if (cut > from) batches.push(inputs.slice(from, cut));
          from = Math.max(from, cut);
        }

        const store = new MemoryUsageStore();
        const starter = new RecordingWorkflowStarter();
        const profiles = new MemoryProfiles(new Map(PROFILES.map((p) => [p.subscriberId, p])));
        const container = (usage: UsageStore = store, workflows: PolicyWorkflowStarter = starter): IngestHandler =>
          createHandler({ usage, profiles, quarantine: new MemoryQuarantine(), workflows, settings: SETTINGS, profileCacheTtlMs: 0 });
        let handler = container();

        for (const [b, batch] of batches.entries()) {
          const fault = scenario.faults[b % scenario.faults.length];
          let pending: readonly StreamInput[] = batch;
          if (fault?.crashAfter !== undefined) {
            const crash = new Crash(fault.crashAfter);
            const failed = await invoke(container(crash.store(store), crash.starter(starter)), batch, kinesisEventOf);
            if (failed.length > 0) {
              // The crashed container is gone; Lambda delivers again, in the way this fault says.
              const lowest = failed.reduce((x, y) => (compareSequenceNumbers(x, y) <= 0 ? x : y));
              if (fault.delivery === 'tail') pending = batch.slice(batch.findIndex((i) => i.sequenceNumber === lowest));
              if (fault.delivery === 'bisect' && batch.length > 1) {
                const half = Math.ceil(batch.length / 2);
                expect(await invoke(container(), batch.slice(0, half), kinesisEventOf)).toEqual([]);
                pending = batch.slice(half);
              }
            } else pending = [];
          }
          if (fault?.newContainer === true) handler = container();
          if (pending.length > 0) expect(await invoke(handler, pending, kinesisEventOf)).toEqual([]);
          // A later redelivery of an earlier, already successful batch (e.g. a replay from an old position).
          if (fault?.replay === true) {
            const earlier = batches[Math.floor(b / 2)] ?? batch;
            expect(await invoke(handler, earlier, kinesisEventOf)).toEqual([]);
          }
        }

        const expected = oracle(inputs, PROFILES);
        for (const profile of PROFILES) {
          const want = expected.counters.get(profile.subscriberId) ?? new Map();
          const stored = await store.load(profile.subscriberId, [...want.keys()]);
          for (const [period, counters] of want) expect(stored.counters.get(period)?.counters).toEqual(counters);
        }
        expect(new Set(starter.executions.map(executionNameOf))).toEqual(expected.executionNames);
        expect(starter.executions).toHaveLength(expected.requests.length);
      }),
      { numRuns: 200 },
    );
  });
});
