import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../shared/feeds/map-line.js';
import { FeedMappingError, parseFeedMapping, type FeedMapping } from '../../shared/feeds/mapping-schema.js';
import { splitCsvLine } from '../../shared/feeds/csv.js';
import { parseDecimal, scaleToInteger } from '../../shared/feeds/decimal.js';
import { exampleMapping } from '../support/feed-files.js';

const base = {
  mappingVersion: 1,
  feed: 'test-feed',
  format: { type: 'csv', delimiter: ',', header: true },
  fields: {
    recordId: { column: 'id' },
    subscriberId: { column: 'imsi' },
    eventTime: { column: 'end', format: 'iso' },
    service: { const: 'data' },
    volumeBytes: { column: 'bytes', unit: 'B' },
    servingPlmn: { const: '20801' },
  },
};

function mapping(patch: Record<string, unknown> = {}, fields: Record<string, unknown> = {}): FeedMapping {
  return parseFeedMapping({ ...base, ...patch, fields: { ...base.fields, ...fields } });
}

/** Maps lines after a header; returns each outcome. */
function run(m: FeedMapping, header: string | undefined, ...lines: string[]) {
  const mapper = compileMapping(m);
  if (header !== undefined) expect(mapper.useHeader(header)).toBeUndefined();
  return lines.map((line) => mapper.map(line));
}

function recordOf(outcome: ReturnType<ReturnType<typeof compileMapping>['map']>) {
  if (outcome.kind !== 'record') throw new Error(`expected a record, got ${JSON.stringify(outcome)}`);
  return outcome.event;
}

describe('feed mapping schema', () => {
  it('accepts both example mappings', () => {
    // Arrange / Act
    const mappings = [exampleMapping('host-cdr'), exampleMapping('roaming-tap')];

    // Assert
    expect(mappings.map((m) => m.feed)).toEqual(['host-cdr', 'roaming-tap']);
    expect(mappings[0]?.limits).toEqual({ maxBadLines: 10_000, maxBadShare: 0.5, maxLineBytes: 65_536 });
  });

  it.each([
    ['a missing field', { fields: { ...base.fields, subscriberId: undefined } }, /fields\.subscriberId: /],
    ['an unknown key', { colour: 'red' }, /colour: not allowed/],
    ['a bad feed name', { feed: 'Host CDR' }, /feed: must be 1 to 40 lower-case/],
    ['a reserved feed name', { feed: 'quarantine' }, /feed: must not be one of quarantine/],
    ['two sources for one field', { fields: { ...base.fields, subscriberId: { column: 'a', const: 'b' } } }, /fields\.subscriberId: must have exactly one of column, const, concat/],
    ['an unknown unit', { fields: { ...base.fields, volumeBytes: { column: 'bytes', unit: 'KB' } } }, /fields\.volumeBytes\.unit: must be one of B, kB, KiB/],
    ['a position in JSON Lines', { format: { type: 'jsonl' }, fields: { ...base.fields, recordId: { column: 3 } } }, /fields\.recordId\.column: a column position needs format\.type "csv"/],
    ['a name that the headerless CSV does not declare', { format: { type: 'csv', header: false, columns: ['id'] } }, /fields\.subscriberId\.column: column "imsi" is not in format\.columns/],
    ['a service that is not a service', { fields: { ...base.fields, service: { const: 'mms' } } }, /fields\.service: /],
  ])('refuses %s, naming the key', (_name, input, message) => {
    // Act
    const parse = () => parseFeedMapping({ ...base, ...input });

    // Assert
    expect(parse).toThrow(FeedMappingError);
    expect(parse).toThrow(message);
  });

  it('refuses a time zone or time format that cannot be used, when the mapping is compiled', () => {
    // Arrange
    const badZone = mapping({}, { eventTime: { column: 'end', format: 'iso', zone: 'Mars/Olympus' } });
    const noDate = mapping({}, { eventTime: { column: 'end', format: 'HH:mm:ss' } });

    // Act / Assert
    expect(() => compileMapping(badZone)).toThrow('fields.eventTime.zone: unknown time zone "Mars/Olympus"');
    expect(() => compileMapping(noDate)).toThrow('fields.eventTime.format: time format "HH:mm:ss" needs yyyy, MM and dd');
  });
});

