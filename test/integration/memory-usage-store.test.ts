/**
 * The in-memory usage store (local/memory-stores.ts: the replay's store, and the tests' through
 * test/support/memory-usage-store.ts) answers every call of the UsageStore and FailureLedger ports exactly
 * as the DynamoDB adapter does against dynalite: same outcomes, same write units (dynalite reports consumed
 * capacity as DynamoDB does), same items read back, for any sequence of claims, holds, failures, writes and
 * outbox clears. Claims come in groups (subscriber and hour), sometimes of many keys, so that heads outgrow
 * one item into archives. Some claims, holds and reads name a per-key claim item of the first release: the
 * table has none (nor has the memory store), so the adapter's extra reads must change nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import type { FailureLedger, PerKeyClaim, UsageStore } from '../../shared/ports/usage-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { MemoryUsageStore } from '../../local/memory-stores.js';
import { startLocalTables, type LocalTables } from '../support/ingest-harness.js';

const SUBSCRIBERS = ['208010000000001', '208010000000002'] as const;
const PERIODS = ['2026-09-01', '2026-10-01'] as const;
const NAMES = ['s:shardId-1/100', 's:shardId-1/200', 's:shardId-2/100'] as const;
const MARKERS = ['REDRIVE#q1', 'REDRIVE#q2'] as const;
/** Where the first release would have kept a key's claim (several keys may name the same item). */
const perKeyClaim = fc.option(fc.record({ sk: fc.constantFrom('R#U#r1', 'R#U#r2', 'R#A#a1'), own: fc.constant({ 'shardId-1/100': NAMES[0] }) }), { nil: undefined });

function requestOf(subscriberId: string, period: string, crossingId: string): PolicyRequest {
  return { kind: 'ROAMING_WELCOME', subscriberId, period, crossingId, at: '2026-09-10T07:00:00Z', servingPlmn: '22801' };
}
const CROSSINGS = ['ROAMING_WELCOME#U#r1', 'ROAMING_WELCOME#U#r2', 'ROAMING_WELCOME#U#r3'] as const;

const subscriber = fc.constantFrom(...SUBSCRIBERS);
const period = fc.constantFrom(...PERIODS);
const GROUPS = ['2026-09-10T07', '2026-09-10T08'] as const;
/** Enough keys that a group's head outgrows 1 KB and moves keys to archives. */
const KEYS = Array.from({ length: 80 }, (_, i) => `r${i}`);
const group = fc.constantFrom(...GROUPS);
const eventKey = fc.constantFrom(...KEYS);
const expiresAt = fc.integer({ min: 1_790_000_000, max: 1_800_000_000 });
const crossings = fc.subarray([...CROSSINGS], { minLength: 1 });

interface KeyOp {
  eventKey: string;
  claimedBy: string;
  takesOver: string[];
  period: string;
  expiresAt: number;
  perKeyClaim?: PerKeyClaim;
}

type Op =
  | { op: 'claim'; subscriberId: string; group: string; keys: KeyOp[] }
  | { op: 'hold'; subscriberId: string; group: string; eventKey: string; claimedBy: string; marker: string; expiresAt: number; perKeyClaim?: PerKeyClaim }
  | { op: 'readClaim'; subscriberId: string; group: string; eventKey: string; perKeyClaim?: PerKeyClaim }
  | { op: 'countFailure'; subscriberId: string; position: string; expiresAt: number }
  | { op: 'saveState'; subscriberId: string; expectedVersion: number; pending: string[] }
  | { op: 'saveCounters'; subscriberId: string; period: string; expectedVersion: number; pending: string[] }
  | { op: 'clearOutbox'; subscriberId: string; period?: string; crossingIds: string[] }
  | { op: 'load'; subscriberId: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('claim' as const),
    subscriberId: subscriber,
    group,
    keys: fc.array(fc.record({ eventKey, claimedBy: fc.constantFrom(...NAMES), takesOver: fc.subarray([...MARKERS]), period, expiresAt, perKeyClaim }, { requiredKeys: ['eventKey', 'claimedBy', 'takesOver', 'period', 'expiresAt'] }), {
      minLength: 1,
      maxLength: 60,
      // Lengths over the whole range (fast-check's default keeps arrays short): groups outgrow their head.
      size: 'max',
    }),
  }),
  fc.record({
    op: fc.constant('hold' as const),
    subscriberId: subscriber,
    group,
    eventKey,
    claimedBy: fc.constantFrom(...NAMES),
    marker: fc.constantFrom(...MARKERS),
    expiresAt,
    perKeyClaim,
  }),
  fc.record({ op: fc.constant('readClaim' as const), subscriberId: subscriber, group, eventKey, perKeyClaim }),
  fc.record({ op: fc.constant('countFailure' as const), subscriberId: subscriber, position: fc.constantFrom('p1', 'p2'), expiresAt }),
  fc.record({ op: fc.constant('saveState' as const), subscriberId: subscriber, expectedVersion: fc.integer({ min: 0, max: 3 }), pending: fc.subarray([...CROSSINGS]) }),
  fc.record({
    op: fc.constant('saveCounters' as const),
    subscriberId: subscriber,
    period,
    expectedVersion: fc.integer({ min: 0, max: 3 }),
    pending: fc.subarray([...CROSSINGS]),
  }),
  fc.record({ op: fc.constant('clearOutbox' as const), subscriberId: subscriber, period: fc.option(period, { nil: undefined }), crossingIds: crossings }),
  fc.record({ op: fc.constant('load' as const), subscriberId: subscriber }),
);

