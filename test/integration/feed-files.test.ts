/**
 * Usage files end to end on local services: s3rver (the feed bucket), dynalite (the file ledger) and
 * kinesalite (the usage stream), through the file-ingest handler and the deployment's adapters; then the
 * ingest function over what landed on the stream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../local/replay.js';
import { reportPeriods } from '../../local/replay-report.js';
import { startEmulators, type LocalEmulators } from '../../local/emulators.js';
import { compileMapping } from '../../shared/feeds/map-line.js';
import type { FeedMapping } from '../../shared/feeds/mapping-schema.js';
import type { StreamRecordOut, UsageRecordSink } from '../../shared/ports/usage-stream.js';
import {
  cdrFile,
  cdrProfiles,
  contextWithRemaining,
  createStream,
  exampleMapping,
  FEEDS_DIR,
  objectCreatedEvent,
  readStream,
  sqsEventOf,
} from '../support/feed-files.js';
import { createLedgerTable, feedPipeline, ingestRecords } from '../support/feed-pipeline.js';
import { startLocalS3, type LocalS3 } from '../support/local-s3.js';
import { kinesisEventOf, MemoryProfiles, MemoryQuarantine, RecordingWorkflowStarter, sequenceNumberOf } from '../support/ingest-harness.js';
import { createHandler as createIngestHandler } from '../../functions/ingest-events/handler.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';
import { storedCountersOf, type Item } from '../../shared/adapters/dynamo-usage-store-items.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { PeriodCounters, SubscriberProfile } from '../../shared/domain/model.js';

let s3: LocalS3;
let emulators: LocalEmulators;
const hostCdr = exampleMapping('host-cdr');
const MINUTES_LEFT = () => 600_000;
let streams = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
  // A private environment: these emulators must not become the endpoints of a replay started in a test.
  emulators = await startEmulators({ env: {} });
});

afterAll(async () => {
  await s3?.stop();
  await emulators?.stop();
});

async function newPipeline(options: { chunkLines?: number; wrapSink?: (sink: UsageRecordSink) => UsageRecordSink; mappings?: FeedMapping[] } = {}) {
  const streamName = `feed-test-${++streams}`;
  await createStream(emulators.kinesis, streamName);
  const ledgerTable = await createLedgerTable(emulators.dynamo);
  const pipeline = feedPipeline({
    s3,
    dynamo: emulators.dynamo,
    kinesis: emulators.kinesis,
    streamName,
    ledgerTable,
    mappings: options.mappings ?? [hostCdr],
    ...(options.chunkLines !== undefined ? { chunkLines: options.chunkLines } : {}),
    ...(options.wrapSink !== undefined ? { wrapSink: options.wrapSink } : {}),
  });
  return { ...pipeline, streamName, records: () => readStream(emulators.kinesis, streamName) };
}

/** The records the mapping makes of a file's lines, in order (what one clean pass puts on the stream). */
function mappedRecords(mapping: FeedMapping, text: string): string[] {
  const mapper = compileMapping(mapping);
  const out: string[] = [];
  let header = mapper.needsHeader;
  for (const line of text.split(/\r?\n/)) {
    if (mapper.isIgnored(line)) continue;
    if (header) {
      expect(mapper.useHeader(line)).toBeUndefined();
      header = false;
      continue;
    }
    const outcome = mapper.map(line);
    if (outcome.kind === 'record') out.push(outcome.json);
  }
  return out;
}