describe('mapping a line', () => {
  it('maps the example host CDR line to the contract event', () => {
    // Arrange
    const m = exampleMapping('host-cdr');
    const header = 'RECORD_TYPE;IMSI;MSISDN;CHARGING_ID;NODE_ID;SEQ_NO;START_TIME;DURATION;SERVICE;UPLINK_BYTES;DOWNLINK_BYTES;EVENTS;MCC;MNC;CHARGE_EUR;CAUSE';

    // Act
    const [data, voice, incoming] = run(
      m,
      header,
      'PGW;208150000000001;33600000001;5200001;PGW-PAR-2;1011;10/09/2026 07:40:00;1200;GPRS;1500000;48000000;;206;10;0,0125;0',
      'MSC;208150000000003;33600000003;0;MSC-LYO-1;1013;25/10/2026 02:30:00;185;MOC;;;;208;1;;0',
      'MSC;208150000000003;33600000003;0;MSC-LYO-1;1014;10/09/2026 09:30:00;42;MTC;;;;208;1;;0',
    );

    // Assert
    expect(recordOf(data!)).toEqual({
      type: 'usage',
      recordId: 'host-cdr:5200001:PGW-PAR-2:1011',
      subscriberId: '208150000000001',
      startTime: '2026-09-10T05:40:00Z',
      eventTime: '2026-09-10T06:00:00Z',
      service: 'data',
      volumeBytes: 49_500_000,
      durationSeconds: 1200,
      servingPlmn: '20610',
      chargeMicros: 12_500,
      currency: 'EUR',
    });
    // 25 October 2026, 02:30 in Paris: the clock goes back at 03:00 CEST; an export in local time is
    // ambiguous there, and the mapping reads it in one of the two offsets, the same every time.
    expect(['2026-10-25T00:33:05Z', '2026-10-25T01:33:05Z']).toContain(recordOf(voice!).eventTime);
    expect(recordOf(voice!)).not.toHaveProperty('chargeMicros');
    expect(incoming).toEqual({ kind: 'skip' });
  });

  it('maps the example roaming JSON line, with the zone from its own column and a recordId from its content', () => {
    // Arrange
    const m = exampleMapping('roaming-tap');
    const line = JSON.stringify({
      imsi: '208150000000004',
      service: 'GPRS',
      localTime: '20260910080000',
      utcOffset: '-0400',
      vpmn: 'USACG',
      chargingId: 91001,
      callEventSequence: 1,
      volume: { upKiB: 4000, downKiB: 48000 },
      durationSec: 3600,
      charge: { amount: 2.5, currency: 'EUR' },
    });

    // Act
    const [first, again] = run(m, undefined, line, line);

    // Assert
    expect(recordOf(first!)).toMatchObject({
      eventTime: '2026-09-10T13:00:00Z',
      startTime: '2026-09-10T12:00:00Z',
      volumeBytes: 53_248_000,
      servingPlmn: '310410',
      chargeMicros: 2_500_000,
      currency: 'EUR',
    });
    expect(recordOf(first!).recordId).toMatch(/^roaming-tap:[A-Za-z0-9_-]{32}$/);
    expect(recordOf(again!).recordId).toBe(recordOf(first!).recordId);
  });

  it('reads quoted CSV fields, positions without a header, and fixed-width fields', () => {
    // Arrange
    const positions = mapping(
      { format: { type: 'csv', header: false, delimiter: ',' } },
      { recordId: { column: 1 }, subscriberId: { column: 2 }, eventTime: { column: 3, format: 'iso' }, volumeBytes: { column: 4, unit: 'B' } },
    );
    const fixed = mapping(
      {
        format: {
          type: 'fixed',
          fields: [
            { name: 'id', start: 1, length: 6 },
            { name: 'imsi', start: 7, length: 15 },
            { name: 'end', start: 22, length: 14 },
            { name: 'bytes', start: 36, length: 10 },
          ],
        },
      },
      { eventTime: { column: 'end', format: 'yyyyMMddHHmmss', zone: 'UTC' } },
    );

    // Act
    const [quoted] = run(positions, undefined, '"a,1",208150000000001,2026-09-10T07:20:00Z,"1""000"');
    const [byPosition] = run(positions, undefined, 'a2,208150000000001,2026-09-10T07:20:00+02:00,100');
    const [padded] = run(fixed, undefined, 'R0000120815000000000120260910072000      4096');

    // Assert
    expect(quoted).toMatchObject({ kind: 'bad', reason: 'volumeBytes: column 4 is not a number in the unit the mapping gives' });
    expect(recordOf(byPosition!)).toMatchObject({ recordId: 'test-feed:a2', eventTime: '2026-09-10T05:20:00Z', volumeBytes: 100 });
    expect(recordOf(padded!)).toMatchObject({ recordId: 'test-feed:R00001', subscriberId: '208150000000001', eventTime: '2026-09-10T07:20:00Z', volumeBytes: 4096 });
  });

  it.each([
    ['1,5', 'kB', ',', 1_500],
    ['1.5', 'KiB', '.', 1_536],
    ['0.0001', 'kB', '.', 1],
    ['2', 'GiB', '.', 2_147_483_648],
  ])('reads a volume %s %s exactly (a started byte counts)', (text, unit, separator, bytes) => {
    // Arrange
    const m = mapping({ format: { type: 'csv', delimiter: ';', decimalSeparator: separator } }, { volumeBytes: { column: 'bytes', unit } });

    // Act
    const [outcome] = run(m, 'id;imsi;end;bytes', `r;208150000000001;2026-09-10T07:20:00Z;${text}`);

    // Assert
    expect(recordOf(outcome!).volumeBytes).toBe(bytes);
  });

  it.each([
    ['1500', 'ms', 2],
    ['1.5', 'min', 90],
    ['01:02:03', 'hh:mm:ss', 3_723],
  ])('reads a duration %s %s in whole seconds (a started second counts)', (text, unit, seconds) => {
    // Arrange
    const m = mapping({}, { service: { const: 'voice' }, volumeBytes: undefined, durationSeconds: { column: 'bytes', unit } });

    // Act
    const [outcome] = run(m, 'id,imsi,end,bytes', `r,208150000000001,2026-09-10T07:20:00Z,${text}`);

    // Assert
    expect(recordOf(outcome!).durationSeconds).toBe(seconds);
  });

  it.each([
    ['0.0000005', 'major', 1],
    ['0.0000004', 'major', 0],
    ['12.34', 'cents', 123_400],
    ['2500', 'micros', 2_500],
  ])('reads a charge %s %s as integer micros, rounding half up', (text, unit, micros) => {
    // Arrange
    const m = mapping({}, { chargeMicros: { column: 'charge', unit } });

    // Act
    const [outcome] = run(m, 'id,imsi,end,bytes,charge', `r,208150000000001,2026-09-10T07:20:00Z,1,${text}`);

    // Assert
    expect(recordOf(outcome!).chargeMicros).toBe(micros);
  });

  it('reads epoch times and a date and a time from two columns', () => {
    // Arrange
    const epoch = mapping({}, { eventTime: { column: 'end', format: 'epoch-s' } });
    const twoColumns = mapping({}, { eventTime: { concat: [{ column: 'day' }, { column: 'time' }], separator: ' ', format: 'yyyy-MM-dd HH:mm:ss', zone: '+02:00' } });

    // Act
    const [fromEpoch] = run(epoch, 'id,imsi,end,bytes', 'r,208150000000001,1789024800,1');
    const [fromTwo] = run(twoColumns, 'id,imsi,day,time,bytes', 'r,208150000000001,2026-09-10,09:20:00,1');

    // Assert
    expect(recordOf(fromEpoch!).eventTime).toBe('2026-09-10T07:20:00Z');
    expect(recordOf(fromTwo!).eventTime).toBe('2026-09-10T07:20:00Z');
  });

  it('builds the recordId from content only, prefixed with the feed, and hashes one too long for the contract', () => {
    // Arrange
    const concat = mapping({}, { recordId: { concat: [{ column: 'id' }, { const: 'x' }, { column: 'bytes' }], separator: '/' } });
    const noPrefix = mapping({ recordIdPrefix: '' });
    const lineHash = mapping({}, { recordId: { hashOfLine: true } });
    const line = 'r1,208150000000001,2026-09-10T07:20:00Z,7';

    // Act
    const [a] = run(concat, 'id,imsi,end,bytes', line);
    const [b] = run(noPrefix, 'id,imsi,end,bytes', line);
    const [c, d] = run(lineHash, 'id,imsi,end,bytes', line, line.replace(',7', ',8'));
    const [long] = run(mapping(), 'id,imsi,end,bytes', `${'x'.repeat(200)},208150000000001,2026-09-10T07:20:00Z,7`);

    // Assert
    expect(recordOf(a!).recordId).toBe('test-feed:r1/x/7');
    expect(recordOf(b!).recordId).toBe('r1');
    expect(recordOf(c!).recordId).not.toBe(recordOf(d!).recordId);
    expect(recordOf(long!).recordId).toMatch(/^test-feed:h:[A-Za-z0-9_-]{32}$/);
  });

  it('skips lines by rule, by ignored prefix and when blank; a text map falls back to its default', () => {
    // Arrange
    const m = mapping(
      { skip: [{ column: 'cause', equals: ['17', '21'] }], format: { type: 'csv', ignoreLinesStartingWith: ['TRL'] } },
      { servingPlmn: { column: 'net', map: { BELMO: '20610' }, default: '20801' } },
    );
    const header = 'id,imsi,end,bytes,cause,net';

    // Act
    const outcomes = run(m, header, 'r1,208150000000001,2026-09-10T07:20:00Z,1,17,BELMO', 'TRL,3', '   ', 'r2,208150000000001,2026-09-10T07:20:00Z,1,0,XXXXX');

    // Assert
    expect(outcomes.slice(0, 3)).toEqual([{ kind: 'skip' }, { kind: 'skip' }, { kind: 'skip' }]);
    expect(recordOf(outcomes[3]!).servingPlmn).toBe('20801');
  });

  it('names the field and column of a bad line without quoting a subscriber value, and validates with the contract schema', () => {
    // Arrange
    const mapped = mapping({}, { subscriberId: { column: 'imsi', map: { a: 'b' } } });
    const header = 'id,imsi,end,bytes';

    // Act
    const [unmapped] = run(mapped, header, 'r,208150000000001,2026-09-10T07:20:00Z,1');
    const [noTime, shortLine, negative] = run(mapping(), header, 'r,208150000000001,,1', 'r,208150000000001', 'r,208150000000001,2026-09-10T07:20:00Z,-5');

    // Assert
    expect(unmapped).toEqual({ kind: 'bad', reason: 'subscriberId: the value is not in subscriberId.map', recordId: 'test-feed:r' });
    expect(JSON.stringify(unmapped)).not.toContain('208150000000001');
    expect(noTime).toMatchObject({ kind: 'bad', reason: 'eventTime: required' });
    expect(shortLine).toMatchObject({ kind: 'bad', reason: 'has 2 fields, the header has 4' });
    expect(negative).toMatchObject({ kind: 'bad', reason: 'volumeBytes: must be an integer >= 0' });
  });

  it('tells which columns a header lacks, as a fault of the whole file', () => {
    // Arrange
    const mapper = compileMapping(mapping());

    // Act
    const problem = mapper.useHeader('id;imsi;end;bytes');

    // Assert
    expect(problem).toBe('the header has no column "id", "imsi", "end", "bytes" (delimiter ",")');
  });
});

