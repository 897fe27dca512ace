/**
 * `npm run send-event`: puts carrier events on the local stream of `npm start -- --follow`, with the
 * project's own Kinesis client, so trying the pipeline by hand needs no AWS CLI (whose v1 and v2 disagree
 * on how `--data` is encoded). Events are checked against usage-event.v1 before they are put: a mistake
 * is named here, in one line, rather than found later in the quarantine.
 */
import './local-env.js';
import { randomUUID } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import { SEND_EVENT_HELP } from './cli-help.js';
import { decimalFlag, EXIT_OK, FixableError, integerFlag, parseCommandLine, plural, processIo, runCommand, UsageError, type CliIo } from './cli.js';
import { LOCAL_REGION, LOCAL_STREAM_NAME, localKinesisClient } from './emulators.js';

const OPTIONS = {
  subscriber: { type: 'string' },
  roaming: { type: 'string' },
  home: { type: 'string' },
  mb: { type: 'string' },
  eur: { type: 'string' },
  time: { type: 'string' },
  'record-id': { type: 'string' },
  'kinesis-port': { type: 'string' },
  stream: { type: 'string' },
} as const;

const DEFAULT_HOME_PLMN = '20801';
const DEFAULT_KINESIS_PORT = 4567;
/** PutRecords takes at most 500 records a call. */
const PUT_BATCH = 500;

export interface EventFlags {
  readonly subscriber?: string | undefined;
  readonly roaming?: string | undefined;
  readonly home?: string | undefined;
  readonly mb?: string | undefined;
  readonly eur?: string | undefined;
  readonly time?: string | undefined;
  readonly 'record-id'?: string | undefined;
}

/** The one data event the flags describe, as a JSON line (not yet validated). */
export function eventFromFlags(flags: EventFlags, now: Date = new Date(), newId: () => string = randomUUID): string {
  if (flags.subscriber === undefined || flags.subscriber === '') throw new UsageError('--subscriber is required (or give JSON lines on stdin)');
  const mb = decimalFlag('mb', flags.mb) ?? 1;
  const eur = decimalFlag('eur', flags.eur);
  return JSON.stringify({
    recordId: flags['record-id'] ?? `cli-${newId()}`,
    subscriberId: flags.subscriber,
    eventTime: flags.time ?? now.toISOString().replace(/\.\d+Z$/, 'Z'),
    service: 'data',
    volumeBytes: Math.round(mb * 1_000_000),
    servingPlmn: flags.roaming ?? flags.home ?? DEFAULT_HOME_PLMN,
    // Integer micros: EUR 2.5 is 2,500,000 (rounded to the micro, never a float on the wire).
    ...(eur !== undefined && { chargeMicros: Math.round(eur * 1_000_000) }),
  });
}

/** Checks each line against usage-event.v1; throws naming the line and the field of the first bad one. */
export function checkEventLines(lines: readonly string[]): { text: string; partitionKey: string }[] {
  return lines.map((text, index) => {
    const parsed = parseCarrierEventJson(text);
    if (!parsed.ok) throw new FixableError(`${lines.length > 1 ? `line ${index + 1}: ` : ''}not a valid event: ${parsed.reason}`);
    return { text, partitionKey: parsed.value.subscriberId };
  });
}

async function readStdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export interface SendEventIo extends CliIo {
  /** Lines from stdin when no event flag is given (tests pass them in). */
  readonly stdinLines?: () => Promise<string[]>;
  readonly kinesis?: (endpoint: string) => Pick<KinesisClient, 'send'>;
  readonly now?: () => Date;
}

export async function sendEvent(argv: readonly string[], io: SendEventIo = processIo): Promise<number> {
  const values = parseCommandLine(argv, OPTIONS);
  if (values === undefined) {
    io.out(SEND_EVENT_HELP);
    return EXIT_OK;
  }
  const port = integerFlag('kinesis-port', values['kinesis-port'], 1, 65_535) ?? DEFAULT_KINESIS_PORT;
  const stream = values.stream ?? LOCAL_STREAM_NAME;
  const fromFlags = values.subscriber !== undefined || values.roaming !== undefined || values.mb !== undefined || values.eur !== undefined;
  let lines: string[];
  if (fromFlags) lines = [eventFromFlags(values, io.now?.() ?? new Date())];
  else {
    if (io.stdinLines === undefined && process.stdin.isTTY === true) throw new UsageError('give --subscriber (and --roaming, --mb, --eur), or JSON lines on stdin');
    lines = await (io.stdinLines ?? readStdinLines)();
    if (lines.length === 0) throw new UsageError('no event: stdin was empty; give --subscriber ... or JSON lines on stdin');
  }
  const records = checkEventLines(lines);
  const endpoint = `http://127.0.0.1:${port}`;
  const kinesis = (io.kinesis ?? ((e: string) => localKinesisClient(e, LOCAL_REGION)))(endpoint);
  let put = 0;
  try {
    for (let i = 0; i < records.length; i += PUT_BATCH) {
      const batch = records.slice(i, i + PUT_BATCH);
      const result = await kinesis.send(
        new PutRecordsCommand({ StreamName: stream, Records: batch.map((r) => ({ Data: Buffer.from(r.text), PartitionKey: r.partitionKey })) }),
      );
      const failed = result.FailedRecordCount ?? 0;
      if (failed > 0) throw new FixableError(`the stream refused ${plural(failed, 'record')}: ${result.Records?.find((r) => r.ErrorCode !== undefined)?.ErrorMessage ?? 'no reason given'}`);
      put += batch.length;
    }
  } catch (e: unknown) {
    if (e instanceof FixableError) throw e;
    const code = (e as { code?: unknown; name?: unknown }).code ?? (e as { name?: unknown }).name;
    if (code === 'ECONNREFUSED') throw new FixableError(`nothing listens on ${endpoint}: start the pipeline first with npm start -- --follow (or pass --kinesis-port)`);
    if (code === 'ResourceNotFoundException') throw new FixableError(`no stream ${stream} at ${endpoint}: is it the Kinesis port of npm start -- --follow?`);
    throw e;
  }
  io.out(`${plural(put, 'event')} put on ${stream} at ${endpoint}${records.length === 1 ? ` (subscriber ${records[0]!.partitionKey})` : ''}.`);
  return EXIT_OK;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = await runCommand('send-event', () => sendEvent(process.argv.slice(2)));
}
