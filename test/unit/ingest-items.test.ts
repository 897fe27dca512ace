/**
 * Usage table items: what is stored round-trips, sizes follow the DynamoDB rules (cross-checked against
 * dynalite's own size function), and a counters item stays under 1 KB so each write costs one unit.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  countersItem,
  itemSize,
  stateAttributes,
  storedCountersOf,
  storedStateOf,
  writeUnitsOf,
  type Item,
} from '../../shared/adapters/dynamo-usage-store-items.js';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { PeriodCounters } from '../../shared/domain/model.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import { compareSequenceNumbers } from '../../shared/ingest/positions.js';

const require = createRequire(import.meta.url);
const dynaliteDb = require('dynalite/db/index.js') as { itemSize(item: unknown): number };

const SEQ = '49590338271490256608559692538361571095921575989136588898';

function busyCounters(): PeriodCounters {
  return {
    ...emptyCounters('208011234567890', '2026-09-01'),
    dataBytes: 123_456_789_012,
    roamingDataBytes: 98_765_432_109,
    allowanceBytes: 50_000_000_000,
    voiceSeconds: 123_456,
    smsCount: 9_999,
    roaming: { chargeMicros: 987_654_321, billableMicros: 50_000_000, writtenOffMicros: 937_654_321 },
    overage: { chargeMicros: 123_456_789, billableMicros: 50_000_000, writtenOffMicros: 73_456_789 },
    consent: { roaming: true, overage: false },
    fired: {
      DATA_ALLOWANCE_80: '2026-09-10T07:00:00Z',
      DATA_ALLOWANCE_100: '2026-09-11T07:00:00Z',
      'ROAMING_SPEND_80@50000000': '2026-09-12T07:00:00Z',
      'ROAMING_CAP_REACHED@50000000': '2026-09-13T07:00:00Z',
      'OVERAGE_SPEND_80@50000000': '2026-09-14T07:00:00Z',
      'OVERAGE_CAP_REACHED@50000000': '2026-09-15T07:00:00Z',
      BILL_SHOCK_ALERT: '2026-09-16T07:00:00Z',
    },
    eventsApplied: 123_456,
  };
}

const request: PolicyRequest = {
  kind: 'ROAMING_CAP_REACHED',
  subscriberId: '208011234567890',
  period: '2026-09-01',
  crossingId: 'ROAMING_CAP_REACHED@50000000',
  at: '2026-09-13T07:00:00Z',
  bucket: 'roaming',
  servingPlmn: '22801',
  spentMicros: 50_000_000,
};

describe('counters item', () => {
  it('round-trips counters, version, watermarks and the outbox', () => {
    const counters = busyCounters();
    const welcome: PolicyRequest = { kind: 'ROAMING_WELCOME', subscriberId: counters.subscriberId, period: '2026-09-01', crossingId: 'ROAMING_WELCOME#U#r1', at: '2026-09-10T07:00:00Z', servingPlmn: '22801' };

    const stored = storedCountersOf(countersItem({ counters, version: 7, applied: { 'shardId-000000000001': SEQ }, pending: [request, welcome] }));

    expect(stored).toEqual({ counters, version: 7, applied: { 'shardId-000000000001': SEQ }, pending: [request, welcome] });
  });

  it('stays under 1 KB with every threshold fired, two shards and an outbox entry: one write unit', () => {
    const item = countersItem({
      counters: busyCounters(),
      version: 123_456,
      applied: { 'shardId-000000000001': SEQ, 'shardId-000000000002': SEQ },
      pending: [request],
    });

    expect(itemSize(item)).toBeLessThan(1024);
    expect(writeUnitsOf(itemSize(item))).toBe(1);
  });
});

describe('STATE attributes', () => {
  it('sets only ingest attributes and removes an MCC back home or an emptied outbox', () => {
    const { set, remove } = stateAttributes({ version: 3, applied: { s: '5' }, pending: [] });

    expect(Object.keys(set).sort()).toEqual(['a', 'v']);
    expect(remove.sort()).toEqual(['m', 'p']);
  });

  it('reads back the serving MCC and the pending welcomes; a bar-only item has version 0', () => {
    const { set } = stateAttributes({ version: 2, servingMcc: '228', applied: { s: '9' }, pending: [request] });
    const item: Item = { pk: request.subscriberId, sk: 'STATE', ...set, barDataRoaming: { period: '2026-09-01' } };

    expect(storedStateOf(request.subscriberId, item)).toEqual({ version: 2, servingMcc: '228', applied: { s: '9' }, pending: [request] });
    expect(storedStateOf('x', { pk: 'x', sk: 'STATE', barDataRoaming: { period: '2026-09-01' } }).version).toBe(0);
  });
});

describe('item size', () => {
  it('follows the DynamoDB rules on known items', () => {
    expect(itemSize({ name: 'abc' })).toBe(7);
    expect(itemSize({ n: 123 })).toBe(1 + 3);
    expect(itemSize({ b: true })).toBe(2);
    expect(itemSize({ m: { x: 'ab' } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(writeUnitsOf(1024)).toBe(1);
    expect(writeUnitsOf(1025)).toBe(2);
    expect(writeUnitsOf(10, 3000)).toBe(3);
  });

  it('agrees with dynalite on counters items of any content', () => {
    const counters = fc.record({
      dataBytes: fc.oneof(fc.nat({ max: 2 ** 50 }), fc.constantFrom(10, 100, 1000, 1_000_000, 1_200_000_000)),
      voiceSeconds: fc.integer({ min: -1_000_000, max: 1_000_000 }),
      charge: fc.nat({ max: 2 ** 40 }),
      fired: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_@]{0,29}$/), fc.constant('2026-09-10T07:00:00Z'), { maxKeys: 7 }),
      shards: fc.dictionary(fc.stringMatching(/^shardId-[0-9]{1,12}$/), fc.constant(SEQ), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(counters, (c) => {
        const item = countersItem({
          counters: {
            ...emptyCounters('S', '2026-09-01'),
            dataBytes: c.dataBytes,
            voiceSeconds: c.voiceSeconds,
            roaming: { chargeMicros: c.charge, billableMicros: c.charge, writtenOffMicros: 0 },
            fired: c.fired,
          },
          version: 1,
          applied: c.shards,
          pending: [],
        });
        expect(itemSize(item)).toBe(dynaliteDb.itemSize(marshall(item)));
      }),
    );
  });
});

describe('sequence numbers', () => {
  it('order by value, beyond what a double holds', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers(`${SEQ.slice(0, -1)}9`, SEQ)).toBe(1);
    expect(compareSequenceNumbers(SEQ, SEQ)).toBe(0);
  });
});
