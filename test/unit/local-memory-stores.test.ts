/**
 * The replay's in-memory usage store (local/memory-stores.ts) answers every call of the UsageStore and
 * FailureLedger ports exactly as the reference in-memory store does (test/support/memory-usage-store.ts,
 * itself held to the DynamoDB adapter's conditions by the ingest tests): same outcomes, same write units,
 * same items read back, for any sequence of claims, holds, failures, writes and outbox clears. Claims come
 * in groups (subscriber and hour), sometimes of many keys, so that heads outgrow one item into archives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import type { FailureLedger, KeyClaim, UsageStore } from '../../shared/ports/usage-store.js';
import { MemoryUsageStore } from '../../local/memory-stores.js';
import { MemoryUsageStore as ReferenceUsageStore } from '../support/memory-usage-store.js';

const SUBSCRIBERS = ['208010000000001', '208010000000002'] as const;
const PERIODS = ['2026-09-01', '2026-10-01'] as const;
const NAMES = ['s:shardId-1/100', 's:shardId-1/200', 's:shardId-2/100'] as const;
const LEGACY = ['shardId-1/100', 'shardId-1/200'] as const;
const MARKERS = ['REDRIVE#q1', 'REDRIVE#q2'] as const;

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
}

type Op =
  | { op: 'claim'; subscriberId: string; group: string; keys: KeyOp[] }
  | { op: 'hold'; subscriberId: string; group: string; eventKey: string; claimedBy: string; legacy?: string; marker: string; expiresAt: number }
  | { op: 'readClaim'; subscriberId: string; group: string; eventKey: string }
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
    keys: fc.array(fc.record({ eventKey, claimedBy: fc.constantFrom(...NAMES), takesOver: fc.subarray([...MARKERS]), period, expiresAt }), {
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
    legacy: fc.option(fc.constantFrom(...LEGACY), { nil: undefined }),
    marker: fc.constantFrom(...MARKERS),
    expiresAt,
  }),
  fc.record({ op: fc.constant('readClaim' as const), subscriberId: subscriber, group, eventKey }),
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
        ...(o.legacy !== undefined && { claimedByLegacy: o.legacy }),
        marker: o.marker,
        expiresAt: o.expiresAt,
      });
    case 'readClaim':
      return store.readClaim(o.subscriberId, o.group, o.eventKey);
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

describe('the replay memory usage store', () => {
  it('answers every port call as the reference store does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        // Arrange
        const local = new MemoryUsageStore();
        const reference = new ReferenceUsageStore();

        for (const o of ops) {
          // Act
          const [got, expected] = [await apply(local, o), await apply(reference, o)];

          // Assert
          expect(got, JSON.stringify(o)).toEqual(expected);
        }
        for (const subscriberId of SUBSCRIBERS) {
          expect(await local.load(subscriberId, [...PERIODS])).toEqual(await reference.load(subscriberId, [...PERIODS]));
          for (const g of GROUPS) {
            for (const key of KEYS) expect(await local.readClaim(subscriberId, g, key)).toEqual(await reference.readClaim(subscriberId, g, key));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('drops a group, head and archives, only once its latest expiry has passed, and then lets another record take its keys', async () => {
    // Arrange
    const store = new MemoryUsageStore();
    const expiry = 1_790_000_000;
    const [subscriberId, g] = [SUBSCRIBERS[0], GROUPS[0]];
    // 60 keys: more than one 1 KB item holds, so the group has archives; one key expires a day later.
    const keysOf = (claimedBy: string, at: number): KeyClaim[] =>
      KEYS.slice(0, 60).map((key, i) => ({ eventKey: key, claimedBy, period: PERIODS[0], expiresAt: i === 59 ? at + 86_400 : at }));
    const first = await store.claim({ subscriberId, group: g, keys: keysOf(NAMES[0], expiry) });

    // Act
    store.expireClaims((expiry + 86_400) * 1000);
    const duplicateAtExpiry = await store.claim({ subscriberId, group: g, keys: keysOf(NAMES[1], expiry) });
    const heldAtExpiry = store.claims;
    // Sweeps run at most once per day of virtual time (they walk every group).
    store.expireClaims((expiry + 2 * 86_400) * 1000);
    const afterExpiry = await Promise.all(KEYS.slice(0, 60).map((key) => store.readClaim(subscriberId, g, key)));
    const heldAfter = store.claims;
    const retaken = await store.claim({ subscriberId, group: g, keys: keysOf(NAMES[1], expiry + 86_400 * 46) });

    // Assert
    expect(first.writeUnits).toBeGreaterThan(1);
    expect(duplicateAtExpiry.results.every((r) => !r.claimed)).toBe(true);
    expect(heldAtExpiry).toBe(60);
    expect(afterExpiry.every((claim) => claim === undefined)).toBe(true);
    expect(heldAfter).toBe(0);
    expect(retaken.results.every((r) => r.claimed)).toBe(true);
    expect(retaken.writeUnits).toBe(first.writeUnits);
    expect(store.claims).toBe(60);
  });
});
