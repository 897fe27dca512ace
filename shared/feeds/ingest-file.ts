/**
 * Ingests one landed usage file: every good line onto the usage stream as a usage-event.v1 record (partition
 * key = subscriber), every bad line to the quarantine with file, line and reason, or the whole file to the
 * quarantine when it is not what its mapping says, never half of it.
 *
 * Two passes over the streamed file (never loaded whole; gzip decompressed as it streams):
 *  1. verify: every line is mapped and counted, nothing is put. A file that cannot be decompressed, whose
 *     header lacks a column the mapping reads, that is not line-oriented, or with more bad lines than the
 *     mapping's limits is quarantined whole before any of its lines reach the stream.
 *  2. put: the lines are mapped again and put in stretches of `chunkLines`; after each stretch is on the
 *     stream (and its bad lines in the quarantine) the progress is saved.
 *
 * Exactly once per line: a line may be put more than once (a crash after the put and before the save, an
 * S3 event delivered twice, the same file uploaded again under another name), but always with the same
 * recordId and eventTime, built from the line's content, so ingest counts it once. Progress is saved with
 * an optimistic lock, so two invocations on one file never both carry on: the one whose save fails stops.
 *
 * A large file is split across invocations: when the invocation's remaining time falls under `reserveMs`
 * the use case stops at a saved stretch and answers `continue`; the handler queues a continuation that
 * resumes from the saved line (a ranged read for a plain file; a gzip file is decompressed again from
 * its start and the lines before are skipped, which is cheap beside putting them).
 */
import type { FeedMapping } from './mapping-schema.js';
import { compileMapping, type LineMapper } from './map-line.js';
import { decompressed, FileFormatError, readLines, type SourceLine } from './line-reader.js';
import { DelayHistogram } from './delay-histogram.js';
import { VersionGone } from '../ports/feed-file-errors.js';

export { VersionGone };
import type { BadLine, FeedFileRef, FeedMetrics, FeedReport, FileLedger, FileProgress, FeedFileSource, FileQuarantine } from '../ports/feed-files.js';
import type { StreamRecordOut, UsageRecordSink } from '../ports/usage-stream.js';

export interface IngestFileDeps {
  /** The validated mapping of a feed by name; undefined when no feed of that name is configured. */
  readonly mappingOf: (feed: string) => FeedMapping | undefined;
  readonly source: FeedFileSource;
  readonly ledger: FileLedger;
  readonly sink: UsageRecordSink;
  readonly quarantine: FileQuarantine;
  readonly metrics: FeedMetrics;
  /** Time left in this invocation (ms); undefined: no limit (tests, local). */
  readonly remainingMs?: () => number;
  /** Lines per saved stretch. @default 5000 */
  readonly chunkLines?: number;
  /** Stop and continue in a new invocation when less time than this is left. @default 60_000 */
  readonly reserveMs?: number;
  readonly log?: { warn(message: string, extra?: Record<string, unknown>): void };
}

export type FileStatus =
  /** Every line is on the stream or in the quarantine. */
  | 'done'
  /** The whole file is in the quarantine, nothing of it on the stream. */
  | 'quarantined'
  /** An earlier invocation finished this file (a redelivered event). */
  | 'already-done'
  /** Stopped at a saved point for lack of time: resume in a new invocation. */
  | 'continue'
  /** Another invocation is on this file (it saved progress first), or this version of it is gone. */
  | 'superseded';

export interface FileOutcome {
  readonly status: FileStatus;
  readonly fileId: string;
  readonly feed: string;
  readonly records: number;
  readonly badLines: number;
  readonly reason?: string;
}

const DEFAULT_CHUNK_LINES = 5_000;
const DEFAULT_RESERVE_MS = 60_000;
/** Raw text kept per bad line: enough to see what went wrong, bounded whatever the line. */
const MAX_RAW_CHARS = 4_096;

/** The feed of a key: its first path segment (`host-cdr/2026/09/10/CDR_0001.csv.gz` -> `host-cdr`). */
export function feedOfKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash > 0 && slash < key.length - 1 ? key.slice(0, slash) : undefined;
}

/** One ledger id per version of a file: a re-upload under the same key is a new file (its lines de-duplicate in ingest). */
export function fileIdOf(file: FeedFileRef): string {
  return `${file.bucket}/${file.key}#${file.versionId ?? file.etag ?? '-'}`;
}

