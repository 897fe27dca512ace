/**
 * DynamoDB write units per event through the real handler (dynalite returns ConsumedCapacity as AWS
 * does), with carrier-duplicate protection on: per subscriber and batch, one claims write per hour of
 * eventTime and one counters write per period touched. The benchmark calls the same `measureIngest`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { measureIngest, startLocalTables, type LocalTables } from '../support/ingest-harness.js';

let tables: LocalTables;

beforeAll(async () => {
  tables = await startLocalTables();
});

afterAll(async () => {
  await tables.stop();
});

describe('write units per event', () => {
  it('is 1 claims write + 1 counters write at 1 event per subscriber per batch (the floor: two items)', async () => {
    const m = await measureIngest({ eventsPerSubscriberPerBatch: 1, tables });
    expect(m.applied).toBe(m.events);
    expect(m.writeUnitsPerEvent).toBe(2);
  });

  it('is at most 0.40 at 10 events per subscriber per batch (the target): one write per hour of eventTime and per period touched', async () => {
    const m = await measureIngest({ eventsPerSubscriberPerBatch: 10, tables });
    expect(m.applied).toBe(m.events);
    expect(m.writeUnitsPerEvent).toBeLessThanOrEqual(0.4);
    // Events one minute apart: each subscriber's 10 events of a batch span one or two hours.
    expect(m.writeUnits).toBeGreaterThanOrEqual(m.events / 10 + m.events / 10);
    expect(m.writeUnits).toBeLessThanOrEqual(m.events / 10 + (2 * m.events) / 10);
  });

  it('falls to a few hundredths at 100 events per subscriber per batch (items filled to 1 KB)', async () => {
    const m = await measureIngest({ eventsPerSubscriberPerBatch: 100, tables });
    expect(m.applied).toBe(m.events);
    expect(m.writeUnitsPerEvent).toBeLessThanOrEqual(0.1);
  });
});
