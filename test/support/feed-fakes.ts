/**
 * In-memory stand-ins for the ports of the file ingestion (shared/ports/feed-files.ts), for unit and
 * property tests: files served in chunks of a chosen size, a ledger with the same optimistic lock as the
 * DynamoDB one, a sink that can die part-way through a put, and a quarantine that keeps what it is given.
 */
import { VersionGone } from '../../shared/ports/feed-file-errors.js';
import type { BadLine, FeedFileInfo, FeedFileRef, FeedFileSource, FileLedger, FileProgress, FileQuarantine } from '../../shared/ports/feed-files.js';
import type { StreamRecordOut, UsageRecordSink } from '../../shared/ports/usage-stream.js';

export class MemoryFileSource implements FeedFileSource {
  readonly files = new Map<string, { body: Buffer; lastModifiedMs: number }>();
  /** Ranged reads asked for (fromByte > 0). */
  readonly rangedReads: number[] = [];
  constructor(private readonly chunkBytes = 4_096) {}

  add(key: string, body: Buffer | string, lastModifiedMs = Date.parse('2026-09-11T00:00:00Z')): FeedFileRef {
    this.files.set(key, { body: Buffer.from(body), lastModifiedMs });
    return { bucket: 'feeds', key, etag: `etag-${key}` };
  }

  async head(file: FeedFileRef): Promise<FeedFileInfo> {
    const found = this.files.get(file.key);
    if (found === undefined) throw new VersionGone(file.key);
    return { size: found.body.length, lastModifiedMs: found.lastModifiedMs };
  }

  async open(file: FeedFileRef, fromByte: number): Promise<AsyncIterable<Uint8Array>> {
    const found = this.files.get(file.key);
    if (found === undefined) throw new VersionGone(file.key);
    if (fromByte > 0) this.rangedReads.push(fromByte);
    const { body } = found;
    const size = this.chunkBytes;
    return (async function* () {
      for (let at = fromByte; at < body.length; at += size) yield body.subarray(at, Math.min(body.length, at + size));
    })();
  }
}

export class MemoryLedger implements FileLedger {
  readonly items = new Map<string, FileProgress>();
  saves = 0;

  async get(fileId: string): Promise<FileProgress | undefined> {
    const item = this.items.get(fileId);
    return item === undefined ? undefined : structuredClone(item);
  }

  async save(progress: FileProgress, expectedVersion: number): Promise<boolean> {
    const current = this.items.get(progress.fileId);
    if ((current?.version ?? 0) !== expectedVersion) return false;
    this.items.set(progress.fileId, structuredClone(progress));
    this.saves++;
    return true;
  }
}

/** Keeps every record put, in order; `crashAt(n)` makes the n-th put (1-based) put half its records and throw. */
export class MemorySink implements UsageRecordSink {
  readonly records: StreamRecordOut[] = [];
  puts = 0;
  private crashOn: number | undefined;

  crashAt(put: number | undefined): void {
    this.crashOn = put;
  }

  async put(records: readonly StreamRecordOut[]): Promise<void> {
    this.puts++;
    if (this.puts === this.crashOn) {
      this.crashOn = undefined;
      this.records.push(...records.slice(0, Math.floor(records.length / 2)));
      throw new Error('injected crash');
    }
    this.records.push(...records);
  }
}

export class MemoryFileQuarantine implements FileQuarantine {
  /** Bad lines by stretch name (file + first line): a stretch written again replaces its entry. */
  readonly lines = new Map<string, BadLine[]>();
  readonly files = new Map<string, string>();

  async rejectLines(file: FeedFileRef, _feed: string, firstLine: number, lines: readonly BadLine[]): Promise<void> {
    this.lines.set(`${file.key}#${firstLine}`, [...lines]);
  }

  async rejectFile(file: FeedFileRef, _feed: string, reason: string): Promise<void> {
    this.files.set(file.key, reason);
  }

  allBadLines(): BadLine[] {
    return [...this.lines.values()].flat().sort((a, b) => a.line - b.line);
  }
}
