/**
 * Shared by the usage-file tests: a generator of host-operator CDR exports in the layout of the example
 * feed docs/feeds/host-cdr (seeded, so a file and its replay are the same lines), the example mappings,
 * readers of a local Kinesis stream, and recording stand-ins for metrics and continuations.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import type { Context, SQSEvent } from 'aws-lambda';
import { DateTime } from 'luxon';
import { parseFeedMappingJson, type FeedMapping } from '../../shared/feeds/mapping-schema.js';
import type { FeedFileRef, FeedMetrics, FeedReport, FileContinuations } from '../../shared/ports/feed-files.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';

export const FEEDS_DIR = fileURLToPath(new URL('../../docs/feeds/', import.meta.url));

export function exampleMapping(feed: 'host-cdr' | 'roaming-tap'): FeedMapping {
  return parseFeedMappingJson(readFileSync(`${FEEDS_DIR}${feed}/mapping.json`, 'utf8'));
}

export const CDR_HEADER = 'RECORD_TYPE;IMSI;MSISDN;CHARGING_ID;NODE_ID;SEQ_NO;START_TIME;DURATION;SERVICE;UPLINK_BYTES;DOWNLINK_BYTES;EVENTS;MCC;MNC;CHARGE_EUR;CAUSE';

/** A small deterministic generator (mulberry32): the same seed gives the same file. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function imsiOf(n: number): string {
  return `20815${String(n).padStart(10, '0')}`;
}

/** Profiles of the generated subscribers: allowances and caps far above what the file uses, so nothing is barred. */
export function cdrProfiles(subscribers: number): SubscriberProfile[] {
  return Array.from({ length: subscribers }, (_, i) => {
    const parsed = parseSubscriberProfile({
      subscriberId: imsiOf(i + 1),
      msisdn: `+336${String(i + 1).padStart(8, '0')}`,
      plan: { dataAllowanceBytes: 500_000_000_000 },
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  });
}

export interface CdrFileOptions {
  readonly lines: number;
  readonly subscribers: number;
  readonly seed?: number;
  /** Usage ends before this instant (epoch ms). @default now minus 2 hours */
  readonly before?: number;
  /** Spread of the usage before `before` (ms). @default two days */
  readonly spreadMs?: number;
  /** First SEQ_NO (files of one export number their records on). @default 1 */
  readonly firstSequence?: number;
}

/**
 * A CDR export of `lines` records (plus header and trailer): home data, roam-like-at-home data in Belgium,
 * charged roaming in Switzerland, voice and SMS (at home), with incoming calls and SMS that the mapping skips. Every
 * charge is explicit and small, so that no cap is reached and a replay's simulated network refuses nothing.
 */
export function cdrFile(options: CdrFileOptions): string {
  const next = random(options.seed ?? 17);
  const before = options.before ?? Date.now() - 2 * 3_600_000;
  const spread = options.spreadMs ?? 2 * 86_400_000;
  const rows: string[] = [CDR_HEADER];
  const paris = (ms: number): string => DateTime.fromMillis(ms, { zone: 'Europe/Paris' }).toFormat('dd/MM/yyyy HH:mm:ss');
  let sequence = options.firstSequence ?? 1;
  for (let i = 0; i < options.lines; i++) {
    const n = 1 + Math.floor(next() * options.subscribers);
    const imsi = imsiOf(n);
    const msisdn = `336${String(n).padStart(8, '0')}`;
    const start = before - Math.floor(next() * spread) - 3_600_000;
    const kind = next();
    const seq = sequence++;
    let row: string[];
    // Each subscriber stays where it is (a tenth in Switzerland, a tenth in Belgium): a serving network
    // that changed line after line would send a roaming welcome each time, which is not what this tests.
    const [mcc, mnc, charge] = n % 10 === 0 ? ['228', '1', '0,0010'] : n % 10 === 1 ? ['206', '10', '0,0000'] : ['208', '1', '0,0000'];
    if (kind < 0.6) {
      const duration = 60 + Math.floor(next() * 1800);
      row = ['PGW', imsi, msisdn, String(4_000_000 + seq), 'PGW-PAR-1', String(seq), paris(start), String(duration), 'GPRS', String(Math.floor(next() * 500_000)), String(Math.floor(next() * 8_000_000)), '', mcc, mnc, charge, '0'];
    } else if (kind < 0.8) {
      const incoming = next() < 0.2;
      row = ['MSC', imsi, msisdn, '0', 'MSC-LYO-1', String(seq), paris(start), String(Math.floor(next() * 900)), incoming ? 'MTC' : 'MOC', '', '', '', mcc, mnc, '0,0000', '0'];
    } else {
      const incoming = next() < 0.2;
      row = ['SMS', imsi, msisdn, '0', 'SMSC-1', String(seq), paris(start), '0', incoming ? 'SMSMT' : 'SMSMO', '', '', '1', mcc, mnc, '0,0000', '0'];
    }
    rows.push(row.join(';'));
  }
  rows.push(`#END;records=${options.lines}`);
  return `${rows.join('\r\n')}\r\n`;
}

/** An SQS event of the file-event queue with one S3 "Object Created" event (as EventBridge delivers it). */
export function objectCreatedEvent(file: FeedFileRef, size = 0): SQSEvent {
  return sqsEventOf(
    JSON.stringify({
      version: '0',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      time: new Date().toISOString(),
      detail: { bucket: { name: file.bucket }, object: { key: file.key, size, etag: file.etag }, reason: 'PutObject' },
    }),
  );
}

export function sqsEventOf(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${i}-${Math.random().toString(36).slice(2)}`,
      receiptHandle: 'r',
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'events',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-3:000000000000:feed-files',
      awsRegion: 'eu-west-3',
    })),
  };
}

/** A Lambda context whose remaining time the test sets (to force a large file across invocations). */
export function contextWithRemaining(remainingMs: () => number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'spendcap-ingest-feed-files',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-3:000000000000:function:spendcap-ingest-feed-files',
    memoryLimitInMB: '1024',
    awsRequestId: `test-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/spendcap-ingest-feed-files',
    logStreamName: 'test',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class RecordingFeedMetrics implements FeedMetrics {
  readonly reports: FeedReport[] = [];
  async publish(report: FeedReport): Promise<void> {
    this.reports.push(report);
  }
  total(key: 'filesReceived' | 'filesDone' | 'filesQuarantined' | 'records' | 'rejectedLines'): number {
    return this.reports.reduce((sum, r) => sum + (r[key] ?? 0), 0);
  }
}

export class RecordingContinuations implements FileContinuations {
  readonly queued: FeedFileRef[] = [];
  async continueLater(file: FeedFileRef): Promise<void> {
    this.queued.push(file);
  }
}

/** A fresh stream on the local Kinesis, so that each test reads only its own records. */
export async function createStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  for (let i = 0; i < 200; i++) {
    const out = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (out.StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`stream ${name} did not become active`);
}

/** Every record on the stream's shards, in shard order. */
export async function readStream(kinesis: KinesisClient, name: string): Promise<Array<{ shardId: string; record: _Record }>> {
  const description = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
  const out: Array<{ shardId: string; record: _Record }> = [];
  for (const shard of description.StreamDescription?.Shards ?? []) {
    const shardId = shard.ShardId!;
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) out.push({ shardId, record });
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}
