import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runReplay, writeReportFile } from '../../local/replay.js';
import { attach, data, EUR, MB, profile, scenarioFiles } from './support/replay-scenario.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const borderRoaming = resolve(root, '../shared/scenarios/border-roaming');
const checkReport = resolve(root, '../shared/scenarios/check-report.py');

/** `npm run replay -- ...` as a user types it; resolves with the exit code instead of throwing. */
async function npmReplay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '-s', 'replay', '--', ...args], { cwd: root, timeout: 170_000 });
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run replay (the command)', () => {
  it.runIf(existsSync(borderRoaming) && existsSync(checkReport))(
    'passes check-report.py on the shared border-roaming scenario',
    async () => {
      // Arrange
      const files = scenarioFiles([], []);
      try {
        // Act
        const replayed = await npmReplay([
          '--subscribers', join(borderRoaming, 'subscribers.json'),
          '--events', join(borderRoaming, 'events.jsonl'),
          '--report', files.report,
        ]);
        const checked = await run('python3', [checkReport, join(borderRoaming, 'expected.json'), join(borderRoaming, 'subscribers.json'), files.report]);

        // Assert
        expect(replayed.code).toBe(0);
        expect(checked.stdout).toMatch(/replay scenarios: (\d+)\/\1 checks hold/);
      } finally {
        files.cleanup();
      }
    },
  );

  it('exits non-zero with a one-line reason and writes no report when the events file is missing', async () => {
    // Arrange
    const files = scenarioFiles([profile('X1')], []);
    try {
      // Act
      const result = await npmReplay(['--subscribers', files.subscribers, '--events', join(files.dir, 'nope.jsonl'), '--report', files.report]);

      // Assert
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('nope.jsonl: no such file');
      expect(existsSync(files.report)).toBe(false);
    } finally {
      files.cleanup();
    }
  });

  it('exits non-zero naming the profile and field when a subscriber profile is invalid', async () => {
    // Arrange
    const files = scenarioFiles([profile('X1'), { subscriberId: 'X2', msisdn: '0612', plan: { dataAllowanceBytes: 1 } }], [data('X1', '2026-09-10T08:00:00Z', MB, '20801')]);
    try {
      // Act
      const result = await npmReplay(['--subscribers', files.subscribers, '--events', files.events, '--report', files.report]);

      // Assert
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('profile [1]: msisdn');
      // Located by its index: the id is not repeated on the terminal.
      expect(result.stderr).not.toContain('X2');
      expect(existsSync(files.report)).toBe(false);
    } finally {
      files.cleanup();
    }
  });

  it('says where a subscribers file stops being JSON without quoting it (no number or id on the terminal)', async () => {
    // Arrange: V8's own message would quote the text around the error, number and id included
    const files = scenarioFiles('[{"subscriberId": "imsi-208150000471337", "msisdn": "+33612340001" "email": "ana@example.org"}]', []);
    try {
      // Act
      const result = await npmReplay(['--subscribers', files.subscribers, '--events', files.events, '--report', files.report]);

      // Assert
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('not valid JSON');
      expect(result.stderr).toMatch(/position \d+/);
      for (const identifier of ['208150000471337', '+33612340001', 'ana@example.org']) expect(result.stderr).not.toContain(identifier);
    } finally {
      files.cleanup();
    }
  });

  it('exits non-zero when the subscribers file is not a JSON array, and when a flag is missing', async () => {
    // Arrange
    const files = scenarioFiles('{"subscriberId": "X1"}', []);
    try {
      // Act
      const notArray = await npmReplay(['--subscribers', files.subscribers, '--events', files.events, '--report', files.report]);
      const noFlag = await npmReplay(['--subscribers', files.subscribers, '--events', files.events]);

      // Assert
      expect(notArray.code).not.toBe(0);
      expect(notArray.stderr).toContain('must be a JSON array');
      expect(noFlag.code).not.toBe(0);
      expect(noFlag.stderr).toContain('--report is required');
      expect(existsSync(files.report)).toBe(false);
    } finally {
      files.cleanup();
    }
  });
});

