/**
 * Nothing lost on bad input: records that are not JSON, fail the schema or name an unknown subscriber
 * go to the quarantine with a reason naming the field, the raw payload and the stream position, while
 * the rest of the batch applies; a quarantine that cannot store them gets them delivered again.
 */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { kinesisEventOf, MemoryQuarantine, sequenceNumberOf, type StreamInput } from '../support/ingest-harness.js';
import type { Quarantine } from '../../shared/ports/quarantine.js';
import { profileOf, rigOf, SHARD, startIngestTables } from './ingest-support.js';

const db = await startIngestTables();
const { usage, profiles } = db;

function good(subscriberId: string, n: number): string {
  return JSON.stringify({
    recordId: `${subscriberId}-${n}`,
    subscriberId,
    eventTime: '2026-09-10T07:00:00Z',
    service: 'data',
    volumeBytes: 1_000_000,
    servingPlmn: '20801',
    chargeMicros: 100_000,
  });
}

function batchFor(subscriberId: string): { inputs: StreamInput[]; bad: Record<string, StreamInput> } {
  const payloads = [
    good(subscriberId, 1),
    '{"recordId": "broken", "subscriberId": ',
    good(subscriberId, 2),
    JSON.stringify({ recordId: 'neg', subscriberId, eventTime: '2026-09-10T07:00:00Z', service: 'data', volumeBytes: -5, servingPlmn: '20801' }),
    good('nobody-knows-me', 1),
    good(subscriberId, 3),
  ];
  const inputs = payloads.map((payload, i) => ({ shardId: SHARD, sequenceNumber: sequenceNumberOf(i + 1), payload }));
  return { inputs, bad: { json: inputs[1] as StreamInput, schema: inputs[3] as StreamInput, unknown: inputs[4] as StreamInput } };
}

describe('bad events go to the quarantine and the rest of the batch applies', () => {
  it('keeps each bad record with its reason, raw payload and position; applies the good ones', async () => {
    const subscriberId = 'q-good';
    await profiles.put(profileOf({ subscriberId, msisdn: '+33644444444', plan: { dataAllowanceBytes: 1_000_000_000 } }));
    const { handler, quarantine, results } = rigOf(db);
    const { inputs, bad } = batchFor(subscriberId);

    const response = await handler(kinesisEventOf(inputs));

    expect(response.batchItemFailures).toEqual([]);
    expect(quarantine.items).toHaveLength(3);
    const bySeq = new Map(quarantine.items.map((i) => [i.position?.sequenceNumber, i]));
    const json = bySeq.get(bad.json?.sequenceNumber);
    expect(json?.reason).toMatch(/^not valid JSON/);
    expect(json?.raw).toBe(bad.json?.payload);
    expect(json?.position).toEqual({ stream: 'usage', shardId: SHARD, sequenceNumber: bad.json?.sequenceNumber, arrivalTime: expect.any(Number) });
    expect(json?.fault).toBe('record');
    const schema = bySeq.get(bad.schema?.sequenceNumber);
    expect(schema?.reason).toContain('volumeBytes');
    expect(schema?.recordId).toBe('neg');
    expect(bySeq.get(bad.unknown?.sequenceNumber)?.reason).toMatch(/^subscriberId: unknown subscriber/);
    const counters = (await usage.load(subscriberId, ['2026-09-01'])).counters.get('2026-09-01')?.counters;
    expect(counters?.eventsApplied).toBe(3);
    expect(counters?.dataBytes).toBe(3_000_000);
    expect(results[0]?.stats.rejected).toBe(3);
    expect(results[0]?.stats.applied).toBe(3);
  });

  it('fails back only the bad records when the quarantine cannot store them, and never loses them', async () => {
    const subscriberId = 'q-down';
    await profiles.put(profileOf({ subscriberId, msisdn: '+33655555555', plan: { dataAllowanceBytes: 1_000_000_000 } }));
    const kept = new MemoryQuarantine();
    let down = true;
    const flaky: Quarantine = {
      reject: async (items) => {
        if (down) throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
        await kept.reject(items);
      },
    };
    const { handler } = rigOf(db, { quarantine: flaky });
    const { inputs, bad } = batchFor(subscriberId);

    const response = await handler(kinesisEventOf(inputs));
    down = false;
    const lowest = inputs.findIndex((i) => i.sequenceNumber === bad.json?.sequenceNumber);
    const retry = await handler(kinesisEventOf(inputs.slice(lowest)));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [bad.json, bad.schema, bad.unknown].map((i) => i?.sequenceNumber).sort(),
    );
    expect(retry.batchItemFailures).toEqual([]);
    expect(kept.items.map((i) => i.position?.sequenceNumber).sort()).toEqual(
      [bad.json, bad.schema, bad.unknown].map((i) => i?.sequenceNumber).sort(),
    );
    const counters = (await usage.load(subscriberId, ['2026-09-01'])).counters.get('2026-09-01')?.counters;
    expect(counters?.eventsApplied).toBe(3);
  });
});
