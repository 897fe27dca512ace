import { describe, expect, it } from 'vitest';
import { billedMs, costPerMillionEvents, kinesisBilledBytes, type CostAssumptions, type IngestCounts } from '../../bench/cost-model.js';
import type { PriceList } from '../../bench/prices.js';

/** Round prices, so that every expected figure below can be checked by hand. */
const prices: PriceList = {
  region: 'test',
  currency: 'USD',
  recorded: '2026-01-01',
  lambda: { arm64PerGbSecond: 0.00001, perMillionRequests: 0.2, source: 'test' },
  dynamodb: { perMillionWriteRequestUnits: 1, perMillionReadRequestUnits: 0.25, source: 'test' },
  kinesis: { perGbIngested: 0.08, perGbRetrieved: 0.04, perStreamHour: 0.04, source: 'test' },
  stepFunctions: { perThousandStateTransitions: 0.025, source: 'test' },
  sms: { indicativePerMessageFrance: 0.07, source: 'test' },
};

/** 2,000 events in 4 batches of 100 ms each, 1.1 write units and 0.2 read units per event. */
const counts: IngestCounts = { events: 2_000, invocations: 4, billedMs: 400, writeUnits: 2_200, readUnits: 400 };

const assumptions: CostAssumptions = {
  ingestMemoryMb: 1_024,
  eventBytes: 300,
  streamEventsPerSecond: 1_000,
  policy: {
    requestsPerMillionEvents: 500,
    stateTransitionsPerRequest: 10,
    taskInvocationsPerRequest: 4,
    taskBilledMsPerInvocation: 100,
    taskMemoryMb: 512,
    writeUnitsPerRequest: 3,
    readUnitsPerRequest: 1,
    smsPerRequest: 0.5,
  },
};

describe('costPerMillionEvents', () => {
  const cost = costPerMillionEvents(counts, assumptions, prices);

  it('prices Kinesis on records rounded up to 1 KB, in GB of 1024^3 bytes, and shares the stream-hour by rate', () => {
    // 1e6 records x 1,024 bytes = 0.95367431640625 GB.
    expect(cost.kinesisIngest).toBeCloseTo(0.95367431640625 * 0.08, 12);
    expect(cost.kinesisRetrieval).toBeCloseTo(0.95367431640625 * 0.04, 12);
    // 1e6 events at 1,000/s = 1,000 s = 0.2778 h.
    expect(cost.kinesisStreamHours).toBeCloseTo((1_000 / 3_600) * 0.04, 12);
  });

  it('scales the ingest Lambda and DynamoDB counts from the measured events to a million', () => {
    // x500: 2,000 invocations; 200 GB-s; 1.1e6 write units; 2e5 read units.
    expect(cost.lambdaRequests).toBeCloseTo(0.0004, 12);
    expect(cost.lambdaDuration).toBeCloseTo(0.002, 12);
    expect(cost.dynamodbWrites).toBeCloseTo(1.1, 12);
    expect(cost.dynamodbReads).toBeCloseTo(0.05, 12);
  });

  it('prices the policy workflow per request: transitions, task Lambdas, their DynamoDB units', () => {
    // 500 requests x 10 transitions = 5,000 transitions.
    expect(cost.stepFunctions).toBeCloseTo(0.125, 12);
    // 2,000 task invocations: 0.0004 of requests + 2,000 x 0.5 GB x 0.1 s = 100 GB-s.
    expect(cost.policyTasks).toBeCloseTo(0.0004 + 0.001, 12);
    // 1,500 write units + 500 read units.
    expect(cost.policyDynamodb).toBeCloseTo(0.0015 + 0.000125, 12);
  });

  it('sums the ingest path and the total, and counts SMS without pricing them', () => {
    const ingestPath =
      0.95367431640625 * 0.12 + (1_000 / 3_600) * 0.04 + 0.0004 + 0.002 + 1.1 + 0.05;
    expect(cost.ingestPath).toBeCloseTo(ingestPath, 12);
    expect(cost.total).toBeCloseTo(ingestPath + 0.125 + 0.0014 + 0.001625, 12);
    expect(cost.smsPerMillionEvents).toBe(250);
  });

  it('charges transactional write units as counted: four units per event cost four times one', () => {
    const oneUnit = costPerMillionEvents({ ...counts, writeUnits: 2_000 }, assumptions, prices);
    const fourUnits = costPerMillionEvents({ ...counts, writeUnits: 8_000 }, assumptions, prices);

    expect(fourUnits.dynamodbWrites).toBeCloseTo(4 * oneUnit.dynamodbWrites, 12);
    expect(fourUnits.dynamodbWrites).toBeCloseTo(4, 12);
  });

  it('refuses zero events or a zero stream rate, naming the input', () => {
    expect(() => costPerMillionEvents({ ...counts, events: 0 }, assumptions, prices)).toThrow(/events: must be > 0/);
    expect(() => costPerMillionEvents(counts, { ...assumptions, streamEventsPerSecond: 0 }, prices)).toThrow(
      /streamEventsPerSecond: must be > 0/,
    );
  });
});

describe('billedMs', () => {
  it('rounds each invocation up to the millisecond, at least 1 ms', () => {
    expect(billedMs(0)).toBe(1);
    expect(billedMs(0.2)).toBe(1);
    expect(billedMs(12)).toBe(12);
    expect(billedMs(12.0001)).toBe(13);
    expect(() => billedMs(-1)).toThrow(/durationMs/);
  });
});

describe('kinesisBilledBytes', () => {
  it('rounds a record up to the next 1,024 bytes', () => {
    expect(kinesisBilledBytes(1)).toBe(1_024);
    expect(kinesisBilledBytes(1_024)).toBe(1_024);
    expect(kinesisBilledBytes(1_025)).toBe(2_048);
    expect(() => kinesisBilledBytes(0)).toThrow(/recordBytes/);
  });
});
