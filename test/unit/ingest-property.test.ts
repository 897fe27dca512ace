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
import type { CarrierEvent, PeriodCounters, PolicyRequest, SubscriberProfile } from '../../shared/domain/model.js';
import { billingPeriodOf } from '../../shared/domain/periods.js';
import { kinesisEventOf, MemoryProfiles, MemoryQuarantine, RecordingWorkflowStarter, sequenceNumberOf, type StreamInput } from '../support/ingest-harness.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import { compareSequenceNumbers } from '../../shared/ingest/positions.js';
import { claimGroupOf, compactIdOf } from '../../shared/ingest/claim-ids.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
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
          createHandler({ usage, ledger: store, profiles, quarantine: new MemoryQuarantine(), workflows, settings: SETTINGS, profileCacheTtlMs: 0 });
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
  }, 300_000);
});

/**
 * The same property in a harsher field: the plan of one subscriber changes its billing cycle day and time
 * zone between deliveries (so a redelivered record may now belong to another period), and poison records
 * are mixed in: not JSON, off the contract, out of the per-record bounds, from the far future, of an
 * unknown subscriber, and of a subscriber whose stored profile no longer validates. Every valid unique
 * event is counted exactly once, in the period its claim recorded (one of the periods its plans give it),
 * and every poison record is in the quarantine.
 */
const PLAN_VERSIONS = [
  { dataAllowanceBytes: 0, billingCycleDay: 15, timeZone: 'America/New_York' },
  { dataAllowanceBytes: 0, billingCycleDay: 1, timeZone: 'Europe/Paris' },
] as const;
const Q_VERSIONS = PLAN_VERSIONS.map((plan) => profileOf({ subscriberId: 'Q', msisdn: '+33622222222', plan }));
const [Q_FIRST, Q_SECOND] = Q_VERSIONS as [SubscriberProfile, SubscriberProfile];
const P_PROFILE = PROFILES[0] as SubscriberProfile;
const BROKEN = 'R';

const poisonArb = fc.record({
  kind: fc.constantFrom('json', 'schema', 'bounds', 'future', 'unknown', 'broken-profile'),
  at: fc.nat(),
  minutes: fc.integer({ min: 0, max: 60 * 24 * 40 }),
});

function poisonOf(p: { kind: string; minutes: number }, i: number): CarrierEvent | string {
  const eventTime = new Date(Date.parse('2026-09-01T00:00:00Z') + p.minutes * 60_000).toISOString();
  const usage = { type: 'usage', recordId: `x${i}`, subscriberId: 'P', eventTime, service: 'data', volumeBytes: 1000, servingPlmn: '20801', currency: 'EUR' } as const;
  switch (p.kind) {
    case 'json':
      return `{"recordId": "x${i}", "subscriberId": `;
    case 'schema':
      return JSON.stringify({ ...usage, volumeBytes: -1 });
    case 'bounds':
      return { ...usage, volumeBytes: 2 ** 53 - 1 };
    case 'future':
      return { ...usage, eventTime: '2099-01-01T00:00:00Z' };
    case 'unknown':
      return { ...usage, subscriberId: 'nobody' };
    default:
      return { ...usage, subscriberId: BROKEN };
  }
}

/** Valid for counting: a known subscriber with a usable profile, within the bounds. */
function countable(e: CarrierEvent): boolean {
  if (e.subscriberId !== 'P' && e.subscriberId !== 'Q') return false;
  if (Date.parse(e.eventTime) > Date.parse('2030-01-01T00:00:00Z')) return false;
  return e.type === 'attach' || (e.volumeBytes ?? 0) <= 10_000_000_000_000;
}