/** Counters of the ingest function applied once to each record, in order: what exactly-once means. */
async function countersOfCleanPass(records: readonly string[], profiles: readonly SubscriberProfile[]): Promise<Map<string, PeriodCounters[]>> {
  const usage = new MemoryUsageStore();
  const ingest = createIngestHandler({
    usage,
    ledger: usage,
    profiles: new MemoryProfiles(new Map(profiles.map((p) => [p.subscriberId, p]))),
    quarantine: new MemoryQuarantine(),
    workflows: new RecordingWorkflowStarter(),
    settings: DEFAULT_SETTINGS,
  });
  for (let i = 0; i < records.length; i += 1_000) {
    const inputs = records.slice(i, i + 1_000).map((data, j) => ({
      shardId: 'shardId-000000000000',
      sequenceNumber: sequenceNumberOf(i + j + 1),
      payload: data,
      partitionKey: (JSON.parse(data) as { subscriberId: string }).subscriberId,
      arrivalTime: Date.now() / 1000,
    }));
    await ingest(kinesisEventOf(inputs));
  }
  const counters = new Map<string, PeriodCounters[]>();
  for (const [key, item] of usage.items) {
    const [id, sk] = key.split('\u0000') as [string, string];
    if (sk.startsWith('P#')) counters.set(id, [...(counters.get(id) ?? []), storedCountersOf(item as Item).counters]);
  }
  for (const list of counters.values()) list.sort((a, b) => a.period.localeCompare(b.period));
  return counters;
}

