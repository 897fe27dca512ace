/**
 * Claims grouped by subscriber and hour of eventTime: each key decided as its own conditional write
 * would have been, every item within 1 KB (so a claim write costs what the benchmark says), archives that
 * never lose a key, and sizes that agree with dynalite's own size function.
 */
import { createRequire } from 'node:module';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLAIMS_ITEM_LIMIT_BYTES, EMPTY_GROUP, claimGroupOf, decideClaims, decideHold } from '../../shared/adapters/claim-groups.js';
import { itemSize, type Item } from '../../shared/adapters/dynamo-usage-store-items.js';
import { claimGroupOf as groupOfEventTime, compactIdOf, holdIdOf, markerIdOf } from '../../shared/ingest/claim-ids.js';
import { redriveMarkerOf } from '../../shared/ingest/positions.js';
import type { KeyClaim } from '../../shared/ports/usage-store.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';

const require = createRequire(import.meta.url);
const dynaliteDb = require('dynalite/db/index.js') as { itemSize(item: unknown): number };

/** The longest subscriber id the contract allows: the largest items. */
const SUBSCRIBER = 's'.repeat(64);
const GROUP = '2026-09-14T07';
const SEQ = '49590338271490256608559692538361571095921575989136588898';

function keyClaim(n: number, by = `usage:shardId-000000000000/${SEQ}${n}`, period = '2026-09-01'): KeyClaim {
  return { eventKey: compactIdOf(`U#record-${n}`), claimedBy: compactIdOf(by), period, expiresAt: 1_790_000_000 + n };
}

function claimsItems(store: MemoryUsageStore): Item[] {
  return [...store.items.values()].filter((item) => String(item.sk).startsWith('R#T#'));
}

describe('claim ids', () => {
  it('group events by the UTC hour of their eventTime, whatever the offset it is written with', () => {
    expect(groupOfEventTime('2026-09-14T07:59:59.999Z')).toBe('2026-09-14T07');
    expect(groupOfEventTime('2026-09-14T09:30:00+02:00')).toBe('2026-09-14T07');
    expect(groupOfEventTime('2026-09-14T08:00:00Z')).toBe('2026-09-14T08');
  });

  it('give every validated eventTime the hour Date gives it, UTC or offset, with or without fractions', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.boolean(),
        (instant, offsetMinutes, withFraction) => {
          // Arrange: the instant written in UTC (`Z`) and at an offset, as the validation leaves them
          const utc = withFraction ? instant.toISOString() : instant.toISOString().replace(/\.\d{3}Z$/, 'Z');
          const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const hour = new Date(Math.floor(instant.getTime() / 1000) * 1000).toISOString().slice(0, 13);

          // Act / Assert
          expect(groupOfEventTime(utc)).toBe(hour);
          expect(groupOfEventTime(offset)).toBe(hour);
        },
      ),
    );
  });

  it('are 12 characters, the same for the same text and different for different texts', () => {
    expect(compactIdOf('U#r1')).toHaveLength(12);
    expect(compactIdOf('U#r1')).toBe(compactIdOf('U#r1'));
    expect(compactIdOf('U#r1')).not.toBe(compactIdOf('A#r1'));
  });

  it("name a record's redrive hold from its claim name's id, as its marker names it, and never as a claim", () => {
    // Arrange
    const name = `usage:shardId-000000000000/${SEQ}`;

    // Act
    const hold = holdIdOf(compactIdOf(name));

    // Assert
    expect(markerIdOf(redriveMarkerOf(name))).toBe(hold);
    expect(hold).toMatch(/^~/);
    expect(compactIdOf(name)).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('a claim in a group', () => {
  it('takes a free key and records its period', () => {
    // Act
    const decision = decideClaims(EMPTY_GROUP, [keyClaim(1)]);

    // Assert
    expect(decision.results).toEqual([{ claimed: true }]);
    expect([...decision.changes.values()]).toEqual([{ claimedBy: keyClaim(1).claimedBy, period: '2026-09-01' }]);
    expect(decision.write).toBe(true);
  });

  it('by the same record again: claimed, with the period it recorded first, and nothing to write', async () => {
    // Arrange
    const store = new MemoryUsageStore();
    await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: [keyClaim(1)] });

    // Act
    const again = await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: [keyClaim(1, undefined, '2026-09-14')] });

    // Assert
    expect(again).toEqual({ saved: true, results: [{ claimed: true, period: '2026-09-01' }], writeUnits: 0 });
  });

  it('by another record (a carrier duplicate): refused, the key left to its holder', async () => {
    // Arrange
    const store = new MemoryUsageStore();
    await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: [keyClaim(1)] });

    // Act
    const duplicate = await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: [keyClaim(1, 'usage:shardId-000000000001/7')] });

    // Assert
    expect(duplicate.results).toEqual([{ claimed: false }]);
    expect(await store.readClaim(SUBSCRIBER, GROUP, keyClaim(1).eventKey)).toEqual({ claimedBy: keyClaim(1).claimedBy, period: '2026-09-01' });
  });

  it('takes over a redrive hold it presents, keeping the period recorded before the hold', async () => {
    // Arrange: the record claimed, then was quarantined (its claim became the hold)
    const store = new MemoryUsageStore();
    const original = keyClaim(1);
    await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: [original] });
    const marker = compactIdOf('Q:usage:shardId-000000000000/1');
    const hold = await store.holdForRedrive({ subscriberId: SUBSCRIBER, group: GROUP, eventKey: original.eventKey, claimedBy: original.claimedBy, marker, expiresAt: 1 });
    const stranger = await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: [keyClaim(1, 'usage:shardId-000000000001/7')] });

    // Act
    const redriven = await store.claim({
      subscriberId: SUBSCRIBER,
      group: GROUP,
      keys: [{ ...keyClaim(1, 'usage:shardId-000000000002/9', '2026-09-14'), takesOver: [marker] }],
    });

    // Assert
    expect(hold.held).toBe(true);
    expect(stranger.results).toEqual([{ claimed: false }]);
    expect(redriven.results).toEqual([{ claimed: true, period: '2026-09-01' }]);
    expect((await store.readClaim(SUBSCRIBER, GROUP, original.eventKey))?.claimedBy).toBe(compactIdOf('usage:shardId-000000000002/9'));
  });

  it('a hold is refused on a key another record holds, and placed on a free key without a period', () => {
    // Arrange
    const held = decideClaims(EMPTY_GROUP, [keyClaim(1)]);
    const group = { ...EMPTY_GROUP, claims: held.changes };

    // Act
    const refused = decideHold(group, { subscriberId: SUBSCRIBER, group: GROUP, eventKey: keyClaim(1).eventKey, claimedBy: 'someone-else', marker: 'm', expiresAt: 1 });
    const free = decideHold(group, { subscriberId: SUBSCRIBER, group: GROUP, eventKey: keyClaim(2).eventKey, claimedBy: 'x', marker: 'm', expiresAt: 1 });

    // Assert
    expect(refused.held).toBe(false);
    expect([...free.changes.values()]).toEqual([{ claimedBy: 'm' }]);
  });

  it('extends the group to the latest expiry of its keys, never shortens it', () => {
    // Act
    const decision = decideClaims({ ...EMPTY_GROUP, expiresAt: 1_800_000_000 }, [keyClaim(1), keyClaim(2)]);

    // Assert
    expect(decision.expiresAt).toBe(1_800_000_000);
    expect(decideClaims(EMPTY_GROUP, [keyClaim(1), keyClaim(2)]).expiresAt).toBe(keyClaim(2).expiresAt);
  });
});