export async function ingestFeedFile(file: FeedFileRef, deps: IngestFileDeps): Promise<FileOutcome> {
  const fileId = fileIdOf(file);
  const feed = feedOfKey(file.key) ?? '';
  let progress = await deps.ledger.get(fileId);
  if (progress?.phase === 'done' || progress?.phase === 'quarantined') return outcomeOf('already-done', fileId, feed, progress);

  if (progress === undefined) {
    const info = await headOrGone(deps.source, file);
    if (info === undefined) return outcomeOf('superseded', fileId, feed, undefined, GONE);
    const fresh: FileProgress = {
      fileId,
      feed,
      phase: 'verify',
      nextLine: 1,
      nextByte: 0,
      arrivalMs: info.lastModifiedMs,
      records: 0,
      badLines: 0,
      skippedLines: 0,
      version: 1,
    };
    if (!(await deps.ledger.save(fresh, 0))) return outcomeOf('superseded', fileId, feed);
    progress = fresh;
    await publish(deps, { feed, filesReceived: 1 });
  }
  return new FileRun(file, progress, deps).run();
}

const GONE = 'this version of the file no longer exists (a newer upload has its own event)';

function outcomeOf(status: FileStatus, fileId: string, feed: string, p?: FileProgress, reason?: string): FileOutcome {
  const why = reason ?? p?.reason;
  return { status, fileId, feed, records: p?.records ?? 0, badLines: p?.badLines ?? 0, ...(why !== undefined ? { reason: why } : {}) };
}


async function headOrGone(source: FeedFileSource, file: FeedFileRef) {
  try {
    return await source.head(file);
  } catch (e: unknown) {
    if (e instanceof VersionGone) return undefined;
    throw e;
  }
}

/** What one stretch of lines gave. */
class Stretch {
  /** Records to put and bad lines to keep (put pass only; the verify pass only counts). */
  readonly records: StreamRecordOut[] = [];
  readonly bad: BadLine[] = [];
  readonly delays = new DelayHistogram();
  /** Lines that were records or bad (not skipped): what `chunkLines` counts. */
  lines = 0;
  recordCount = 0;
  badCount = 0;
  skipped = 0;
  firstBad: string | undefined;
  constructor(readonly firstLine: number) {}
}

type PassEnd =
  | { readonly kind: 'end' }
  | { readonly kind: 'stop'; readonly status: 'continue' | 'superseded' }
  | { readonly kind: 'malformed'; readonly reason: string };

/** One file's ingestion from its saved progress to done, quarantined or a stop. */
class FileRun {
  private readonly feed: string;
  private readonly chunkLines: number;
  private readonly reserveMs: number;

  constructor(
    private readonly file: FeedFileRef,
    private progress: FileProgress,
    private readonly deps: IngestFileDeps,
  ) {
    this.feed = progress.feed;
    this.chunkLines = Math.max(1, deps.chunkLines ?? DEFAULT_CHUNK_LINES);
    this.reserveMs = deps.reserveMs ?? DEFAULT_RESERVE_MS;
  }

  private outcome(status: FileStatus, reason?: string): FileOutcome {
    return outcomeOf(status, this.progress.fileId, this.feed, this.progress, reason);
  }

  async run(): Promise<FileOutcome> {
    const mapping = this.deps.mappingOf(this.feed);
    if (mapping === undefined) {
      return this.quarantineWhole(`no mapping for feed "${this.feed.slice(0, 40)}" (the first folder of the key names the feed)`);
    }
    while (this.progress.phase === 'verify' || this.progress.phase === 'put') {
      const phase = this.progress.phase;
      let end: PassEnd;
      try {
        end = await this.pass(mapping);
      } catch (e: unknown) {
        if (e instanceof VersionGone) return this.outcome('superseded', GONE);
        if (!(e instanceof FileFormatError)) throw e;
        end = { kind: 'malformed', reason: e.message };
      }
      if (end.kind === 'stop') return this.outcome(end.status);
      if (end.kind === 'malformed') {
        // Only the verify pass can refuse a file before any line of it is put; later it can only happen
        // if the object changed under its version, and the report says so.
        return this.quarantineWhole(phase === 'put' ? `${end.reason} (found while putting: the lines before it were put)` : end.reason);
      }
      if (!(await this.finishPhase(mapping))) return this.outcome('superseded');
    }
    return this.outcome(this.progress.phase === 'quarantined' ? 'quarantined' : 'done');
  }