describe('usage files on S3 (file-ingest function, local S3 and Kinesis)', () => {
  it('ingests a 100,000-line gzipped CSV export with the counters a replay of the same lines gives', async () => {
    // Arrange
    const profiles = cdrProfiles(400);
    const csv = cdrFile({ lines: 100_000, subscribers: 400, seed: 100 });
    const key = 'host-cdr/2026/12/CDR_MVNO_000100.csv.gz';
    const gz = gzipSync(csv);
    const { etag } = await s3.put(key, gz);
    const pipeline = await newPipeline();
    const dir = mkdtempSync(join(tmpdir(), 'spendcap-feed-replay-'));
    try {
      writeFileSync(join(dir, 'subscribers.json'), JSON.stringify(profiles));
      writeFileSync(join(dir, 'export.csv.gz'), gz);

      // Act
      const response = await pipeline.handler(objectCreatedEvent({ bucket: s3.bucket, key, etag }, gz.length), contextWithRemaining(MINUTES_LEFT));
      const onStream = await pipeline.records();
      const ingested = await ingestRecords(onStream, profiles);
      const report = await runReplay({
        subscribersFile: join(dir, 'subscribers.json'),
        eventsFile: join(dir, 'export.csv.gz'),
        mappingFile: join(FEEDS_DIR, 'host-cdr/mapping.json'),
        progress: false,
      });

      // Assert
      expect(response.batchItemFailures).toEqual([]);
      const expectedRecords = mappedRecords(hostCdr, csv).length;
      expect(pipeline.outcomes).toEqual([expect.objectContaining({ status: 'done', records: expectedRecords, badLines: 0 })]);
      expect(onStream).toHaveLength(expectedRecords);
      expect(report.rejected).toEqual([]);
      expect(report.eventsRead).toBe(expectedRecords);
      expect(ingested.applied).toBe(report.eventsApplied);
      expect(ingested.duplicates).toBe(0);
      expect(ingested.rejected).toBe(0);
      for (const subscriber of report.subscribers) {
        const periods = reportPeriods(ingested.counters.get(subscriber.subscriberId) ?? [], new Map());
        expect(periods, subscriber.subscriberId).toEqual(subscriber.periods);
      }
      expect(report.subscribers.some((s) => s.periods.some((p) => p.roamingDataBytes > 0 && p.roaming.chargeMicros > 0))).toBe(true);
      expect(pipeline.metrics.total('records')).toBe(expectedRecords);
      expect(pipeline.metrics.total('filesDone')).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('counts each line once when a file crashes mid-way, its event comes twice and it is uploaded again', async () => {
    // Arrange
    const profiles = cdrProfiles(50);
    const csv = cdrFile({ lines: 20_000, subscribers: 50, seed: 200 });
    const unique = mappedRecords(hostCdr, csv);
    let puts = 0;
    let crashed = false;
    // Dies in the middle of the fourth stretch's put: half of it on the stream, none of it saved.
    const crashingSink = (sink: UsageRecordSink): UsageRecordSink => ({
      async put(records: readonly StreamRecordOut[]) {
        puts++;
        if (puts === 4 && !crashed) {
          crashed = true;
          await sink.put(records.slice(0, Math.floor(records.length / 2)));
          throw new Error('injected crash mid-stretch');
        }
        await sink.put(records);
      },
    });
    const pipeline = await newPipeline({ chunkLines: 2_000, wrapSink: crashingSink });
    const first = await s3.put('host-cdr/CDR_MVNO_000200.csv.gz', gzipSync(csv));
    const event = objectCreatedEvent({ bucket: s3.bucket, key: 'host-cdr/CDR_MVNO_000200.csv.gz', etag: first.etag });

    // Act
    // The only message of its batch failed: Lambda is told by an error, and SQS delivers the message again.
    const crashedRun = pipeline.handler(event, contextWithRemaining(MINUTES_LEFT));
    await expect(crashedRun).rejects.toThrow(/All records failed processing/);
    const redelivered = await pipeline.handler(event, contextWithRemaining(MINUTES_LEFT));
    const again = await pipeline.handler(event, contextWithRemaining(MINUTES_LEFT));
    // The same export uploaded again, uncompressed and under another name, and run with no time to spare:
    // one stretch per invocation, each continuing from the saved line with a ranged read.
    const second = await s3.put('host-cdr/resent/CDR_MVNO_000200.csv', csv);
    let message = objectCreatedEvent({ bucket: s3.bucket, key: 'host-cdr/resent/CDR_MVNO_000200.csv', etag: second.etag });
    let invocations = 0;
    for (;;) {
      invocations++;
      const response = await pipeline.handler(message, contextWithRemaining(() => 0));
      expect(response.batchItemFailures).toEqual([]);
      const next = pipeline.continuations.queued.shift();
      if (next === undefined) break;
      message = sqsEventOf(JSON.stringify({ continueFile: next }));
    }
    const onStream = await pipeline.records();
    const ingested = await ingestRecords(onStream, profiles);
    const expected = await countersOfCleanPass(unique, profiles);

    // Assert
    expect(crashed).toBe(true);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(pipeline.outcomes.map((o) => o.status)).toEqual(['done', 'already-done', ...Array(invocations - 1).fill('continue'), 'done']);
    expect(invocations).toBeGreaterThan(10);
    // On the stream: the file twice, plus the half stretch put before the crash; each line counted once.
    expect(onStream.length).toBeGreaterThan(2 * unique.length);
    expect(ingested.applied).toBe(unique.length);
    expect(ingested.duplicates).toBe(onStream.length - unique.length);
    expect(ingested.counters).toEqual(expected);
  }, 300_000);

  it('quarantines a file whole, with the reason, when it is not what its mapping says; nothing reaches the stream', async () => {
    // Arrange
    const pipeline = await newPipeline({ chunkLines: 500 });
    const good = cdrFile({ lines: 3_000, subscribers: 20, seed: 300 });
    const commaSeparated = good.replaceAll(';', ',');
    const gz = gzipSync(good);
    const truncated = gz.subarray(0, Math.floor(gz.length / 2));
    const isoDates = good.replace(/(\d\d)\/(\d\d)\/(\d{4}) /g, '$3-$2-$1T');
    const files = {
      'host-cdr/wrong-delimiter.csv': commaSeparated,
      'host-cdr/truncated.csv.gz': truncated,
      'host-cdr/other-date-format.csv': isoDates,
      'host-cdr/binary.bin': Buffer.alloc(200_000, 7),
    };

    // Act
    const etags = new Map<string, string>();
    for (const [key, body] of Object.entries(files)) {
      const { etag } = await s3.put(key, body);
      etags.set(key, etag);
      await pipeline.handler(objectCreatedEvent({ bucket: s3.bucket, key, etag }), contextWithRemaining(MINUTES_LEFT));
    }
    const redelivered = await pipeline.handler(
      objectCreatedEvent({ bucket: s3.bucket, key: 'host-cdr/truncated.csv.gz', etag: etags.get('host-cdr/truncated.csv.gz')! }),
      contextWithRemaining(MINUTES_LEFT),
    );

    // Assert
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(pipeline.outcomes.map((o) => o.status)).toEqual(['quarantined', 'quarantined', 'quarantined', 'quarantined', 'already-done']);
    const reasons = pipeline.outcomes.slice(0, 4).map((o) => o.reason);
    expect(reasons[0]).toMatch(/^the header has no column "CHARGING_ID", .*"IMSI".* \(delimiter ";"\)$/);
    expect(reasons[1]).toMatch(/not a valid gzip file/);
    expect(reasons[2]).toMatch(/^(\d+) of \1 lines \(100%\) do not match the mapping \(first: line 2: eventTime: column START_TIME does not match the format dd\/MM\/yyyy HH:mm:ss/);
    expect(reasons[3]).toMatch(/longer than 65536 bytes: the file is not line-oriented/);
    expect(await pipeline.records()).toEqual([]);
    for (const [key, etag] of etags) {
      const folder = `quarantine/${key}@${etag}/`;
      expect(await s3.keys(folder)).toEqual([`${folder}file`, `${folder}reason.json`]);
      const reason = JSON.parse(await s3.text(`${folder}reason.json`)) as { file: string; reason: string; copied: boolean };
      expect(reason).toMatchObject({ file: `s3://${s3.bucket}/${key}`, copied: true });
      expect(reason.reason).toBe(pipeline.outcomes.find((o) => o.fileId.includes(key))?.reason);
    }
    expect(pipeline.metrics.total('filesQuarantined')).toBe(4);
    expect(pipeline.metrics.total('records')).toBe(0);
  }, 120_000);

  it('puts the good lines and quarantines each bad one with its file, line number and reason', async () => {
    // Arrange
    const pipeline = await newPipeline({ chunkLines: 400 });
    const lines = cdrFile({ lines: 1_000, subscribers: 20, seed: 400 }).split('\r\n');
    // Physical line numbers: 1 is the header, data line i is line i + 2.
    const breakLine = (n: number, edit: (fields: string[]) => string[]): void => {
      lines[n - 1] = edit(lines[n - 1]!.split(';')).join(';');
    };
    breakLine(10, (f) => f.map((v, i) => (i === 6 ? '31/02/2026 10:00:00' : v)));
    breakLine(20, (f) => f.map((v, i) => (i === 8 ? 'VOLTE' : v)));
    breakLine(530, (f) => f.slice(0, 12));
    breakLine(999, (f) => f.map((v, i) => (i === 9 ? '12,5kB' : i === 8 ? 'GPRS' : v)));
    const csv = lines.join('\r\n');
    const { etag } = await s3.put('host-cdr/with-bad-lines.csv', csv);

    // Act
    const response = await pipeline.handler(objectCreatedEvent({ bucket: s3.bucket, key: 'host-cdr/with-bad-lines.csv', etag }), contextWithRemaining(MINUTES_LEFT));

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const good = mappedRecords(hostCdr, csv);
    expect(pipeline.outcomes).toEqual([expect.objectContaining({ status: 'done', badLines: 4, records: good.length })]);
    expect(await pipeline.records()).toHaveLength(good.length);
    const folder = `quarantine/host-cdr/with-bad-lines.csv@${etag}/`;
    const keys = await s3.keys(folder);
    expect(keys).toEqual([`${folder}lines-0000000001.jsonl`, `${folder}lines-0000000402.jsonl`, `${folder}lines-0000000802.jsonl`]);
    const bad = (await Promise.all(keys.map((k) => s3.text(k))))
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; line: number; reason: string; raw: string; recordId?: string });
    expect(bad.map((b) => [b.line, b.reason])).toEqual([
      [10, 'eventTime: column START_TIME is not a valid date and time'],
      [20, 'service: code "VOLTE" is not in service.map'],
      [530, 'has 12 fields, the header has 16'],
      [999, 'volumeBytes: column UPLINK_BYTES is not a number in the unit the mapping gives'],
    ]);
    expect(bad.every((b) => b.file === `s3://${s3.bucket}/host-cdr/with-bad-lines.csv`)).toBe(true);
    expect(bad[0]?.raw).toBe(lines[9]);
    expect(bad[0]?.recordId).toMatch(/^host-cdr:/);
    expect(pipeline.metrics.total('rejectedLines')).toBe(4);
  }, 120_000);
});
