import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingestFeedFile, feedOfKey, type FileOutcome, type IngestFileDeps } from '../../shared/feeds/ingest-file.js';
import { compileMapping } from '../../shared/feeds/map-line.js';
import { decompressed, FileFormatError, readLines } from '../../shared/feeds/line-reader.js';
import { DelayHistogram, delayBucketOf } from '../../shared/feeds/delay-histogram.js';
import { filesOfMessage } from '../../shared/feeds/file-events.js';
import { feedMetricData } from '../../shared/adapters/cloudwatch-feed-metrics.js';
import { parseFeedMappings } from '../../functions/ingest-feed-files/config.js';
import { cdrFile, exampleMapping, RecordingFeedMetrics } from '../support/feed-files.js';
import { MemoryFileQuarantine, MemoryFileSource, MemoryLedger, MemorySink } from '../support/feed-fakes.js';

const hostCdr = exampleMapping('host-cdr');

function world(chunkBytes = 4_096) {
  const source = new MemoryFileSource(chunkBytes);
  const ledger = new MemoryLedger();
  const sink = new MemorySink();
  const quarantine = new MemoryFileQuarantine();
  const metrics = new RecordingFeedMetrics();
  const deps = (extra: Partial<IngestFileDeps> = {}): IngestFileDeps => ({
    mappingOf: (feed) => (feed === 'host-cdr' ? hostCdr : undefined),
    source,
    ledger,
    sink,
    quarantine,
    metrics,
    ...extra,
  });
  return { source, ledger, sink, quarantine, metrics, deps };
}

/** What one clean pass of the mapping gives: the records in order. */
function expectedRecords(text: string): string[] {
  const mapper = compileMapping(hostCdr);
  let header = true;
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (mapper.isIgnored(line)) continue;
    if (header) {
      mapper.useHeader(line);
      header = false;
      continue;
    }
    const o = mapper.map(line);
    if (o.kind === 'record') out.push(o.json);
  }
  return out;
}

async function lines(content: Buffer, chunk = 7, maxLineBytes = 1_000) {
  async function* chunks() {
    for (let i = 0; i < content.length; i += chunk) yield content.subarray(i, i + chunk);
  }
  const out: Array<{ line: number; text: string; end: number; badEncoding?: true }> = [];
  for await (const batch of readLines(decompressed(chunks()), { encoding: 'utf8', maxLineBytes })) out.push(...batch);
  return out;
}

describe('reading an export line by line', () => {
  it('cuts lines at \\n whatever the chunks, drops \\r and a byte-order mark, and keeps a last line without newline', async () => {
    // Arrange
    const text = Buffer.from('\uFEFFa;b\r\n\r\nc\u00e9;d\nlast', 'utf8');

    // Act
    const read = await lines(text, 3);

    // Assert
    expect(read.map((l) => [l.line, l.text])).toEqual([
      [1, 'a;b'],
      [2, ''],
      [3, 'cé;d'],
      [4, 'last'],
    ]);
    expect(read.at(-1)?.end).toBe(text.length);
    expect(text.subarray(read[1]!.end).toString('utf8')).toBe('c\u00e9;d\nlast');
  });

  it('decompresses gzip by its magic bytes, also several members one after the other', async () => {
    // Arrange
    const content = Buffer.concat([gzipSync('one\ntwo\n'), gzipSync('three\n')]);

    // Act
    const read = await lines(content, 5);

    // Assert
    expect(read.map((l) => l.text)).toEqual(['one', 'two', 'three']);
  });

  it('refuses a truncated gzip file and a line longer than the limit as faults of the whole file', async () => {
    // Arrange
    const gz = gzipSync('x'.repeat(10_000));

    // Act / Assert
    await expect(lines(gz.subarray(0, gz.length - 10))).rejects.toThrow(FileFormatError);
    await expect(lines(Buffer.alloc(5_000, 65))).rejects.toThrow(/line 1 is longer than 1000 bytes/);
  });

  it('marks a line that is not valid UTF-8', async () => {
    // Act
    const read = await lines(Buffer.from([0x61, 0x0a, 0xe9, 0x74, 0xe9, 0x0a]));

    // Assert
    expect(read.map((l) => l.badEncoding)).toEqual([undefined, true]);
  });
});