describe('npm run replay at the edges', () => {
  it('prints its usage with --help and exits 0', async () => {
    // Act
    const result = await npmReplay(['--help']);

    // Assert
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run replay -- --subscribers/i);
    for (const flag of ['--subscribers', '--events', '--report', '--mapping', '--wave', '--store', '--help']) expect(result.stdout).toContain(flag);
  });

  it('checks the report path before the run: a directory, a folder that does not exist, a parent that is a file', async () => {
    // Arrange
    const files = scenarioFiles([profile('X1')], [data('X1', '2026-09-10T08:00:00Z', MB, '20801')]);
    const aDirectory = join(files.dir, 'reports');
    mkdirSync(aDirectory);
    const aFile = join(files.dir, 'plain.txt');
    writeFileSync(aFile, 'not a folder');
    const inputs = ['--subscribers', files.subscribers, '--events', files.events];
    try {
      // Act
      const [directory, missing, underFile] = await Promise.all([
        npmReplay([...inputs, '--report', aDirectory]),
        npmReplay([...inputs, '--report', join(files.dir, 'nope', 'report.json')]),
        npmReplay([...inputs, '--report', join(aFile, 'report.json')]),
      ]);

      // Assert
      for (const result of [directory, missing, underFile]) {
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      }
      expect(directory.stderr).toContain(`report file ${aDirectory}: is a directory`);
      expect(missing.stderr).toMatch(/report file .*nope.*report\.json: folder .*nope: no such file/);
      expect(underFile.stderr).toMatch(/report file .*plain\.txt\/report\.json: a parent is not a directory/);
      expect(readdirSync(files.dir).sort()).toEqual(['events.jsonl', 'plain.txt', 'reports', 'subscribers.json']);
      expect(readdirSync(aDirectory)).toEqual([]);
    } finally {
      files.cleanup();
    }
  });

  it.runIf(process.getuid?.() !== 0)('refuses a report in a folder it may not write, before the run', async () => {
    // Arrange (root may write anywhere: this one runs as an ordinary user only)
    const files = scenarioFiles([profile('X1')], [data('X1', '2026-09-10T08:00:00Z', MB, '20801')]);
    const locked = join(files.dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      // Act
      const result = await npmReplay(['--subscribers', files.subscribers, '--events', files.events, '--report', join(locked, 'report.json')]);

      // Assert
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('permission denied');
      expect(readdirSync(locked)).toEqual([]);
    } finally {
      chmodSync(locked, 0o755);
      files.cleanup();
    }
  });

  it('leaves neither a report nor a partial file when the run fails half-way (a corrupt gzip export)', async () => {
    // Arrange: the host-cdr sample repeated, gzipped, then cut: the reader fails after the first lines.
    const sample = readFileSync(join(root, 'docs/feeds/host-cdr/sample.csv'), 'utf8').split('\n');
    const body = Array.from({ length: 40 }, () => sample.slice(1).filter((l) => l !== '')).flat();
    const zipped = gzipSync([sample[0], ...body].join('\n'));
    const files = scenarioFiles(readFileSync(join(root, 'docs/feeds/subscribers.json'), 'utf8'), []);
    const exportFile = join(files.dir, 'CDR_0001.csv.gz');
    writeFileSync(exportFile, zipped.subarray(0, Math.floor(zipped.length * 0.6)));
    try {
      // Act
      const result = await npmReplay([
        '--subscribers', files.subscribers,
        '--events', exportFile,
        '--mapping', join(root, 'docs/feeds/host-cdr/mapping.json'),
        '--report', files.report,
      ]);

      // Assert
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('CDR_0001.csv.gz');
      expect(readdirSync(files.dir).sort()).toEqual(['CDR_0001.csv.gz', 'events.jsonl', 'subscribers.json']);
    } finally {
      files.cleanup();
    }
  });

  it('removes its temporary file when the report cannot be put in place', async () => {
    // Arrange: the report's path became a non-empty folder after the check (nothing can replace it).
    const files = scenarioFiles([], []);
    mkdirSync(join(files.report, 'taken'), { recursive: true });
    try {
      // Act
      const writing = writeReportFile(files.report, '{}\n');

      // Assert
      await expect(writing).rejects.toThrow();
      expect(readdirSync(files.dir).sort()).toEqual(['events.jsonl', 'report.json', 'subscribers.json']);
      expect(readdirSync(files.report)).toEqual(['taken']);
    } finally {
      files.cleanup();
    }
  });

  it('accepts a subscribers file that starts with a UTF-8 byte-order mark, like the events file', async () => {
    // Arrange
    const lines = [data('B1', '2026-09-10T08:00:00Z', 3 * MB, '20801', { chargeMicros: 0 })];
    const plain = scenarioFiles([profile('B1')], lines);
    const withBom = scenarioFiles(`\uFEFF${JSON.stringify([profile('B1')])}`, lines);
    try {
      // Act
      const expected = await runReplay({ subscribersFile: plain.subscribers, eventsFile: plain.events, progress: false });
      const report = await runReplay({ subscribersFile: withBom.subscribers, eventsFile: withBom.events, progress: false });

      // Assert
      expect(readFileSync(withBom.subscribers).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(report).toEqual(expected);
      expect(report.eventsApplied).toBe(1);
    } finally {
      plain.cleanup();
      withBom.cleanup();
    }
  });
});

