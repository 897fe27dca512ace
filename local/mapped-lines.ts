/**
 * A host operator's export read through a feed mapping, as the replay and `--follow` read a JSON Lines
 * events file: the same `EventLine` stream (one usage-event.v1 JSON text per record, with the line number
 * of the export), produced by the same mapping code the file-ingest function runs in AWS. So an operator
 * can check a mapping against a real export on a laptop before deploying it:
 *
 *   npm run replay -- --subscribers s.json --events CDR_0001.csv.gz --mapping host-cdr.json --report r.json
 *
 * Lines the mapping refuses (and lines whose record fails the contract's schema) are collected in
 * `refused` with their line number and reason, as the replay report lists rejected lines; skipped lines
 * (header, ignored prefixes, services mapped to `skip`) are not events. A file that is not what the
 * mapping says (header lacks a column, not line-oriented, corrupt gzip) stops the run with InputFileError.
 */
import { createReadStream } from 'node:fs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { readFile } from 'node:fs/promises';
import { KinesisRecordSink } from '../shared/adapters/kinesis-record-sink.js';
import { FileFormatError, decompressed, readLines } from '../shared/feeds/line-reader.js';
import { compileMapping } from '../shared/feeds/map-line.js';
import { FeedMappingError, parseFeedMappingJson, type FeedMapping } from '../shared/feeds/mapping-schema.js';
import { eventLines, InputFileError, type EventLine } from './replay-input.js';
import type { RejectedLine } from './replay-report.js';

export async function loadFeedMapping(path: string): Promise<FeedMapping> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: unknown) {
    const code = (e as { code?: string }).code;
    throw new InputFileError(`mapping file ${path}: ${code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const mapping = parseFeedMappingJson(text);
    compileMapping(mapping); // time formats and zones are checked when compiled
    return mapping;
  } catch (e: unknown) {
    throw new InputFileError(`mapping file ${path}: ${e instanceof FeedMappingError || e instanceof Error ? e.message : String(e)}`);
  }
}

/** The records of an export as event lines; refused lines are pushed to `refused`. */
export async function* mappedEventLines(path: string, mapping: FeedMapping, refused: RejectedLine[]): AsyncGenerator<EventLine> {
  const mapper = compileMapping(mapping);
  let headerPending = mapper.needsHeader;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    const lines = readLines(decompressed(stream), { encoding: mapping.format.encoding, maxLineBytes: mapping.limits.maxLineBytes });
    for await (const batch of lines) {
      for (const { line, text, badEncoding } of batch) {
        if (mapper.isIgnored(text)) continue;
        if (headerPending) {
          const problem = mapper.useHeader(text);
          if (problem !== undefined) throw new InputFileError(`events file ${path}: ${problem}`);
          headerPending = false;
          continue;
        }
        if (badEncoding === true) {
          refused.push({ line, reason: 'not valid UTF-8 (an ISO-8859-1 export? set format.encoding to latin1)' });
          continue;
        }
        const outcome = mapper.map(text);
        if (outcome.kind === 'record') yield { line, text: outcome.json };
        else if (outcome.kind === 'bad') refused.push({ line, ...(outcome.recordId !== undefined ? { recordId: outcome.recordId } : {}), reason: outcome.reason });
      }
    }
  } catch (e: unknown) {
    if (e instanceof FileFormatError) throw new InputFileError(`events file ${path}: ${e.message}`);
    if (e instanceof InputFileError) throw e;
    const code = (e as { code?: string }).code;
    throw new InputFileError(`events file ${path}: ${code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`);
  } finally {
    stream.destroy();
  }
}

/** What the replay reads: the JSON Lines file as it is, or the export through its mapping. */
export interface ReplaySource {
  readonly lines: AsyncIterable<EventLine>;
  /** Lines the mapping refused (line, reason), to add to the report's rejected lines. */
  readonly refused: RejectedLine[];
}

export async function replaySource(eventsFile: string, mappingFile: string | undefined): Promise<ReplaySource> {
  if (mappingFile === undefined) return { lines: eventLines(eventsFile), refused: [] };
  const mapping = await loadFeedMapping(mappingFile);
  const refused: RejectedLine[] = [];
  return { lines: mappedEventLines(eventsFile, mapping, refused), refused };
}

/**
 * `npm start -- --follow --events export.csv --mapping feed.json`: puts an export's records on the local
 * usage stream, as the file-ingest function puts a landed file's records on the stream in AWS (same
 * mapping, same stream adapter); the running pipeline then takes them like any other record. Returns what
 * was put and what the mapping refused.
 */
export async function putMappedFile(
  kinesis: KinesisClient,
  streamName: string,
  eventsFile: string,
  mappingFile: string,
): Promise<{ put: number; refused: RejectedLine[] }> {
  const mapping = await loadFeedMapping(mappingFile);
  const refused: RejectedLine[] = [];
  const sink = new KinesisRecordSink({ client: kinesis, stream: { name: streamName } });
  let batch: Array<{ partitionKey: string; data: string }> = [];
  let put = 0;
  for await (const line of mappedEventLines(eventsFile, mapping, refused)) {
    batch.push({ partitionKey: (JSON.parse(line.text) as { subscriberId: string }).subscriberId, data: line.text });
    if (batch.length === 500) {
      await sink.put(batch);
      put += batch.length;
      batch = [];
    }
  }
  await sink.put(batch);
  return { put: put + batch.length, refused };
}
