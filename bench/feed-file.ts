/**
 * `npm run bench:feeds [-- --sizes 100,300,1000] [-- --gzip]`: the file-ingest use case over host-operator
 * CDR exports of growing size (MB of CSV), generated on the fly (nothing on disk), both passes (verify,
 * then put) with the stream stubbed: how fast it maps lines, and whether memory stays flat as the file
 * grows. Each size runs in a child process of its own, so that its peak RSS is its own.
 * Figures: docs/benchmarks.md, "Usage files".
 */
import '../local/local-env.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { createGzip, constants } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { ingestFeedFile } from '../shared/feeds/ingest-file.js';
import { parseFeedMappingJson } from '../shared/feeds/mapping-schema.js';
import type { FeedFileRef, FeedFileSource, FeedMetrics, FileLedger, FileProgress, FileQuarantine } from '../shared/ports/feed-files.js';
import type { StreamRecordOut, UsageRecordSink } from '../shared/ports/usage-stream.js';

const HEADER = 'RECORD_TYPE;IMSI;MSISDN;CHARGING_ID;NODE_ID;SEQ_NO;START_TIME;DURATION;SERVICE;UPLINK_BYTES;DOWNLINK_BYTES;EVENTS;MCC;MNC;CHARGE_EUR;CAUSE';
const MAPPING = parseFeedMappingJson(readFileSync(fileURLToPath(new URL('../docs/feeds/host-cdr/mapping.json', import.meta.url)), 'utf8'));

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `bytes` of CSV in the host-cdr layout, in chunks of about 1 MB; the same every time (the two passes read the same file). */
async function* csvOf(bytes: number): AsyncGenerator<Buffer> {
  let written = 0;
  let seq = 0;
  let chunk: string[] = [HEADER];
  let chunkBytes = HEADER.length + 1;
  while (written < bytes) {
    seq++;
    const n = seq % 50_000;
    const minute = seq % 1_440;
    const day = 1 + (Math.floor(seq / 1_440) % 28);
    const kind = seq % 10;
    const time = `${pad(day)}/09/2026 ${pad(Math.floor(minute / 60))}:${pad(minute % 60)}:${pad(seq % 60)}`;
    const imsi = `20815${pad(n, 10)}`;
    const line =
      kind < 6
        ? `PGW;${imsi};336${pad(n, 8)};${4_000_000 + seq};PGW-PAR-1;${seq};${time};${60 + (seq % 1_800)};GPRS;${(seq * 7) % 500_000};${(seq * 13) % 8_000_000};;208;1;;0`
        : kind < 8
          ? `MSC;${imsi};336${pad(n, 8)};0;MSC-LYO-1;${seq};${time};${seq % 900};${kind === 7 ? 'MTC' : 'MOC'};;;;208;1;;0`
          : `SMS;${imsi};336${pad(n, 8)};0;SMSC-1;${seq};${time};0;SMSMO;;;1;208;1;;0`;
    chunk.push(line);
    chunkBytes += line.length + 1;
    if (chunkBytes >= 1 << 20) {
      const text = `${chunk.join('\n')}\n`;
      written += text.length;
      yield Buffer.from(text, 'latin1');
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (chunk.length > 0) yield Buffer.from(`${chunk.join('\n')}\n`, 'latin1');
}

class GeneratedSource implements FeedFileSource {
  constructor(
    private readonly bytes: number,
    private readonly gzip: boolean,
  ) {}
  async head(): Promise<{ size: number; lastModifiedMs: number }> {
    return { size: this.bytes, lastModifiedMs: Date.parse('2026-09-29T00:00:00Z') };
  }
  async open(): Promise<AsyncIterable<Uint8Array>> {
    const plain = Readable.from(csvOf(this.bytes));
    return this.gzip ? plain.pipe(createGzip({ level: constants.Z_BEST_SPEED })) : plain;
  }
}

/** Counts what it is given; samples the heap at each stretch (the use case never yields to timers: no interval would fire). */
class CountingSink implements UsageRecordSink {
  records = 0;
  peakHeap = 0;
  async put(records: readonly StreamRecordOut[]): Promise<void> {
    this.records += records.length;
    this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
  }
}

class Ledger implements FileLedger {
  private item: FileProgress | undefined;
  async get(): Promise<FileProgress | undefined> {
    return this.item;
  }
  async save(progress: FileProgress, expected: number): Promise<boolean> {
    if ((this.item?.version ?? 0) !== expected) return false;
    this.item = progress;
    return true;
  }
}

const quarantine: FileQuarantine = { rejectLines: async () => undefined, rejectFile: async () => undefined };
const metrics: FeedMetrics = { publish: async () => undefined };

export interface FeedFileFigures {
  readonly megabytes: number;
  readonly gzip: boolean;
  readonly lines: number;
  readonly records: number;
  readonly seconds: number;
  /** CPU time of the process (user + system): what the figures mean on a machine shared with other work. */
  readonly cpuSeconds: number;
  /** Lines per second over both passes (each line is read and mapped twice). */
  readonly linesPerSecond: number;
  /** Lines per CPU second, both passes. */
  readonly linesPerCpuSecond: number;
  /** Uncompressed MB per second of file, both passes. */
  readonly megabytesPerSecond: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
}

async function measure(megabytes: number, gzip: boolean): Promise<FeedFileFigures> {
  const sink = new CountingSink();
  const file: FeedFileRef = { bucket: 'bench', key: `host-cdr/bench-${megabytes}.csv${gzip ? '.gz' : ''}`, etag: 'bench' };
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const outcome = await ingestFeedFile(file, {
    mappingOf: () => MAPPING,
    source: new GeneratedSource(megabytes * 1_000_000, gzip),
    ledger: new Ledger(),
    sink,
    quarantine,
    metrics,
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (outcome.status !== 'done') throw new Error(`bench file not done: ${JSON.stringify(outcome)}`);
  const lines = outcome.records + outcome.badLines;
  return {
    megabytes,
    gzip,
    lines,
    records: sink.records,
    seconds: Math.round(seconds * 10) / 10,
    cpuSeconds: Math.round(cpuSeconds * 10) / 10,
    linesPerSecond: Math.round((2 * lines) / seconds),
    linesPerCpuSecond: Math.round((2 * lines) / cpuSeconds),
    megabytesPerSecond: Math.round(((2 * megabytes) / seconds) * 10) / 10,
    // maxRSS: kilobytes, the process's high-water mark (not a sample that could miss the peak).
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    peakHeapMb: Math.round(sink.peakHeap / 1e6),
  };
}

/** Each size in a child process: a peak RSS that is that size's own. */
export function runFeedFileBenchmark(sizes: readonly number[], gzip: boolean): FeedFileFigures[] {
  const self = fileURLToPath(import.meta.url);
  return sizes.map((megabytes) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', String(megabytes), ...(gzip ? ['--gzip'] : [])], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as FeedFileFigures;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sizes: { type: 'string', default: '100,300,1000' }, gzip: { type: 'boolean', default: false }, child: { type: 'string' } },
    strict: true,
  });
  if (values.child !== undefined) {
    process.stdout.write(`${JSON.stringify(await measure(Number(values.child), values.gzip))}\n`);
    return;
  }
  const sizes = values.sizes.split(',').map(Number);
  process.stdout.write(
    '| file (MB of CSV) | gzip | records | s (both passes) | CPU s | lines/s | lines/CPU s | MB/s | peak RSS MB | peak heap MB |\n|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const size of sizes) {
    const [f] = runFeedFileBenchmark([size], values.gzip);
    if (f === undefined) continue;
    process.stdout.write(
      `| ${f.megabytes} | ${f.gzip ? 'yes' : 'no'} | ${f.records.toLocaleString('en')} | ${f.seconds} | ${f.cpuSeconds} | ${f.linesPerSecond.toLocaleString('en')} | ${f.linesPerCpuSecond.toLocaleString('en')} | ${f.megabytesPerSecond} | ${f.peakRssMb} | ${f.peakHeapMb} |\n`,
    );
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