describe('replay batching', () => {
  it('gives the same report fed one event at a time as in waves', async () => {
    // Arrange: several subscribers interleaved, a bar, refused usage, an un-bar at a period start,
    // duplicates and a bad line.
    const subscribers = [
      profile('W1'),
      profile('W2', { overageCap: { limitMicros: 6 * EUR }, plan: { billingCycleDay: 12, timeZone: 'Asia/Tokyo', dataAllowanceBytes: 100 * MB } }),
      profile('W3', { roamingCap: { enabled: false }, plan: { monthlyFeeMicros: 0 } }),
    ];
    const lines: Array<object | string> = [attach('W1', '2026-09-10T06:00:00Z', '22801')];
    for (let i = 0; i < 40; i++) {
      const time = new Date(Date.parse('2026-09-10T07:00:00Z') + i * 90 * 60_000).toISOString();
      lines.push(data('W1', time, 6 * MB, '22801', { chargeMicros: 3 * EUR }));
      lines.push(data('W2', time, 30 * MB, '20801'));
      if (i % 3 === 0) lines.push(data('W3', time, 10 * MB, '310260', { chargeMicros: 9 * EUR }));
      if (i === 7) lines.push(lines[lines.length - 2] as object, '{oops');
    }
    const files = scenarioFiles(subscribers, lines);
    try {
      // Act
      const oneByOne = await runReplay({ subscribersFile: files.subscribers, eventsFile: files.events, progress: false, maxWave: 1 });
      const inWaves = await runReplay({ subscribersFile: files.subscribers, eventsFile: files.events, progress: false, maxWave: 500 });

      // Assert
      expect(inWaves).toEqual(oneByOne);
      const w2 = oneByOne.subscribers.find((s) => s.subscriberId === 'W2');
      // The period starting 2026-09-12 in Tokyo begins at 2026-09-11T15:00Z.
      expect(w2?.carrierCommands.map((c) => c.command)).toEqual(['BAR_DATA_OVERAGE', 'UNBAR_DATA_OVERAGE', 'BAR_DATA_OVERAGE']);
      expect(new Date(w2?.carrierCommands[1]?.at ?? 0).toISOString()).toBe('2026-09-11T15:00:00.000Z');
      expect(w2?.periods.map((p) => p.period)).toEqual(['2026-08-12', '2026-09-12']);
      expect(oneByOne.duplicates).toBe(1);
      expect(oneByOne.rejected).toHaveLength(1);
    } finally {
      files.cleanup();
    }
  });
});

describe('report file', () => {
  it('is replay-report.v1 JSON written whole', async () => {
    // Arrange
    const files = scenarioFiles([profile('F1')], [data('F1', '2026-09-10T08:00:00Z', MB, '20801', { chargeMicros: 0 })]);
    try {
      // Act
      await runReplay({ subscribersFile: files.subscribers, eventsFile: files.events, reportFile: files.report, progress: false });

      // Assert
      const written = JSON.parse(readFileSync(files.report, 'utf8')) as Record<string, unknown>;
      expect(Object.keys(written)).toEqual(['version', 'eventsRead', 'eventsApplied', 'duplicates', 'rejected', 'subscribers']);
      expect(written.version).toBe(1);
      expect(written.eventsApplied).toBe(1);
    } finally {
      files.cleanup();
    }
  });
});