  /** Reads the file from the saved line to its end (or a stop), committing a stretch every `chunkLines` lines. */
  private async pass(mapping: FeedMapping): Promise<PassEnd> {
    const start = this.progress;
    const mapper = compileMapping(mapping);
    let header = start.header;
    let headerLine = start.headerLine ?? 0;
    if (mapper.needsHeader && header !== undefined) {
      const problem = mapper.useHeader(header);
      if (problem !== undefined) return { kind: 'malformed', reason: problem };
    }
    let headerPending = mapper.needsHeader && header === undefined;
    let gzip = start.gzip;
    // A plain file resumes with a ranged read; a gzip one is decompressed from its start.
    const ranged = start.nextLine > 1 && start.gzip === false;
    const bytes = await this.deps.source.open(this.file, ranged ? start.nextByte : 0);
    const lines = readLines(
      decompressed(bytes, (detected) => {
        gzip = detected;
      }),
      {
        encoding: mapping.format.encoding,
        maxLineBytes: mapping.limits.maxLineBytes,
        ...(ranged ? { firstLine: start.nextLine, firstByte: start.nextByte } : {}),
      },
    );
    const verifying = start.phase === 'verify';
    const { maxBadLines } = mapping.limits;
    let stretch = new Stretch(start.nextLine);
    let last: SourceLine | undefined;
    try {
      for await (const batch of lines) {
        for (const line of batch) {
          if (line.line < start.nextLine) continue;
          last = line;
          if (line.line === headerLine) continue;
          if (headerPending) {
            if (mapper.isIgnored(line.text)) continue;
            const problem = mapper.useHeader(line.text);
            if (problem !== undefined) return { kind: 'malformed', reason: problem };
            header = line.text;
            headerLine = line.line;
            headerPending = false;
            continue;
          }
          this.take(stretch, line, mapper, verifying);
          // A hopeless file is refused as soon as it is, not read to its end.
          const badSoFar = this.progress.badLines + stretch.badCount;
          if (verifying && badSoFar > maxBadLines) {
            return { kind: 'malformed', reason: `more than ${maxBadLines} lines do not match the mapping (first: ${this.progress.firstBad ?? stretch.firstBad})` };
          }
          if (stretch.lines >= this.chunkLines) {
            const stop = await this.commit(stretch, line, { header, headerLine }, gzip, false);
            if (stop !== undefined) return stop;
            stretch = new Stretch(line.line + 1);
          }
        }
      }
    } finally {
      await lines.return(undefined);
    }
    const stop = await this.commit(stretch, last, { header, headerLine }, gzip, true);
    return stop ?? { kind: 'end' };
  }

  /** Maps one line into the stretch: a record, a skip, or a bad line (kept whole only when putting). */
  private take(stretch: Stretch, line: SourceLine, mapper: LineMapper, verifying: boolean): void {
    if (mapper.isIgnored(line.text)) {
      stretch.skipped++;
      return;
    }
    stretch.lines++;
    const outcome = line.badEncoding
      ? ({ kind: 'bad', reason: 'not valid UTF-8 (an ISO-8859-1 export? set format.encoding to latin1)' } as const)
      : mapper.map(line.text);
    if (outcome.kind === 'skip') {
      stretch.skipped++;
      return;
    }
    if (outcome.kind === 'bad') {
      stretch.firstBad ??= `line ${line.line}: ${outcome.reason}`;
      if (verifying) {
        stretch.badCount++;
        return;
      }
      stretch.bad.push({
        line: line.line,
        reason: outcome.reason,
        raw: line.text.length > MAX_RAW_CHARS ? line.text.slice(0, MAX_RAW_CHARS) : line.text,
        ...(outcome.recordId !== undefined ? { recordId: outcome.recordId } : {}),
      });
      stretch.badCount++;
      return;
    }
    if (verifying) {
      stretch.recordCount++;
      return;
    }
    stretch.records.push({ partitionKey: outcome.event.subscriberId, data: outcome.json });
    stretch.recordCount++;
    stretch.delays.add((this.progress.arrivalMs - outcome.eventMs) / 1000);
  }

