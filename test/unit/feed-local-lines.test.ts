import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFeedMapping, replaySource } from '../../local/mapped-lines.js';
import { InputFileError } from '../../local/replay-input.js';
import { FEEDS_DIR } from '../support/feed-files.js';

const dir = mkdtempSync(join(tmpdir(), 'spendcap-mapped-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(events: string, mapping: string) {
  const source = await replaySource(events, mapping);
  const lines = [];
  for await (const line of source.lines) lines.push(line);
  return { lines, refused: source.refused };
}

describe('an export read through its mapping, for the replay and --follow', () => {
  it('gives the records as event lines with the export line numbers, and the refused lines with their reason', async () => {
    // Arrange
    const sample = readFileSync(join(FEEDS_DIR, 'host-cdr/sample.csv'), 'utf8').split('\r\n');
    sample[2] = sample[2]!.replace('GPRS', 'VOLTE');
    const file = join(dir, 'export.csv.gz');
    writeFileSync(file, gzipSync(sample.join('\r\n')));

    // Act
    const { lines, refused } = await collect(file, join(FEEDS_DIR, 'host-cdr/mapping.json'));

    // Assert
    expect(refused).toEqual([{ line: 3, reason: 'service: code "VOLTE" is not in service.map' }]);
    expect(lines[0]).toEqual({ line: 2, text: expect.stringContaining('"recordId":"host-cdr:4711000:PGW-PAR-1:1001"') });
    expect(lines.map((l) => l.line)).not.toContain(3);
    expect(lines).toHaveLength(15);
  });

  it('stops with an input-file error when the export is not what the mapping says, or the mapping is wrong', async () => {
    // Arrange
    const commas = join(dir, 'commas.csv');
    writeFileSync(commas, 'A,B,C\n1,2,3\n');
    const badMapping = join(dir, 'mapping.json');
    writeFileSync(badMapping, JSON.stringify({ mappingVersion: 1, feed: 'x' }));

    // Act / Assert
    await expect(collect(commas, join(FEEDS_DIR, 'host-cdr/mapping.json'))).rejects.toThrow(InputFileError);
    await expect(collect(commas, join(FEEDS_DIR, 'host-cdr/mapping.json'))).rejects.toThrow(/commas\.csv: the header has no column "CHARGING_ID"/);
    await expect(loadFeedMapping(badMapping)).rejects.toThrow(/mapping file .*mapping\.json: format: .*; fields: /);
    await expect(loadFeedMapping(join(dir, 'none.json'))).rejects.toThrow(/none\.json: no such file/);
  });

  it('reads a JSON Lines file as it is when no mapping is given', async () => {
    // Arrange
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, '{"a":1}\n\n{"b":2}\n');

    // Act
    const source = await replaySource(file, undefined);
    const lines = [];
    for await (const line of source.lines) lines.push(line);

    // Assert
    expect(lines).toEqual([{ line: 1, text: '{"a":1}' }, { line: 3, text: '{"b":2}' }]);
    expect(source.refused).toEqual([]);
  });
});
