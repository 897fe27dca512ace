/**
 * The replay's in-memory usage store (local/memory-stores.ts) drops claims as DynamoDB's TTL does. That it
 * answers every port call as the DynamoDB adapter does is test/integration/memory-usage-store.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KeyClaim } from '../../shared/ports/usage-store.js';
import { MemoryUsageStore } from '../../local/memory-stores.js';

const SUBSCRIBERS = ['208010000000001'] as const;
const PERIODS = ['2026-09-01'] as const;
const NAMES = ['s:shardId-1/100', 's:shardId-1/200'] as const;
const GROUPS = ['2026-09-10T07'] as const;
const KEYS = Array.from({ length: 60 }, (_, i) => `r${i}`);

describe('the replay memory usage store', () => {
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
