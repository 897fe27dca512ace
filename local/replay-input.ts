/**
 * The replay's input files (replay contract): a JSON array of subscriber profiles, read whole (it is
 * small and every line refers to it), and a JSON Lines events file, streamed line by line so that
 * memory does not grow with its size.
 */
import { createReadStream } from 'node:fs';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { SubscriberProfile } from '../shared/domain/model.js';
import { jsonErrorWithoutExcerpt } from '../shared/domain/event-schema.js';
import { parseSubscriberProfile } from '../shared/domain/subscriber-schema.js';

/** A problem with an input file: the replay stops with this one-line message and writes no report. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
}

function describeFsError(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  if (code === 'EROFS') return 'read-only file system';
  return e instanceof Error ? e.message : String(e);
}

export async function loadSubscribers(path: string): Promise<SubscriberProfile[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: unknown) {
    throw new InputFileError(`subscribers file ${path}: ${describeFsError(e)}`);
  }
  // A byte-order mark (files saved by some Windows editors) is not part of the JSON, as in the events file.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e: unknown) {
    // Without V8's excerpt of the text: it would print a subscriber's number or address on the terminal.
    throw new InputFileError(`subscribers file ${path}: not valid JSON (${jsonErrorWithoutExcerpt(e)})`);
  }
  if (!Array.isArray(input)) {
    throw new InputFileError(`subscribers file ${path}: must be a JSON array of subscriber profiles`);
  }
  const profiles: SubscriberProfile[] = [];
  const seen = new Set<string>();
  input.forEach((item: unknown, index) => {
    const parsed = parseSubscriberProfile(item);
    if (!parsed.ok) throw new InputFileError(`subscribers file ${path}: profile [${index}]: ${parsed.reason}`);
    if (seen.has(parsed.value.subscriberId)) {
      throw new InputFileError(`subscribers file ${path}: profile [${index}]: subscriberId appears twice`);
    }
    seen.add(parsed.value.subscriberId);
    profiles.push(parsed.value);
  });
  return profiles;
}

/** Checks that the events file can be read before anything runs (so a typo fails fast, with no report). */
export async function checkEventsFile(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return info.size;
  } catch (e: unknown) {
    throw new InputFileError(`events file ${path}: ${describeFsError(e)}`);
  }
}

/**
 * Checks, before anything runs, that the report can be written where asked: not a directory, in an
 * existing directory this process may write (the report is written beside it, then renamed into place).
 */
export async function checkReportPath(path: string): Promise<void> {
  const fail = (reason: string): never => {
    throw new InputFileError(`report file ${path}: ${reason}`);
  };
  const existing = await stat(path).catch((e: unknown) => (isNotFound(e) ? undefined : fail(describeFsError(e))));
  if (existing?.isDirectory() === true) fail('is a directory');
  const parent = dirname(path);
  const folder = await stat(parent).catch((e: unknown) => fail(`folder ${parent}: ${describeFsError(e)}`));
  if (!folder.isDirectory()) fail(`folder ${parent}: not a directory`);
  await access(parent, constants.W_OK).catch((e: unknown) => fail(`folder ${parent}: ${describeFsError(e)}`));
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && (e as { code: unknown }).code === 'ENOENT';
}

export interface EventLine {
  /** 1-based physical line number in the file. */
  readonly line: number;
  readonly text: string;
}

/**
 * The non-blank lines of the events file, in order, with their physical line numbers. Blank lines
 * (empty or whitespace only, e.g. a trailing one) are not events: they are neither read nor rejected,
 * but they do count in the line numbers, so a rejected line number always points into the file.
 */
export async function* eventLines(path: string): AsyncGenerator<EventLine> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of reader) {
      line++;
      // A byte-order mark (files saved by some Windows editors) is not part of the first event.
      const clean = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (clean.trim() === '') continue;
      yield { line, text: clean };
    }
  } catch (e: unknown) {
    throw new InputFileError(`events file ${path}: ${describeFsError(e)}`);
  } finally {
    reader.close();
    stream.destroy();
  }
}