describe('claims items', () => {
  it('stay within 1 KB however many keys an hour holds, archives included, and lose none of them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 30 }), fc.boolean(), async (batches, mixedPeriods) => {
        // Arrange
        const store = new MemoryUsageStore();
        let n = 0;

        // Act: batches of new keys, some in another period than most
        for (const size of batches) {
          const keys = Array.from({ length: size }, () => {
            n += 1;
            return keyClaim(n, undefined, mixedPeriods && n % 3 === 0 ? '2026-08-15' : '2026-09-01');
          });
          const out = await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys });
          // Assert: one write unit per item written
          expect(out.writeUnits).toBeLessThanOrEqual(1 + Math.ceil(size / 20));
        }

        // Assert
        for (const item of claimsItems(store)) expect(itemSize(item)).toBeLessThanOrEqual(CLAIMS_ITEM_LIMIT_BYTES);
        for (let i = 1; i <= n; i++) {
          const stored = await store.readClaim(SUBSCRIBER, GROUP, keyClaim(i).eventKey);
          expect(stored).toEqual({ claimedBy: keyClaim(i).claimedBy, period: mixedPeriods && i % 3 === 0 ? '2026-08-15' : '2026-09-01' });
        }
      }),
      { numRuns: 40 },
    );
  }, 30_000);

  it('hold at least 20 keys per item (one write unit) with the longest subscriber id', async () => {
    // Arrange
    const store = new MemoryUsageStore();

    // Act
    const out = await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: Array.from({ length: 20 }, (_, i) => keyClaim(i)) });

    // Assert
    expect(out.writeUnits).toBe(1);
    expect(claimsItems(store)).toHaveLength(1);
  });

  it('are sized as dynalite sizes them', async () => {
    // Arrange
    const store = new MemoryUsageStore();
    await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: Array.from({ length: 70 }, (_, i) => keyClaim(i, undefined, i % 4 === 0 ? '2026-08-15' : '2026-09-01')) });

    // Act
    const items = claimsItems(store);

    // Assert
    expect(items.length).toBeGreaterThan(2);
    for (const item of items) expect(itemSize(item)).toBe(dynaliteDb.itemSize(marshall(item)));
  });

  it('read back as the group the head lists', async () => {
    // Arrange
    const store = new MemoryUsageStore();
    await store.claim({ subscriberId: SUBSCRIBER, group: GROUP, keys: Array.from({ length: 70 }, (_, i) => keyClaim(i)) });
    const items = claimsItems(store);
    const head = items.find((item) => item.sk === `R#T#${GROUP}`);
    const archives = new Map(items.filter((item) => item !== head).map((item) => [String(item.sk).split('#').at(-1) ?? '', item]));

    // Act
    const group = claimGroupOf(head, archives);

    // Assert
    expect(group.claims.size).toBe(70);
    expect(group.version).toBe(1);
  });
});
