import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The terminal's escape character, built from a string so that the patterns below hold no control character.
const ESC = '\u001b';
const CURSOR_OR_ERASE = new RegExp(`${ESC}\\[[0-9;]*[GKA-DJ]`, 'g');
const COLOUR = new RegExp(`${ESC}\\[[0-9;]*m`);

/**
 * What a person sees: each line as the terminal leaves it (the last redraw after a carriage return), with
 * the cursor and erase sequences of the progress line removed.
 */
function screenLines(raw: string): string[] {
  return raw
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.split('\r').pop() ?? '')
    .map((line) => line.replace(CURSOR_OR_ERASE, ''));
}

/** The summary row of a demo character: label, EUR without cap, EUR capped, EUR written off, messages, bars. */
function row(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name}, `));
  if (line === undefined) throw new Error(`no summary row for ${name}`);
  const match = /^(.*?)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+)\s+(.*)$/.exec(line);
  if (match === null) throw new Error(`unreadable summary row: ${line}`);
  return match.slice(2).map((s) => s.trim());
}

describe('npm start (the demo, through the real local stream, in an 80-column terminal)', () => {
  let raw = '';
  let stdout = '';

  beforeAll(async () => {
    // Act: the real command, to completion (it must end by itself), in a pseudo-terminal of 80 columns
    // (util-linux `script`), with a UTF-8 locale and NO_COLOR set, as a person would run it.
    const command = `stty cols 80 rows 40; exec ${resolve(root, 'node_modules/.bin/tsx')} local/start.ts`;
    const result = await run('script', ['-qfec', command, '/dev/null'], {
      cwd: root,
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TERM: 'xterm-256color' },
    });
    raw = result.stdout;
    stdout = screenLines(raw).join('\n');
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

  it('counts the duplicate once (in the singular) and the refused usage', () => {
    expect(stdout.replace(/\s*\n/g, ' ')).toContain('169 events read: 118 applied, 1 duplicate, 50 refused by the network while barred, 0 rejected.');
  });

  it('says what is starting and how long it took, before the first event', () => {
    // The status line is redrawn in place (so only in the raw output), then replaced by the ready line.
    expect(raw).toMatch(/Starting: DynamoDB, Kinesis; the policy workflow from the CDK stack \d+\.\d s/);
    expect(stdout).toMatch(/^Local pipeline ready in \d+\.\d s\.$/m);
    expect(stdout.indexOf('Local pipeline ready')).toBeLessThan(stdout.indexOf('ROAMING_WELCOME'));
  });

  it('shows every message whole, wrapped under its line, never cut', () => {
    const text = stdout.replace(/\n {14}/g, ' ');
    // Lucas's cap message: the price to continue and how, which the old 40-character cut hid.
    expect(text).toContain(
      "Plafond atteint : vos dépenses d'itinérance ont atteint 50,00 €. L'itinérance données est coupée jusqu'au 01/10/2026 ; " +
        'rien au-delà ne vous est facturé. Pour continuer à 0,50 €/Mo, répondez CONTINUER ou allez sur https://selfcare.example.invalid/caps',
    );
    expect(text).toContain('To continue at EUR 0.04/MB, reply CONTINUE or visit https://selfcare.example.invalid/caps');
    expect(stdout).not.toMatch(/\.\.\.$/m);
  });

  it('draws, per subscriber with spend, the day with and without the cap, the 80% warning and the bar', () => {
    expect(stdout).toContain('Lucas, Annemasse, on Swisscom (CH): roaming EUR 110.00 without the cap, EUR');
    expect(stdout).toMatch(/Marc, in the US, cap opted out: roaming EUR 132\.00 without the cap/);
    expect(stdout).toContain('Paul, at home, light use: nothing to pay beyond the plan.');
    const chart = stdout.slice(stdout.indexOf('Lucas, Annemasse, on Swisscom (CH): roaming'));
    expect(chart).toMatch(/^ {2}50 │[─░█]+ cap 50$/m);
    expect(chart).toMatch(/└─*▲─*■─*$/m);
    expect(stdout).toContain('█ billed with the cap');
  });

  it('fits 80 columns and writes no colour codes with NO_COLOR', () => {
    const widest = screenLines(raw).reduce((max, l) => Math.max(max, [...l].length), 0);
    expect(widest).toBeLessThanOrEqual(80);
    expect(raw).not.toMatch(COLOUR);
  });
});