  /**
   * Ends a stretch at `last`: when putting, its records go on the stream and its bad lines to the
   * quarantine first; then the progress is saved (the lock tells whether another invocation took the file
   * over) and the stretch's health published. Returns a stop when this invocation must not go on.
   */
  private async commit(
    stretch: Stretch,
    last: SourceLine | undefined,
    { header, headerLine }: { header: string | undefined; headerLine: number },
    gzip: boolean | undefined,
    atEnd: boolean,
  ): Promise<PassEnd | undefined> {
    const p = this.progress;
    const putting = p.phase === 'put';
    if (putting) {
      if (stretch.records.length > 0) await this.deps.sink.put(stretch.records);
      if (stretch.bad.length > 0) await this.deps.quarantine.rejectLines(this.file, this.feed, stretch.firstLine, stretch.bad);
    }
    const firstBad = p.firstBad ?? stretch.firstBad;
    const next: FileProgress = {
      ...p,
      nextLine: last === undefined ? p.nextLine : last.line + 1,
      nextByte: last === undefined ? p.nextByte : last.end,
      ...(header !== undefined ? { header, headerLine } : {}),
      ...(gzip !== undefined ? { gzip } : {}),
      records: p.records + stretch.recordCount,
      badLines: p.badLines + stretch.badCount,
      skippedLines: p.skippedLines + stretch.skipped,
      ...(firstBad !== undefined ? { firstBad } : {}),
      version: p.version + 1,
    };
    // The last stretch is saved with the phase's end (finishPhase): one write fewer per file.
    if (atEnd) {
      this.progress = { ...next, version: p.version };
      this.pendingStretch = stretch;
      return undefined;
    }
    if (!(await this.deps.ledger.save(next, p.version))) return { kind: 'stop', status: 'superseded' };
    this.progress = next;
    if (putting) await this.publishStretch(stretch);
    const remaining = this.deps.remainingMs?.();
    if (remaining !== undefined && remaining < this.reserveMs) return { kind: 'stop', status: 'continue' };
    return undefined;
  }

  private pendingStretch: Stretch | undefined;

  /**
   * End of a pass. After verify: the whole-file verdict (too many bad lines, or too large a share), then the
   * put pass from the first line. After put: done. Returns false when another invocation saved first.
   */
  private async finishPhase(mapping: FeedMapping): Promise<boolean> {
    const p = this.progress;
    const stretch = this.pendingStretch;
    this.pendingStretch = undefined;
    if (p.phase === 'verify') {
      const lines = p.records + p.badLines;
      const { maxBadLines, maxBadShare } = mapping.limits;
      if (p.badLines > maxBadLines || (lines > 0 && p.badLines / lines > maxBadShare)) {
        const share = lines === 0 ? 0 : Math.round((p.badLines / lines) * 1000) / 10;
        await this.quarantineWhole(`${p.badLines} of ${lines} lines (${share}%) do not match the mapping (first: ${p.firstBad ?? '?'})`);
        return true;
      }
      const next: FileProgress = { ...withoutTotals(p), phase: 'put', nextLine: 1, nextByte: 0, version: p.version + 1 };
      if (!(await this.deps.ledger.save(next, p.version))) return false;
      this.progress = next;
      return true;
    }
    const done: FileProgress = { ...p, phase: 'done', version: p.version + 1 };
    if (!(await this.deps.ledger.save(done, p.version))) return false;
    this.progress = done;
    if (stretch !== undefined) await this.publishStretch(stretch);
    await publish(this.deps, { feed: this.feed, filesDone: 1 });
    return true;
  }

  private async publishStretch(stretch: Stretch): Promise<void> {
    await publish(this.deps, {
      feed: this.feed,
      records: stretch.recordCount,
      rejectedLines: stretch.badCount,
      ...(stretch.delays.size > 0 ? { delays: stretch.delays.entries() } : {}),
    });
  }

  /** The whole file to the quarantine with the reason, and the ledger says so (a redelivered event then does nothing). */
  private async quarantineWhole(reason: string): Promise<FileOutcome> {
    await this.deps.quarantine.rejectFile(this.file, this.feed, reason);
    const p = this.progress;
    const quarantined: FileProgress = { ...p, phase: 'quarantined', reason, version: p.version + 1 };
    // Lost to another invocation: it reaches the same verdict on the same bytes.
    if (await this.deps.ledger.save(quarantined, p.version)) this.progress = quarantined;
    else this.progress = { ...p, reason };
    await publish(this.deps, { feed: this.feed, filesQuarantined: 1 });
    return outcomeOf('quarantined', p.fileId, this.feed, quarantined, reason);
  }
}

/** The put pass counts from zero; the header and compression found by verify are kept. */
function withoutTotals(p: FileProgress): FileProgress {
  const { firstBad: _firstBad, ...rest } = p;
  return { ...rest, records: 0, badLines: 0, skippedLines: 0 };
}

/** Feed health must never stall a file: a failed publish is logged and the file goes on. */
async function publish(deps: IngestFileDeps, report: FeedReport): Promise<void> {
  try {
    await deps.metrics.publish(report);
  } catch (e: unknown) {
    deps.log?.warn('feed metrics not published', { feed: report.feed, error: e instanceof Error ? e.message : String(e) });
  }
}