async function apply(store: UsageStore & FailureLedger, o: Op): Promise<unknown> {
  switch (o.op) {
    case 'claim':
      return store.claim({ subscriberId: o.subscriberId, group: o.group, keys: o.keys });
    case 'hold':
      return store.holdForRedrive({
        subscriberId: o.subscriberId,
        group: o.group,
        eventKey: o.eventKey,
        claimedBy: o.claimedBy,
        marker: o.marker,
        expiresAt: o.expiresAt,
        ...(o.perKeyClaim !== undefined && { perKeyClaim: o.perKeyClaim }),
      });
    case 'readClaim':
      return store.readClaim(o.subscriberId, o.group, o.eventKey, o.perKeyClaim);
    case 'countFailure':
      return store.countFailure(o.subscriberId, o.position, o.expiresAt);
    case 'saveState':
      return store.saveState({
        subscriberId: o.subscriberId,
        expectedVersion: o.expectedVersion,
        servingMcc: '228',
        latestEventMs: 1_788_000_000_000,
        applied: { 'shardId-1': '100' },
        pending: o.pending.map((id) => requestOf(o.subscriberId, PERIODS[0], id)),
      });
    case 'saveCounters':
      return store.saveCounters({
        counters: { ...emptyCounters(o.subscriberId, o.period), eventsApplied: o.expectedVersion + 1 },
        expectedVersion: o.expectedVersion,
        applied: { 'shardId-1': '100' },
        pending: o.pending.map((id) => requestOf(o.subscriberId, o.period, id)),
      });
    case 'clearOutbox':
      return store.clearOutbox({ subscriberId: o.subscriberId, ...(o.period !== undefined && { period: o.period }), crossingIds: o.crossingIds });
    case 'load':
      return store.load(o.subscriberId, [...PERIODS]);
  }
}

let tables: LocalTables;

beforeAll(async () => {
  tables = await startLocalTables();
});

afterAll(async () => {
  await tables.stop();
});

/** The same calls for another set of subscribers: each run has its own items in the one table. */
function forRun(o: Op, run: number): Op {
  return { ...o, subscriberId: `${run}-${o.subscriberId}` };
}

describe('the in-memory usage store', () => {
  it('answers every port call as the DynamoDB adapter does', async () => {
    const dynamo = new DynamoUsageStore({ client: tables.documents, tableName: tables.usageTable });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (generated) => {
        // Arrange
        run += 1;
        const ops = generated.map((o) => forRun(o, run));
        const memory = new MemoryUsageStore();

        for (const o of ops) {
          // Act
          const [got, expected] = [await apply(memory, o), await apply(dynamo, o)];

          // Assert
          expect(got, JSON.stringify(o)).toEqual(expected);
        }
        for (const subscriberId of SUBSCRIBERS.map((s) => `${run}-${s}`)) {
          expect(await memory.load(subscriberId, [...PERIODS])).toEqual(await dynamo.load(subscriberId, [...PERIODS]));
        }
        // Every key a run named, as read back (archives included).
        const named = new Set(ops.flatMap((o) => (o.op === 'claim' ? o.keys.map((k) => `${o.subscriberId}|${o.group}|${k.eventKey}`) : o.op === 'hold' || o.op === 'readClaim' ? [`${o.subscriberId}|${o.group}|${o.eventKey}`] : [])));
        for (const entry of named) {
          const [subscriberId, g, key] = entry.split('|') as [string, string, string];
          expect(await memory.readClaim(subscriberId, g, key), entry).toEqual(await dynamo.readClaim(subscriberId, g, key));
        }
      }),
      { numRuns: 40 },
    );
  });
});
