import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The summary row of a demo character: label, EUR without cap, EUR capped, EUR written off, messages, bars. */
function row(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name}, `));
  if (line === undefined) throw new Error(`no summary row for ${name}`);
  const match = /^(.*?)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+)\s+(.*)$/.exec(line);
  if (match === null) throw new Error(`unreadable summary row: ${line}`);
  return match.slice(2).map((s) => s.trim());
}

describe('npm start (the demo, through the real local stream)', () => {
  let stdout = '';

  beforeAll(async () => {
    // Act: the real command, to completion; it must end by itself.
    const result = await run('npm', ['start', '--silent'], { cwd: root, timeout: 170_000, env: { ...process.env, NO_COLOR: '' } });
    stdout = result.stdout;
  }, 180_000);

  it('caps the two 2009 stories at EUR 50 and bars them', () => {
    expect(row(stdout, 'Lucas')).toEqual(['110.00', '50.00', '0.00', '3', 'data roaming']);
    expect(row(stdout, 'Chloe')).toEqual(['88.00', '50.00', '0.00', '8', 'out-of-bundle']);
  });

  it('bills the opted-out traveller everything, stops the ship at the cap, leaves the others alone', () => {
    expect(row(stdout, 'Marc')).toEqual(['132.00', '132.00', '0.00', '1', 'none']);
    expect(row(stdout, 'Anna')).toEqual(['120.00', '50.00', '0.00', '3', 'data roaming']);
    expect(row(stdout, 'Elena')).toEqual(['0.00', '0.00', '0.00', '1', 'none']);
    expect(row(stdout, 'Paul')).toEqual(['0.00', '0.00', '0.00', '0', 'none']);
  });

  it('shows the warnings and bars as they happen, in the timeline', () => {
    expect(stdout).toMatch(/10 Sep 11:00 {2}Lucas\s+SMS\s+ROAMING_SPEND_80/);
    expect(stdout).toMatch(/10 Sep 12:00 {2}Lucas\s+CMD\s+data roaming BARRED/);
    expect(stdout).toMatch(/10 Sep 15:00 {2}Chloe\s+CMD\s+out-of-bundle data BARRED/);
    expect(stdout).toMatch(/Chloe\s+mail\s+OVERAGE_CAP_REACHED/);
    expect(stdout).toMatch(/Marc \(ops\)\s+ops\s+BILL_SHOCK_ALERT/);
    expect(stdout).toMatch(/Anna\s+SMS\s+ROAMING_WELCOME/);
  });

  it('tells the day in time order, and shows the network refusing usage only for the barred subscribers', () => {
    const stamps = stdout
      .split('\n')
      .map((l) => /^10 Sep (\d\d):(\d\d) /.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(stamps.length).toBeGreaterThan(20);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    const refusing = stdout
      .split('\n')
      .filter((l) => l.includes(' NET '))
      .map((l) => /^10 Sep \d\d:\d\d {2}(\S+)/.exec(l)?.[1]);
    expect(refusing.sort()).toEqual(['Anna', 'Chloe', 'Lucas']);
  });

  it('counts the duplicate once and the refused usage, and writes no colour codes when not on a terminal', () => {
    expect(stdout).toContain('169 events read: 118 applied, 1 duplicate, 50 refused by the network while barred, 0 rejected.');
    expect(stdout).not.toContain('\u001b[');
    expect(Math.max(...stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});
