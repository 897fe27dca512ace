/**
 * The reference scenarios shared with the rest of the team (../shared/scenarios, beside the repository),
 * through the replay and their own checker: the report must satisfy every expectation, one event at a time
 * and in waves alike.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../local/replay.js';

const SCENARIOS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/scenarios');
const names = existsSync(SCENARIOS) ? readdirSync(SCENARIOS).filter((name) => existsSync(join(SCENARIOS, name, 'expected.json'))) : [];
const work = mkdtempSync(join(tmpdir(), 'spendcap-shared-scenarios-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the shared replay scenarios', () => {
  it.runIf(existsSync(SCENARIOS))('are there to check (at least the border-roaming and late-records stories)', () => {
    expect(names).toEqual(expect.arrayContaining(['border-roaming', 'late-records']));
  });

  it.each(names)('%s: every check of check-report.py holds, one event at a time and in waves', async (name) => {
    const dir = join(SCENARIOS, name);
    const files = { subscribersFile: join(dir, 'subscribers.json'), eventsFile: join(dir, 'events.jsonl'), progress: false as const };

    const inWaves = await runReplay(files);
    const oneByOne = await runReplay({ ...files, maxWave: 1 });

    expect(inWaves).toEqual(oneByOne);
    const report = join(work, `${name}.json`);
    writeFileSync(report, JSON.stringify(inWaves));
    const output = execFileSync('python3', [join(SCENARIOS, 'check-report.py'), join(dir, 'expected.json'), files.subscribersFile, report], { encoding: 'utf8' });
    expect(output).toMatch(/replay scenarios: (\d+)\/\1 checks hold/);
  });
});
