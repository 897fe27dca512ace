/**
 * Exactly-once ingest through the real handler against dynalite, under every delivery fault of a
 * Kinesis stream and Lambda: (a) whole batch redelivered, (b) bisected halves, (c) partial retry from a
 * sequence number, (d) carrier duplicates, (e) a crash between any two writes, (f) concurrent
 * invocations for the same subscriber. Each asserts the exact counters of the unique events and exactly
 * one workflow execution per crossing.
 */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { kinesisEventOf, RecordingWorkflowStarter, type StreamInput } from '../support/ingest-harness.js';
import type { IngestHandler } from '../../functions/ingest-events/handler.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
import type { Quarantine } from '../../shared/ports/quarantine.js';
import { compareSequenceNumbers } from '../../shared/ingest/positions.js';
import { Crash, invoke, oracle, rigOf, startIngestTables, story, type Rig, type Story } from './ingest-support.js';

const db = await startIngestTables();
const { usage, profiles } = db;

function rig(workflows: PolicyWorkflowStarter, store: UsageStore = usage): Rig<PolicyWorkflowStarter, Quarantine> {
  return rigOf(db, { starter: workflows, store });
}

async function given(prefix: string, options?: Parameters<typeof story>[1]): Promise<Story> {
  const s = story(prefix, options);
  for (const p of s.profiles) await profiles.put(p);
  return s;
}

/** Lambda's event source mapping: batches in order; a failure resumes at the lowest failed record. */
async function drive(handler: IngestHandler, inputs: readonly StreamInput[], batchSize: number): Promise<void> {
  let from = 0;
  for (let guard = 0; from < inputs.length; guard++) {
    if (guard > 200) throw new Error('drive: no progress');
    const batch = inputs.slice(from, from + batchSize);
    const failed = await invoke(handler, batch, kinesisEventOf);
    if (failed.length === 0) {
      from += batch.length;
      continue;
    }
    const lowest = failed.reduce((a, b) => (compareSequenceNumbers(a, b) <= 0 ? a : b));
    from = inputs.findIndex((i) => i.sequenceNumber === lowest);
  }
}

async function expectExactly(s: Story, starter: RecordingWorkflowStarter, inputs: readonly StreamInput[] = s.inputs): Promise<void> {
  const expected = oracle(inputs, s.profiles);
  for (const profile of s.profiles) {
    const periods = [...(expected.counters.get(profile.subscriberId)?.keys() ?? [])];
    const stored = await usage.load(profile.subscriberId, periods);
    for (const period of periods) {
      expect(stored.counters.get(period)?.counters, `${profile.subscriberId} ${period}`).toEqual(
        expected.counters.get(profile.subscriberId)?.get(period),
      );
    }
  }
  const started = new Set(starter.executions.map(executionNameOf));
  expect(started).toEqual(expected.executionNames);
  expect(starter.executions).toHaveLength(expected.requests.length);
}

describe('the story itself', () => {
  it('crosses thresholds in two periods and holds carrier duplicates, so the checks below mean something', () => {
    const s = story('x');
    const expected = oracle(s.inputs, s.profiles);
    const roamer = expected.counters.get(s.ids.roamer)?.get('2026-09-01');
    expect(roamer?.roaming.chargeMicros).toBe(24 * 2_500_000);
    expect(roamer?.roaming.billableMicros).toBe(50_000_000);
    expect(roamer?.eventsApplied).toBe(24);
    expect(expected.counters.get(s.ids.boundary)?.get('2026-09-01')?.overage.chargeMicros).toBe(90_000_000);
    expect(expected.counters.get(s.ids.boundary)?.get('2026-10-01')?.overage.chargeMicros).toBe(60_000_000);
    expect(expected.requests.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['ROAMING_WELCOME', 'ROAMING_SPEND_80', 'ROAMING_CAP_REACHED', 'DATA_ALLOWANCE_80', 'DATA_ALLOWANCE_100', 'OVERAGE_CAP_REACHED']),
    );
    expect(expected.requests.filter((r) => r.kind === 'ROAMING_WELCOME')).toHaveLength(2);
    expect(s.inputs.length - expected.uniqueEvents).toBe(5);
  });
});