describe('ingesting one file (use case, in-memory ports)', () => {
  it('puts every record once with the subscriber as partition key, then reports the file done', async () => {
    // Arrange
    const w = world();
    const csv = cdrFile({ lines: 300, subscribers: 10, seed: 1, before: Date.parse('2026-09-10T12:00:00Z') });
    const file = w.source.add('host-cdr/a.csv', csv);

    // Act
    const outcome = await ingestFeedFile(file, w.deps({ chunkLines: 100 }));
    const again = await ingestFeedFile(file, w.deps({ chunkLines: 100 }));

    // Assert
    const expected = expectedRecords(csv);
    expect(outcome).toMatchObject({ status: 'done', records: expected.length, badLines: 0, feed: 'host-cdr' });
    expect(again.status).toBe('already-done');
    expect(w.sink.records.map((r) => r.data)).toEqual(expected);
    expect(w.sink.records.every((r) => JSON.parse(r.data).subscriberId === r.partitionKey)).toBe(true);
    expect(w.metrics.total('filesReceived')).toBe(1);
    expect(w.metrics.total('filesDone')).toBe(1);
    expect(w.metrics.total('records')).toBe(expected.length);
  });

  it('measures each record delay from the file arrival', async () => {
    // Arrange
    const w = world();
    const header = 'RECORD_TYPE;IMSI;MSISDN;CHARGING_ID;NODE_ID;SEQ_NO;START_TIME;DURATION;SERVICE;UPLINK_BYTES;DOWNLINK_BYTES;EVENTS;MCC;MNC;CHARGE_EUR;CAUSE';
    const line = (seq: number, time: string) => `PGW;208150000000001;336;1;N;${seq};${time};0;GPRS;1;1;;208;1;;0`;
    // Arrives 2026-09-11T00:00:00Z; the records end 1 hour and 1 day before (Paris is UTC+2).
    const file = w.source.add('host-cdr/d.csv', [header, line(1, '11/09/2026 01:00:00'), line(2, '10/09/2026 02:00:00')].join('\n'));

    // Act
    await ingestFeedFile(file, w.deps());

    // Assert
    const delays = w.metrics.reports.find((r) => r.delays !== undefined)?.delays;
    expect([...(delays?.entries() ?? [])]).toEqual([
      [delayBucketOf(3_600), 1],
      [delayBucketOf(86_400), 1],
    ]);
  });

  it('resumes a plain file with a ranged read and a gzip file by skipping, when it runs out of time', async () => {
    for (const gzip of [false, true]) {
      // Arrange
      const w = world(1_000);
      const csv = cdrFile({ lines: 1_000, subscribers: 10, seed: 2, before: Date.parse('2026-09-10T12:00:00Z') });
      const file = w.source.add(`host-cdr/big${gzip ? '.gz' : ''}`, gzip ? gzipSync(csv) : csv);
      const outcomes: FileOutcome[] = [];

      // Act
      for (let i = 0; i < 100; i++) {
        const outcome = await ingestFeedFile(file, w.deps({ chunkLines: 150, remainingMs: () => 0 }));
        outcomes.push(outcome);
        if (outcome.status !== 'continue') break;
      }

      // Assert
      expect(outcomes.at(-1)?.status).toBe('done');
      expect(outcomes.length).toBeGreaterThan(10);
      expect(w.sink.records.map((r) => r.data)).toEqual(expectedRecords(csv));
      expect(w.source.rangedReads.length > 0).toBe(!gzip);
    }
  });

  it('lets only one of two invocations on the same file carry on', async () => {
    // Arrange
    const w = world();
    const csv = cdrFile({ lines: 500, subscribers: 10, seed: 3, before: Date.parse('2026-09-10T12:00:00Z') });
    const file = w.source.add('host-cdr/twice.csv', csv);

    // Act
    const [a, b] = await Promise.all([ingestFeedFile(file, w.deps({ chunkLines: 50 })), ingestFeedFile(file, w.deps({ chunkLines: 50 }))]);

    // Assert
    expect([a.status, b.status].sort()).toEqual(['done', 'superseded']);
    expect(new Set(w.sink.records.map((r) => r.data))).toEqual(new Set(expectedRecords(csv)));
  });

  it('quarantines a file of an unknown feed, and treats a vanished version as superseded', async () => {
    // Arrange
    const w = world();
    const unknown = w.source.add('other-feed/a.csv', 'x\n');

    // Act
    const quarantined = await ingestFeedFile(unknown, w.deps());
    const gone = await ingestFeedFile({ bucket: 'feeds', key: 'host-cdr/gone.csv', etag: 'e' }, w.deps());

    // Assert
    expect(quarantined).toMatchObject({ status: 'quarantined', reason: 'no mapping for feed "other-feed" (the first folder of the key names the feed)' });
    expect(w.quarantine.files.get('other-feed/a.csv')).toBe(quarantined.reason);
    expect(gone.status).toBe('superseded');
  });

  it('counts each line exactly once whatever the stretch size, read chunks, crash point and redeliveries (property)', async () => {
    const csv = cdrFile({ lines: 200, subscribers: 8, seed: 9, before: Date.parse('2026-09-10T12:00:00Z') });
    const expected = expectedRecords(csv);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 5, max: 250 }),
        fc.integer({ min: 16, max: 3_000 }),
        fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        async (chunkLines, chunkBytes, crashAt, gzip, redeliveries) => {
          // Arrange
          const w = world(chunkBytes);
          const file = w.source.add('host-cdr/p.csv', gzip ? gzipSync(csv) : csv);
          w.sink.crashAt(crashAt);

          // Act: deliver until done (a crash leaves the message to be delivered again), then redeliver.
          let done = false;
          for (let attempt = 0; attempt < 50 && !done; attempt++) {
            try {
              const outcome = await ingestFeedFile(file, w.deps({ chunkLines }));
              done = outcome.status === 'done' || outcome.status === 'already-done';
            } catch {
              // redelivered by the queue
            }
          }
          for (let i = 0; i < redeliveries; i++) expect((await ingestFeedFile(file, w.deps({ chunkLines }))).status).toBe('already-done');

          // Assert: everything reached the stream; what came twice is a whole record with the same recordId.
          expect(done).toBe(true);
          const seen = new Set(w.sink.records.map((r) => r.data));
          expect(seen).toEqual(new Set(expected));
          const ids = new Map<string, string>();
          for (const r of w.sink.records) {
            const { recordId } = JSON.parse(r.data) as { recordId: string };
            expect(ids.get(recordId) ?? r.data).toBe(r.data);
            ids.set(recordId, r.data);
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});

describe('file events, metrics, baked mappings', () => {
  it('reads the file of an EventBridge event, an S3 notification and a continuation; ignores anything else', () => {
    // Arrange
    const eventBridge = JSON.stringify({ 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: { key: 'host-cdr/a b:c.csv', etag: 'e1', 'version-id': 'v1' } } });
    const notification = JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'host-cdr/a+b%3Ac.csv', eTag: 'e2' } } }] });
    const continuation = JSON.stringify({ continueFile: { bucket: 'b', key: 'host-cdr/x.csv', etag: 'e3' } });

    // Act / Assert
    expect(filesOfMessage(eventBridge)).toEqual([{ bucket: 'b', key: 'host-cdr/a b:c.csv', versionId: 'v1', etag: 'e1' }]);
    expect(filesOfMessage(notification)).toEqual([{ bucket: 'b', key: 'host-cdr/a b:c.csv', etag: 'e2' }]);
    expect(filesOfMessage(continuation)).toEqual([{ bucket: 'b', key: 'host-cdr/x.csv', etag: 'e3' }]);
    expect(filesOfMessage(JSON.stringify({ Event: 's3:TestEvent' }))).toEqual([]);
    expect(filesOfMessage('not json')).toEqual([]);
    expect(feedOfKey('host-cdr/2026/a.csv')).toBe('host-cdr');
    expect(feedOfKey('a.csv')).toBeUndefined();
  });

  it('publishes counts and the delay distribution with the feed dimension, 150 values per datum at most', () => {
    // Arrange
    const delays = new DelayHistogram();
    for (let s = 0; s < 100_000_000; s = s * 1.05 + 1) delays.add(s);

    // Act
    const data = feedMetricData({ feed: 'host-cdr', records: 10, rejectedLines: 0, delays: delays.entries() }, new Date(0));

    // Assert
    expect(data.map((d) => d.MetricName)).toEqual(expect.arrayContaining(['FeedRecords', 'FeedRejectedLines', 'FeedDelay']));
    expect(data.every((d) => d.Dimensions?.[0]?.Name === 'feed' && d.Dimensions[0].Value === 'host-cdr')).toBe(true);
    const delayData = data.filter((d) => d.MetricName === 'FeedDelay');
    expect(delayData.every((d) => (d.Values?.length ?? 0) <= 150 && d.Values?.length === d.Counts?.length)).toBe(true);
    expect(delayData.flatMap((d) => d.Counts ?? []).reduce((a, b) => a + b, 0)).toBe(delays.size);
  });

  it('keeps the delay quantiles within a bucket (25%)', () => {
    // Arrange
    const h = new DelayHistogram();
    for (let i = 1; i <= 1_000; i++) h.add(i * 60);

    // Act / Assert
    expect(h.quantile(0.5)! / 30_000).toBeGreaterThan(0.8);
    expect(h.quantile(0.5)! / 30_000).toBeLessThan(1.25);
    expect(h.quantile(0.99)! / 59_400).toBeGreaterThan(0.8);
    expect(delayBucketOf(-5)).toBe(0);
    expect(delayBucketOf(7.4)).toBe(7);
  });

  it('reads the baked mappings, naming the feed of a bad one', () => {
    // Arrange
    const good = JSON.stringify({ 'host-cdr': hostCdr });
    const misnamed = JSON.stringify({ 'other': hostCdr });

    // Act / Assert
    expect([...parseFeedMappings(good).keys()]).toEqual(['host-cdr']);
    expect(() => parseFeedMappings(misnamed)).toThrow('SPENDCAP_FEED_MAPPINGS.other: the mapping names feed "host-cdr"');
    expect(() => parseFeedMappings(undefined)).toThrow('SPENDCAP_FEED_MAPPINGS: required');
  });
});