describe('CSV lines and decimals', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['"a,b",c', ['a,b', 'c']],
    ['"say ""hi""",', ['say "hi"', '']],
    [',,', ['', '', '']],
  ])('splits %s', (line, fields) => {
    expect(splitCsvLine(line, ',', '"')).toEqual(fields);
  });

  it('reports broken quoting', () => {
    expect(splitCsvLine('"open,b', ',', '"')).toEqual({ error: 'a quoted field is not closed' });
    expect(splitCsvLine('"a"b,c', ',', '"')).toEqual({ error: 'a closing quote is not followed by the delimiter' });
  });

  it('scales decimals exactly with either rounding, refusing what is not a number', () => {
    expect(scaleToInteger(parseDecimal('-0,5', ',')!, 1n, 1n, 'halfUp')).toBe(-1);
    expect(scaleToInteger(parseDecimal('2.49', '.')!, 1n, 1n, 'halfUp')).toBe(2);
    expect(scaleToInteger(parseDecimal('2.01', '.')!, 1n, 1n, 'ceil')).toBe(3);
    expect(parseDecimal('1.2.3', '.')).toBeUndefined();
    expect(parseDecimal('1,5', '.')).toBeUndefined();
    expect(parseDecimal('', '.')).toBeUndefined();
    expect(scaleToInteger(parseDecimal('99999999999999999999', '.')!, 1n, 1n, 'ceil')).toBeUndefined();
  });
});
