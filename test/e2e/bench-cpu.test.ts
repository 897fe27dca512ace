/**
 * The benchmark's cpu section runs end to end on its small sizes and reports what docs/benchmarks.md reads:
 * every round verified, the rounds behind the median, and the same handler measured again in a child process
 * whose X-Ray SDK really started in automatic mode (as in Lambda). Figures are only checked to be figures:
 * speed is the benchmark's business, never a test's.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');
const dir = mkdtempSync(join(tmpdir(), 'spendcap-bench-cpu-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CpuSection {
  readonly verified: boolean;
  readonly events: number;
  readonly eventsPerCpuSecond: number;
  readonly roundsEventsPerCpuSecond: readonly number[];
  readonly decodeValidateEventsPerSecond: number;
  readonly inLambdaMode: { readonly eventsPerCpuSecond: number; readonly roundsEventsPerCpuSecond: readonly number[]; readonly asyncHookOn: boolean };
}

describe('npm run bench -- --quick --only cpu', () => {
  it('writes the cpu section: verified rounds, their median, and the figure as Lambda runs it', async () => {
    // Arrange
    const out = join(dir, 'cpu.json');

    // Act
    await promisify(execFile)(tsx, ['bench/run.ts', '--quick', '--only', 'cpu', '--json', out], { cwd: root, timeout: 170_000 });

    // Assert
    const report = JSON.parse(readFileSync(out, 'utf8')) as { cpu?: CpuSection; errors: Record<string, string> };
    expect(report.errors).toEqual({});
    const cpu = report.cpu;
    expect(cpu?.verified).toBe(true);
    expect(cpu?.events).toBeGreaterThan(0);
    expect(cpu?.roundsEventsPerCpuSecond).toHaveLength(5);
    const rounds = [...(cpu?.roundsEventsPerCpuSecond ?? [])].sort((a, b) => a - b);
    expect(cpu?.eventsPerCpuSecond).toBe(rounds[2]);
    expect(cpu?.decodeValidateEventsPerSecond).toBeGreaterThan(0);
    expect(cpu?.inLambdaMode.asyncHookOn).toBe(true);
    expect(cpu?.inLambdaMode.roundsEventsPerCpuSecond).toHaveLength(5);
    expect(cpu?.inLambdaMode.eventsPerCpuSecond).toBeGreaterThan(0);
  });
});
