/**
 * Ports of the usage-file ingestion (shared/feeds/ingest-file.ts): where files are read from, where
 * their progress is kept, where their records go, where bad lines and bad files are kept, and how feed
 * health is reported. Interfaces only; the AWS adapters are in shared/adapters/.
 */

/** One version of one landed file. `versionId` (bucket versioning) or `etag` tells two uploads under the same key apart. */
export interface FeedFileRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
}

export interface FeedFileInfo {
  readonly size: number;
  /** When the file landed (S3 LastModified): the arrival that feed delay is measured against. */
  readonly lastModifiedMs: number;
  readonly etag?: string;
  readonly versionId?: string;
}

/** Reads landed files as streams (S3). */
export interface FeedFileSource {
  head(file: FeedFileRef): Promise<FeedFileInfo>;
  /** The object's bytes from `fromByte` (a ranged read; 0 = the whole object), streamed. */
  open(file: FeedFileRef, fromByte: number): Promise<AsyncIterable<Uint8Array>>;
}

export type FilePhase = 'verify' | 'put' | 'done' | 'quarantined';

/** Progress of one file, so that a crash or a split across invocations resumes instead of restarting. */
export interface FileProgress {
  readonly fileId: string;
  readonly feed: string;
  readonly phase: FilePhase;
  /** Next line to read (1-based) and its decompressed byte offset. */
  readonly nextLine: number;
  readonly nextByte: number;
  /** The CSV header line, kept for a resumed read that starts past it. */
  readonly header?: string;
  /** Its line number: a pass that starts before it skips it. */
  readonly headerLine?: number;
  /** Whether the object is gzip (known after its first bytes): a plain one resumes with a ranged read. */
  readonly gzip?: boolean;
  readonly arrivalMs: number;
  /** Totals of the phase so far. */
  readonly records: number;
  readonly badLines: number;
  readonly skippedLines: number;
  /** First bad line's reason (verify), for a whole-file verdict. */
  readonly firstBad?: string;
  readonly reason?: string;
  /** Optimistic lock: each save must name the version it read. */
  readonly version: number;
}

/** Keeps file progress (DynamoDB). */
export interface FileLedger {
  get(fileId: string): Promise<FileProgress | undefined>;
  /**
   * Saves progress if the stored version is still `expectedVersion` (0 = no item yet). Returns false when
   * another invocation saved first: the caller stops, that one carries on.
   */
  save(progress: FileProgress, expectedVersion: number): Promise<boolean>;
}

export interface BadLine {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
  readonly recordId?: string;
}

/** Keeps what could not be ingested (S3): bad lines with file, line and reason; whole files with the reason. */
export interface FileQuarantine {
  /** Bad lines of one stretch of a file, under a name derived from the file and `firstLine`: writing the same stretch again replaces it. */
  rejectLines(file: FeedFileRef, feed: string, firstLine: number, lines: readonly BadLine[]): Promise<void>;
  rejectFile(file: FeedFileRef, feed: string, reason: string): Promise<void>;
}

/** Counts of one stretch of a feed's file, with the delay of its records (arrival minus eventTime). */
export interface FeedReport {
  readonly feed: string;
  /** Files that started (arrival), that finished, that were quarantined whole. */
  readonly filesReceived?: number;
  readonly filesDone?: number;
  readonly filesQuarantined?: number;
  readonly records?: number;
  readonly rejectedLines?: number;
  /** Delay histogram: seconds -> number of records. */
  readonly delays?: ReadonlyMap<number, number>;
}

/** Publishes feed health (CloudWatch metrics, dimension `feed`). */
export interface FeedMetrics {
  publish(report: FeedReport): Promise<void>;
}

/** Queues the rest of a file for a new invocation (the file-event queue). */
export interface FileContinuations {
  continueLater(file: FeedFileRef): Promise<void>;
}
