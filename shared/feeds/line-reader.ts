/**
 * An export as a stream of lines, in bounded memory whatever its size: gzip is recognised by its magic
 * bytes (not by the file name) and decompressed as it streams; lines are cut at `\n` (a `\r` before it
 * goes), carry their physical line number and the byte offset after them (in the decompressed
 * content, so that a plain file can be resumed with a ranged read), and come in batches, one per chunk
 * read. A line longer than the mapping allows means the file is not line-oriented (binary, one huge
 * JSON document, wrong format): that is a fault of the whole file, not of a line.
 */
import { PassThrough, pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface SourceLine {
  /** 1-based physical line number. */
  readonly line: number;
  readonly text: string;
  /** Offset of the byte after this line (and its newline) in the decompressed content. */
  readonly end: number;
  /** The bytes are not valid UTF-8 (the text holds replacement characters). */
  readonly badEncoding?: true;
}

/** The file as a whole is not what its mapping says (not gzip although it starts like it, truncated, not line-oriented). */
export class FileFormatError extends Error {
  override readonly name = 'FileFormatError';
}

export interface ReadLinesOptions {
  readonly encoding: 'utf8' | 'latin1';
  readonly maxLineBytes: number;
  /** Line number of the first line read (resuming). @default 1 */
  readonly firstLine?: number;
  /** Decompressed offset of the first byte read (resuming). @default 0 */
  readonly firstByte?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZLIB_FORMAT_ERRORS = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_NEED_DICT', 'ERR_INVALID_ARG_TYPE']);

/** Whether the first bytes of an object are a gzip header. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * The content of an object, decompressed when it is gzip (one or several members). A corrupt or
 * truncated gzip stream ends with FileFormatError; any other error (the network) is thrown as it is.
 */
export async function* decompressed(chunks: AsyncIterable<Uint8Array>, onDetected?: (gzip: boolean) => void): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  let first = await iterator.next();
  while (!first.done && first.value.length < 2) {
    // A first chunk of one byte cannot be sniffed: join it with the next.
    const next = await iterator.next();
    if (next.done) break;
    first = { done: false, value: Buffer.concat([first.value, next.value]) };
  }
  if (first.done) return;
  const head = Buffer.from(first.value);
  onDetected?.(isGzip(head));
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
    } finally {
      // Stopping early (a stop for lack of time, a refused file) must release the object's connection.
      await iterator.return?.();
    }
  }
  if (!isGzip(head)) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip();
  const out = new PassThrough({ readableHighWaterMark: 1 << 16 });
  let failure: unknown;
  pipeline(Readable.from(rest()), gunzip, out, (e) => {
    if (e !== undefined && e !== null) failure = e;
  });
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } catch (e: unknown) {
    failure ??= e;
  }
  if (failure !== undefined) {
    const code = typeof failure === 'object' && failure !== null && 'code' in failure ? String((failure as { code: unknown }).code) : '';
    if (ZLIB_FORMAT_ERRORS.has(code) || /unexpected end of file|incorrect header check|invalid/i.test(String((failure as Error).message))) {
      throw new FileFormatError(`not a valid gzip file (${(failure as Error).message})`);
    }
    throw failure;
  }
}

/** The lines of decompressed content, one batch per chunk. */
export async function* readLines(content: AsyncIterable<Buffer>, options: ReadLinesOptions): AsyncGenerator<SourceLine[]> {
  let line = (options.firstLine ?? 1) - 1;
  let offset = options.firstByte ?? 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const decode = (bytes: Buffer, start: number, end: number): { text: string; badEncoding?: true } => {
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    let from = start;
    // A byte-order mark opens some Windows exports; it is not part of the first value.
    if (line === 1 && stop - from >= 3 && bytes[from] === 0xef && bytes[from + 1] === 0xbb && bytes[from + 2] === 0xbf) from += 3;
    if (options.encoding === 'latin1') return { text: bytes.toString('latin1', from, stop) };
    const text = bytes.toString('utf8', from, stop);
    // toString replaces invalid sequences with U+FFFD: only then is it worth a strict check.
    if (text.includes('\uFFFD') && !isValidUtf8(bytes.subarray(from, stop))) return { text, badEncoding: true };
    return { text };
  };
  for await (const chunk of content) {
    const batch: SourceLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      line++;
      let bytes: Buffer;
      let from: number;
      let to: number;
      if (pendingBytes > 0) {
        pending.push(chunk.subarray(start, nl));
        bytes = Buffer.concat(pending);
        from = 0;
        to = bytes.length;
        pending = [];
        pendingBytes = 0;
      } else {
        bytes = chunk;
        from = start;
        to = nl;
      }
      if (to - from > options.maxLineBytes) throw tooLong(line, options.maxLineBytes);
      offset += to - from + 1;
      batch.push({ line, end: offset, ...decode(bytes, from, to) });
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > options.maxLineBytes) throw tooLong(line + 1, options.maxLineBytes);
    }
    if (batch.length > 0) yield batch;
  }
  if (pendingBytes > 0) {
    line++;
    const bytes = Buffer.concat(pending);
    offset += bytes.length;
    yield [{ line, end: offset, ...decode(bytes, 0, bytes.length) }];
  }
}

function tooLong(line: number, max: number): FileFormatError {
  return new FileFormatError(`line ${line} is longer than ${max} bytes: the file is not line-oriented (binary, or not the mapping's format)`);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
