/**
 * The replay's report does not depend on how lines are batched, nor on which store holds the pipeline's
 * data: for traffic from the project's generator in its edge-case form (several subscribers at home and
 * abroad, duplicates, late records, bad lines, caps reached and lifted at period starts, every kind of billing
 * cycle day and time zone), waves of any size give, byte for byte after sorting, the report of one event at a
 * time; one run in four also replays on the DynamoDB adapters (dynalite) and must give it too.
 *
 * Seeded: fast-check prints the seed and the failing case (the generator's knobs) on failure; set
 * SPENDCAP_PROPERTY_SEED to run a seed again (and SPENDCAP_PROPERTY_RUNS for more runs). The files of a case come back with
 * `npx tsx local/generate-traffic.ts --edge-cases --seed <trafficSeed> --events <events> --subscribers <subscribers>
 * --days <days> --travellers <travellers> --out <dir>`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type LocalEmulators } from '../../local/emulators.js';
import { trafficOf } from '../../local/generate-traffic.js';
import { runReplay, type ReplayOptions } from '../../local/replay.js';
import { canonicalReportJson as canonical } from '../../local/replay-report.js';
import { commandsOf, data, EUR, MB, notesOf, profile, replay, subscriberOf } from './support/replay-scenario.js';

/** At least 200 generated files in CI; SPENDCAP_PROPERTY_RUNS asks for more (a longer hunt on a laptop). */
const RUNS = Math.max(200, Number(process.env.SPENDCAP_PROPERTY_RUNS ?? 0));
const SEED = process.env.SPENDCAP_PROPERTY_SEED === undefined ? Date.now() ^ (process.pid << 8) : Number(process.env.SPENDCAP_PROPERTY_SEED);

let emulators: LocalEmulators;
const work = mkdtempSync(join(tmpdir(), 'spendcap-waves-property-'));

beforeAll(async () => {
  // One set of emulators for every dynalite run (each run makes and drops tables of its own).
  emulators = await startEmulators({ env: { ...process.env } });
});

afterAll(async () => {
  await emulators.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Where two canonical reports first differ, short enough to read in a failure. */
function firstDifference(expected: string, actual: string): string {
  let i = 0;
  while (i < expected.length && expected[i] === actual[i]) i++;
  return `at character ${i}: expected ...${expected.slice(Math.max(0, i - 200), i + 200)}... got ...${actual.slice(Math.max(0, i - 200), i + 200)}...`;
}

const caseArb = fc.record({
  trafficSeed: fc.integer({ min: 1, max: 0x7fffffff }),
  events: fc.integer({ min: 4, max: 60 }),
  subscribers: fc.integer({ min: 1, max: 6 }),
  days: fc.integer({ min: 2, max: 80 }),
  travellers: fc.constantFrom(0.3, 0.6, 1),
  // Small waves cut through every subscriber's history; 10,000 takes each file in one wave.
  wave: fc.oneof(fc.integer({ min: 2, max: 9 }), fc.constant(10_000)),
  onDynalite: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

let caseNumber = 0;

describe('replay: the report does not depend on the waves or the store', () => {
  it(
    `equals one event at a time for waves of any size, on ${RUNS} generated files (seed ${SEED})`,
    async () => {
      let bars = 0;
      let lifts = 0;
      let late = 0;
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const traffic = trafficOf({ seed: c.trafficSeed, events: c.events, subscribers: c.subscribers, days: c.days, travellers: c.travellers, edgeCases: true });
          const name = join(work, String(++caseNumber));
          const paths: ReplayOptions = { subscribersFile: `${name}.subscribers.json`, eventsFile: `${name}.events.jsonl`, progress: false };
          writeFileSync(paths.subscribersFile, JSON.stringify(traffic.profiles));
          writeFileSync(paths.eventsFile, `${[...traffic.lines].join('\n')}\n`);
          try {
            const oneByOne = await runReplay({ ...paths, maxWave: 1 });
            const expected = canonical(oneByOne);
            const inWaves = canonical(await runReplay({ ...paths, maxWave: c.wave }));
            if (inWaves !== expected) throw new Error(`waves of ${c.wave} differ from one event at a time ${firstDifference(expected, inWaves)}`);
            if (c.onDynalite) {
              const onDynalite = canonical(await runReplay({ ...paths, maxWave: c.wave, store: 'dynalite', emulators }));
              if (onDynalite !== expected) throw new Error(`dynalite, waves of ${c.wave}, differs from memory, one at a time ${firstDifference(expected, onDynalite)}`);
            }
            for (const s of oneByOne.subscribers) {
              for (const command of s.carrierCommands) {
                if (command.command.startsWith('BAR')) bars++;
                else lifts++;
              }
              for (const p of s.periods) if (p.roaming.writtenOffMicros + p.overage.writtenOffMicros > 0) late++;
            }
          } finally {
            rmSync(paths.subscribersFile, { force: true });
            rmSync(paths.eventsFile, { force: true });
          }
        }),
        { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 20 * 60_000, markInterruptAsFailure: true },
      );

      // The generated files did exercise what the property is about: bars, and lifts at period starts.
      expect(bars).toBeGreaterThan(RUNS / 4);
      expect(lifts).toBeGreaterThan(RUNS / 10);
      expect(late).toBeGreaterThan(0);
    },
    25 * 60_000,
  );
});

describe('replay: lifts at a period start run before any later line, whoever it belongs to', () => {
  it('lifts every October bar at 1 Nov 00:00 Paris before a November record of another subscriber, in waves as one at a time', async () => {
    // Arrange: A roams from 3 Oct and is barred; B (records sent two or three times each) and three more
    // subscribers are barred later in October; the file ends with one record of A on 5 Nov.
    const SWISS = '22801';
    const ids = ['A', 'B', 'C', 'D', 'E'];
    const lines: Array<Record<string, unknown>> = [];
    for (let day = 3; day <= 9; day++) {
      const at = `2026-10-0${day}T09:00:00Z`;
      lines.push(data('A', at, 10 * MB, SWISS, { chargeMicros: 12 * EUR }));
      const b = data('B', `2026-10-0${day}T10:00:00Z`, 10 * MB, SWISS, { chargeMicros: 9 * EUR });
      lines.push(b, b);
      if (day % 2 === 1) lines.push(b);
      for (const other of ['C', 'D', 'E']) lines.push(data(other, `2026-10-0${day}T11:00:00Z`, 10 * MB, SWISS, { chargeMicros: 15 * EUR }));
    }
    lines.push(data('A', '2026-11-05T09:00:00Z', 1 * MB, '20801', { chargeMicros: 0 }));
    const subscribers = ids.map((id) => profile(id));

    // Act
    const oneByOne = await replay(subscribers, lines, { maxWave: 1 });
    const inWaves = await replay(subscribers, lines);

    // Assert
    expect(canonical(inWaves)).toBe(canonical(oneByOne));
    for (const id of ids) {
      expect(commandsOf(oneByOne, id)).toEqual([expect.stringMatching(/^BAR_DATA_ROAMING@2026-10-0/), 'UNBAR_DATA_ROAMING@2026-10-31T23:00:00.000Z']);
      expect(notesOf(oneByOne, id)).toContain('CAP_RESET@sms@2026-10-31T23:00:00.000Z');
      expect(subscriberOf(oneByOne, id).bars).toEqual({ dataRoaming: false, dataOverage: false });
    }
    // Subscriber B's copies sent before its bar are duplicates (after it, the network refuses them).
    expect(oneByOne.duplicates).toBeGreaterThan(0);
  });
});