describe('ingest is exactly once', () => {
  it('(a) the whole batch redelivered, to the same and to a new container, changes nothing', async () => {
    const s = await given('a');
    const starter = new RecordingWorkflowStarter();
    const first = rig(starter);

    await drive(first.handler, s.inputs, 100);
    await drive(first.handler, s.inputs, 100);
    await drive(rig(starter).handler, s.inputs, 100);

    await expectExactly(s, starter);
    expect(first.results[1]?.stats.redelivered).toBe(s.inputs.length);
    expect(first.results[1]?.stats.applied).toBe(0);
    // The container that started them knows: no second start call at all.
    expect(first.results[1]?.stats.starts).toBe(0);
  });

  it('(b) bisected halves after a failed batch, then the halves again', async () => {
    const s = await given('b');
    const starter = new RecordingWorkflowStarter();
    const crash = new Crash(20);
    const crashed = rig(crash.starter(starter), crash.store(usage));
    const healthy = rig(starter);
    const half = Math.floor(s.inputs.length / 2);

    await invoke(crashed.handler, s.inputs, kinesisEventOf);
    await drive(healthy.handler, s.inputs.slice(0, half), 100);
    await drive(healthy.handler, s.inputs.slice(half), 100);
    await drive(healthy.handler, s.inputs.slice(0, half), 100);
    await drive(healthy.handler, s.inputs.slice(half), 100);

    expect(crash.crashed).toBe(true);
    await expectExactly(s, starter);
  });

  it('(c) a transient failure of one subscriber retries only from its first record', async () => {
    const s = await given('c');
    const starter = new RecordingWorkflowStarter();
    let throttled = false;
    const throttling: UsageStore = {
      ...usage,
      load: (id, periods) => usage.load(id, periods),
      claim: (c) => usage.claim(c),
      saveState: (w) => usage.saveState(w),
      clearOutbox: (c) => usage.clearOutbox(c),
      saveCounters: async (w) => {
        if (!throttled && w.counters.subscriberId === s.ids.home) {
          throttled = true;
          throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
        }
        return usage.saveCounters(w);
      },
    };
    const r = rig(starter, throttling);

    const failed = await invoke(r.handler, s.inputs, kinesisEventOf);
    const homeSequences = s.inputs.filter((i) => typeof i.payload !== 'string' && i.payload.subscriberId === s.ids.home).map((i) => i.sequenceNumber);
    expect(failed.sort()).toEqual([...homeSequences].sort());
    const lowest = failed.reduce((a, b) => (compareSequenceNumbers(a, b) <= 0 ? a : b));
    const tail = s.inputs.slice(s.inputs.findIndex((i) => i.sequenceNumber === lowest));
    await drive(r.handler, tail, 100);

    await expectExactly(s, starter);
    const retry = r.results[1]?.stats;
    expect(retry?.redelivered).toBeGreaterThan(0);
    expect(retry?.applied).toBe(20);
    expect(starter.rawStarts).toBe(starter.executions.length);
  });

  it('(d) carrier duplicates with new sequence numbers, in the same batch and in later batches, count once', async () => {
    const s = await given('d');
    const starter = new RecordingWorkflowStarter();
    const r = rig(starter);

    await drive(r.handler, s.inputs, 10);

    await expectExactly(s, starter);
    const duplicates = r.results.reduce((n, x) => n + x.stats.duplicates, 0);
    const applied = r.results.reduce((n, x) => n + x.stats.applied, 0);
    expect(duplicates).toBe(5);
    expect(applied).toBe(oracle(s.inputs, s.profiles).uniqueEvents);
  });

  it('(e) a crash between any two writes or starts, then the batch redelivered, gives exact totals', async () => {
    const probe = await given('e-probe');
    const counting = new Crash(Number.MAX_SAFE_INTEGER);
    await drive(rig(counting.starter(new RecordingWorkflowStarter()), counting.store(usage)).handler, probe.inputs, 100);
    const operations = counting.operations;
    // Claims are one write per subscriber and hour of eventTime: still dozens of crash points.
    expect(operations).toBeGreaterThan(30);

    for (let n = 0; n < operations; n++) {
      const s = await given(`e${n}`);
      const starter = new RecordingWorkflowStarter();
      const crash = new Crash(n);

      await invoke(rig(crash.starter(starter), crash.store(usage)).handler, s.inputs, kinesisEventOf);
      await drive(rig(starter).handler, s.inputs, 100);

      expect(crash.crashed, `crash point ${n}`).toBe(true);
      await expectExactly(s, starter);
    }
    // Dozens of crash points, each a fresh subscriber set on dynalite: more than a minute on a busy machine.
  }, 180_000);

  it('(e) crashes mid-way through smaller batches, each followed by the retry Lambda makes', async () => {
    const s = await given('e-small');
    const starter = new RecordingWorkflowStarter();
    for (let from = 0; from < s.inputs.length; from += 7) {
      const batch = s.inputs.slice(from, from + 7);
      const crash = new Crash(3);
      await invoke(rig(crash.starter(starter), crash.store(usage)).handler, batch, kinesisEventOf);
      await drive(rig(starter).handler, batch, 7);
    }
    await expectExactly(s, starter);
  });

  it('(f) the same batch delivered to two invocations at once', async () => {
    const s = await given('f1');
    const starter = new RecordingWorkflowStarter();

    await Promise.all([drive(rig(starter).handler, s.inputs, 100), drive(rig(starter).handler, s.inputs, 100)]);

    await expectExactly(s, starter);
  });

  it('(f) two shards with records of the same subscribers (and a duplicate across them) at once', async () => {
    // Order across shards is not defined, so compare what does not depend on it: sums and the crossings.
    const s = await given('f2');
    const base = s.inputs.filter((i) => typeof i.payload !== 'string' && i.payload.subscriberId === s.ids.home);
    const shardA = base.slice(0, 11).map((i, k) => ({ ...i, shardId: 'shardId-00000000000a', sequenceNumber: `${100 + k}` }));
    const shardB = base.slice(10).map((i, k) => ({ ...i, shardId: 'shardId-00000000000b', sequenceNumber: `${100 + k}` }));
    const shared = new RecordingWorkflowStarter();

    await Promise.all([drive(rig(shared).handler, shardA, 3), drive(rig(shared).handler, shardB, 4)]);

    const expected = oracle(base, s.profiles);
    const stored = (await usage.load(s.ids.home, ['2026-09-01'])).counters.get('2026-09-01')?.counters;
    const want = expected.counters.get(s.ids.home)?.get('2026-09-01');
    expect(stored?.dataBytes).toBe(want?.dataBytes);
    expect(stored?.allowanceBytes).toBe(want?.allowanceBytes);
    expect(stored?.overage).toEqual(want?.overage);
    expect(stored?.eventsApplied).toBe(want?.eventsApplied);
    expect(Object.keys(stored?.fired ?? {}).sort()).toEqual(Object.keys(want?.fired ?? {}).sort());
    expect(new Set(shared.executions.map(executionNameOf))).toEqual(expected.executionNames);
    expect(shared.executions).toHaveLength(expected.requests.length);
  });

  it('(f) four invocations racing on the same three subscribers keep exact sums', async () => {
    const s = await given('f3');
    const shards = [0, 1, 2, 3].map((k) =>
      s.inputs
        .filter((_, i) => i % 4 === k)
        .filter((i) => typeof i.payload !== 'string' && i.payload.type === 'usage')
        .map((i, j) => ({ ...i, shardId: `shardId-race-${k}`, sequenceNumber: `${1000 + j}` })),
    );
    const shared = new RecordingWorkflowStarter();
    const all = shards.flat();

    const runs = await Promise.all(shards.map(async (inputs) => {
      const r = rig(shared);
      await drive(r.handler, inputs, 5);
      return r.results;
    }));

    const expected = oracle(all, s.profiles);
    for (const profile of s.profiles) {
      const want = expected.counters.get(profile.subscriberId);
      const stored = await usage.load(profile.subscriberId, [...(want?.keys() ?? [])]);
      for (const [period, counters] of want ?? []) {
        const got = stored.counters.get(period)?.counters;
        expect(got?.dataBytes).toBe(counters.dataBytes);
        expect(got?.roaming.chargeMicros).toBe(counters.roaming.chargeMicros);
        expect(got?.overage.chargeMicros).toBe(counters.overage.chargeMicros);
        expect(got?.eventsApplied).toBe(counters.eventsApplied);
        expect(Object.keys(got?.fired ?? {}).sort()).toEqual(Object.keys(counters.fired).sort());
      }
    }
    const crossingNames = new Set(expected.requests.filter((r) => r.kind !== 'ROAMING_WELCOME').map(executionNameOf));
    expect(new Set(shared.executions.filter((r) => r.kind !== 'ROAMING_WELCOME').map(executionNameOf))).toEqual(crossingNames);
    const totalApplied = runs.flat().reduce((n, r) => n + r.stats.applied, 0);
    expect(totalApplied).toBe(expected.uniqueEvents);
  });
});
