/**
 * DynamoDB write units per event through the real handler (dynalite returns ConsumedCapacity as AWS
 * does), with carrier-duplicate protection on: one claim per event plus one write per subscriber and
 * touched period per batch. The benchmark calls the same `measureIngest`.
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
  it('is 1 claim + 1 counters write at 1 event per subscriber per batch', async () => {
    const m = await measureIngest({ eventsPerSubscriberPerBatch: 1, tables });
    expect(m.applied).toBe(m.events);
    expect(m.writeUnitsPerEvent).toBe(2);
  });

  it('is at most 1.1 at 10 events per subscriber per batch (the target)', async () => {
    const m = await measureIngest({ eventsPerSubscriberPerBatch: 10, tables });
    expect(m.applied).toBe(m.events);
    expect(m.writeUnitsPerEvent).toBeLessThanOrEqual(1.1);
    expect(m.writeUnits).toBe(m.events + m.events / 10);
  });

  it('approaches 1 (the claim alone) at 100 events per subscriber per batch', async () => {
    const m = await measureIngest({ eventsPerSubscriberPerBatch: 100, tables });
    expect(m.applied).toBe(m.events);
    expect(m.writeUnitsPerEvent).toBeCloseTo(1.01, 5);
  });
});