describe('ingest counts every valid unique event exactly once, with plan changes and poison in the stream', () => {
  it('under random duplicates, batching, crash points, redeliveries, plan changes between deliveries and poison records', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb,
        fc.array(poisonArb, { maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (scenario, poison, planFlips) => {
          const events = toEvents(scenario.events);
          const stream: Array<CarrierEvent | string> = [...events];
          for (const d of scenario.duplicates) {
            const original = events[d.of % events.length];
            if (original !== undefined) stream.splice(d.at % (stream.length + 1), 0, original);
          }
          const poisoned = poison.map(poisonOf);
          poison.forEach((p, i) => stream.splice(p.at % (stream.length + 1), 0, poisoned[i] ?? ''));
          // A record from the future arrives now, not then (others arrive just after their usage).
          const inputs: StreamInput[] = stream.map((payload, i) => ({
            shardId: SHARD,
            sequenceNumber: sequenceNumberOf(i + 1),
            payload,
            ...(typeof payload !== 'string' && payload.eventTime.startsWith('2099') && { arrivalTime: Date.parse('2026-09-20T00:00:00Z') / 1000 }),
          }));
          const cuts = [...new Set(scenario.cuts.map((c) => c % inputs.length))].sort((a, b) => a - b);
          const batches: StreamInput[][] = [];
          let from = 0;
          for (const cut of [...cuts, inputs.length]) {
            if (cut > from) batches.push(inputs.slice(from, cut));
            from = Math.max(from, cut);
          }

          const store = new MemoryUsageStore();
          const starter = new RecordingWorkflowStarter();
          const profileMap = new Map<string, SubscriberProfile>([
            ['P', P_PROFILE],
            ['Q', Q_FIRST],
          ]);
          const profiles = new MemoryProfiles(profileMap);
          profiles.unusable.set(BROKEN, 'profile: stored profile invalid: msisdn: must be an E.164 number');
          const quarantine = new MemoryQuarantine();
          let version = 0;
          const flip = (n: number) => {
            if (planFlips[n % planFlips.length] !== true) return;
            version = 1 - version;
            profileMap.set('Q', version === 0 ? Q_FIRST : Q_SECOND);
          };
          const container = (usage: UsageStore = store, workflows: PolicyWorkflowStarter = starter): IngestHandler =>
            createHandler({ usage, ledger: store, profiles, quarantine, workflows, settings: SETTINGS, profileCacheTtlMs: 0 });
          let handler = container();

          for (const [b, batch] of batches.entries()) {
            const fault = scenario.faults[b % scenario.faults.length];
            let pending: readonly StreamInput[] = batch;
            if (fault?.crashAfter !== undefined) {
              const crash = new Crash(fault.crashAfter);
              const failed = await invoke(container(crash.store(store), crash.starter(starter)), batch, kinesisEventOf);
              // The plan may change between a delivery and its redelivery.
              flip(b * 2);
              if (failed.length > 0) {
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
            flip(b * 2 + 1);
            if (fault?.replay === true) {
              const earlier = batches[Math.floor(b / 2)] ?? batch;
              expect(await invoke(handler, earlier, kinesisEventOf)).toEqual([]);
            }
          }

          // The period each counted event's claim recorded, which must be one its plans give it.
          const periods = new Map<CarrierEvent, string | undefined>();
          for (const e of events) {
            const key = e.type === 'attach' ? `A#${e.eventId}` : `U#${e.recordId}`;
            periods.set(e, (await store.readClaim(e.subscriberId, claimGroupOf(e.eventTime), compactIdOf(key)))?.period);
          }
          const recorded = (e: CarrierEvent): string | undefined => periods.get(e);
          for (const e of events) {
            if (e.subscriberId !== 'Q' || e.type === 'attach') continue;
            const allowed = Q_VERSIONS.map((q) => billingPeriodOf(e.eventTime, q.plan).id);
            expect(allowed).toContain(recorded(e));
          }
          const expected = oracle(inputs, [P_PROFILE, Q_FIRST], { valid: countable, periodOf: recorded });
          // P's plan never changes: exact. Q's: after a change, a record that keeps its first period may find
          // that period ended under the new plan (counted and clamped the same, but late: it fires nothing).
          const counted = ({ lateEvents: _l, lateWrittenOff: _w, fired: _f, ...rest }: PeriodCounters) => rest;
          for (const subscriberId of ['P', 'Q']) {
            const want = expected.counters.get(subscriberId) ?? new Map<string, PeriodCounters>();
            const stored = await store.load(subscriberId, [...want.keys()]);
            for (const [period, counters] of want) {
              const got = stored.counters.get(period)?.counters;
              if (subscriberId === 'P') expect(got).toEqual(counters);
              else expect(got === undefined ? undefined : counted(got)).toEqual(counted(counters));
            }
          }
          const namesOf = (requests: readonly PolicyRequest[], subscriberId: string) =>
            new Set(requests.filter((r) => r.subscriberId === subscriberId).map(executionNameOf));
          expect(namesOf(starter.executions, 'P')).toEqual(namesOf(expected.requests, 'P'));
          for (const name of namesOf(starter.executions, 'Q')) expect(expected.executionNames).toContain(name);
          // Nothing lost: each poison record is in the quarantine, and no counter of theirs exists.
          const quarantinedRaw = new Set(quarantine.items.map((i) => i.raw));
          for (const p of poisoned) expect(quarantinedRaw).toContain(typeof p === 'string' ? p : JSON.stringify(p));
          expect([...store.items.keys()].filter((k) => k.startsWith(`${BROKEN}\u0000P#`) || k.startsWith('nobody\u0000P#'))).toEqual([]);
        },
      ),
      { numRuns: Number(process.env.SPENDCAP_PROPERTY_RUNS ?? 150) },
    );
  }, 300_000);
});
