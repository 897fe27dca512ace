/**
 * The feed bucket: landed files read as streams (a ranged GET to resume a plain file), and the quarantine
 * of what could not be ingested, under `quarantine/` in the same bucket:
 *
 * - `quarantine/<key>@<version>/lines-<first line>.jsonl`: the bad lines of one stretch, one JSON object per
 *   line `{ file, versionId, line, reason, recordId?, raw }`. The name comes from the file and the stretch,
 *   so a stretch redone after a crash replaces its own object instead of adding a second copy.
 * - `quarantine/<key>@<version>/file` (a copy of the file as it landed) and `reason.json`: a file refused whole.
 *
 * A read of a version that no longer exists (deleted, or the key overwritten with versioning off) is
 * VersionGone: the newer upload has an event of its own.
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { VersionGone } from '../ports/feed-file-errors.js';
import type { BadLine, FeedFileInfo, FeedFileRef, FeedFileSource, FileQuarantine } from '../ports/feed-files.js';

export const QUARANTINE_PREFIX = 'quarantine/';

/** CopyObject copies up to 5 GB in one request; a larger refused file stays where it landed (the reason says so). */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

function versionOf(file: FeedFileRef): { VersionId?: string; IfMatch?: string } {
  if (file.versionId !== undefined && file.versionId !== 'null') return { VersionId: file.versionId };
  return file.etag !== undefined ? { IfMatch: quoted(file.etag) } : {};
}

function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function isGone(e: unknown): boolean {
  const name = typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion' || name === 'PreconditionFailed' || status === 404 || status === 412;
}

export class S3FeedFileSource implements FeedFileSource {
  constructor(private readonly s3: S3Client) {}

  async head(file: FeedFileRef): Promise<FeedFileInfo> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: file.bucket, Key: file.key, ...versionOf(file) }));
      return {
        size: out.ContentLength ?? 0,
        lastModifiedMs: out.LastModified?.getTime() ?? Date.now(),
        ...(out.ETag !== undefined ? { etag: out.ETag.replaceAll('"', '') } : {}),
        ...(out.VersionId !== undefined ? { versionId: out.VersionId } : {}),
      };
    } catch (e: unknown) {
      if (isGone(e)) throw new VersionGone(`${file.key}: ${String((e as Error).name)}`);
      throw e;
    }
  }

  async open(file: FeedFileRef, fromByte: number): Promise<AsyncIterable<Uint8Array>> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: file.bucket, Key: file.key, ...versionOf(file), ...(fromByte > 0 ? { Range: `bytes=${fromByte}-` } : {}) }),
      );
      const body = out.Body as AsyncIterable<Uint8Array> | undefined;
      if (body === undefined) return (async function* () {})();
      return body;
    } catch (e: unknown) {
      // A range that starts at the end of the object: nothing left to read.
      if ((e as { name?: string }).name === 'InvalidRange') return (async function* () {})();
      if (isGone(e)) throw new VersionGone(`${file.key}: ${String((e as Error).name)}`);
      throw e;
    }
  }
}

export interface S3FileQuarantineOptions {
  readonly client: S3Client;
  /** The bucket the quarantine lives in; the landed file's own bucket when absent. */
  readonly bucket?: string;
  readonly now?: () => Date;
}

export class S3FileQuarantine implements FileQuarantine {
  private readonly s3: S3Client;
  private readonly now: () => Date;

  constructor(private readonly options: S3FileQuarantineOptions) {
    this.s3 = options.client;
    this.now = options.now ?? (() => new Date());
  }

  /** Where the quarantine keeps what it holds about one version of one file. */
  static folderOf(file: FeedFileRef): string {
    const version = file.versionId !== undefined && file.versionId !== 'null' ? file.versionId : (file.etag ?? 'unversioned');
    return `${QUARANTINE_PREFIX}${file.key}@${version.replaceAll('"', '')}/`;
  }

  async rejectLines(file: FeedFileRef, _feed: string, firstLine: number, lines: readonly BadLine[]): Promise<void> {
    const source = `s3://${file.bucket}/${file.key}`;
    const body = lines
      .map((l) =>
        JSON.stringify({
          file: source,
          ...(file.versionId !== undefined ? { versionId: file.versionId } : {}),
          line: l.line,
          reason: l.reason,
          ...(l.recordId !== undefined ? { recordId: l.recordId } : {}),
          raw: l.raw,
        }),
      )
      .join('\n');
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket ?? file.bucket,
        Key: `${S3FileQuarantine.folderOf(file)}lines-${String(firstLine).padStart(10, '0')}.jsonl`,
        Body: `${body}\n`,
        ContentType: 'application/x-ndjson',
      }),
    );
  }

  async rejectFile(file: FeedFileRef, _feed: string, reason: string): Promise<void> {
    const bucket = this.options.bucket ?? file.bucket;
    const folder = S3FileQuarantine.folderOf(file);
    let copied = true;
    let note: string | undefined;
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: file.bucket, Key: file.key, ...versionOf(file) }));
      if ((head.ContentLength ?? 0) > MAX_COPY_BYTES) {
        copied = false;
        note = 'larger than 5 GB: not copied, kept where it landed (the bucket retains it)';
      } else {
        const version = file.versionId !== undefined && file.versionId !== 'null' ? `?versionId=${encodeURIComponent(file.versionId)}` : '';
        await this.s3.send(
          new CopyObjectCommand({ Bucket: bucket, Key: `${folder}file`, CopySource: `${file.bucket}/${encodeKey(file.key)}${version}` }),
        );
      }
    } catch (e: unknown) {
      if (!isGone(e)) throw e;
      copied = false;
      note = 'the file no longer exists';
    }
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${folder}reason.json`,
        Body: `${JSON.stringify({
          file: `s3://${file.bucket}/${file.key}`,
          ...(file.versionId !== undefined ? { versionId: file.versionId } : {}),
          ...(file.etag !== undefined ? { etag: file.etag } : {}),
          reason,
          copied,
          ...(note !== undefined ? { note } : {}),
          rejectedAt: this.now().toISOString(),
        }, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  }
}

/** CopySource is a URL path: each key segment is percent-encoded, the slashes kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
