import { describe, expect, it } from 'vitest';
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  FixableError,
  integerFlag,
  parseCommandLine,
  plural,
  portInUseMessage,
  portInUseOf,
  runCommand,
  UsageError,
} from '../../local/cli.js';
import { BENCH_HELP, REPLAY_HELP, SEND_EVENT_HELP, START_HELP } from '../../local/cli-help.js';
import { checkEventLines, eventFromFlags, sendEvent } from '../../local/send-event.js';

function capture(): { out: string[]; err: string[]; io: { out: (t: string) => void; err: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

describe('plurals', () => {
  it('says 1 duplicate, 2 duplicates, 0 duplicates, and takes an irregular plural', () => {
    expect(plural(1, 'duplicate')).toBe('1 duplicate');
    expect(plural(2, 'duplicate')).toBe('2 duplicates');
    expect(plural(0, 'duplicate')).toBe('0 duplicates');
    expect(plural(1_000, 'entry', 'entries')).toBe('1,000 entries');
  });
});

describe('command lines', () => {
  it('returns undefined for --help or -h, whatever else is given', () => {
    expect(parseCommandLine(['--follow', '--help'], { follow: { type: 'boolean' } })).toBeUndefined();
    expect(parseCommandLine(['-h'], {})).toBeUndefined();
  });

  it('turns an unknown flag into a one-line usage error', () => {
    expect(() => parseCommandLine(['--folow'], { follow: { type: 'boolean' } })).toThrow(UsageError);
    expect(() => parseCommandLine(['--folow'], { follow: { type: 'boolean' } })).toThrow(/--folow/);
  });

  it('checks integer flags within bounds, naming the flag', () => {
    expect(integerFlag('api-port', '3000', 1, 65_535)).toBe(3000);
    expect(integerFlag('api-port', undefined, 1, 65_535)).toBeUndefined();
    expect(() => integerFlag('api-port', 'abc', 1, 65_535)).toThrow('--api-port must be an integer from 1 to 65,535 (got "abc")');
    expect(() => integerFlag('api-port', '70000', 1, 65_535)).toThrow(UsageError);
  });

  it('maps errors to exit codes with one line on stderr and no stack trace', async () => {
    const usage = capture();
    expect(await runCommand('replay', async () => Promise.reject(new UsageError('--wave must be an integer')), usage.io)).toBe(EXIT_USAGE);
    expect(usage.err).toEqual(['replay: --wave must be an integer (see npm run replay -- --help)']);

    const failed = capture();
    expect(await runCommand('start', async () => Promise.reject(new FixableError('no such file:\n  s.json')), failed.io)).toBe(EXIT_FAILED);
    expect(failed.err).toEqual(['start: no such file: s.json']);

    expect(await runCommand('start', async () => undefined, capture().io)).toBe(EXIT_OK);
  });

  it('names the flag that moves a busy port, found anywhere in the cause chain', () => {
    const listenError = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4567'), { code: 'EADDRINUSE', port: 4567 });
    const wrapped = new Error('emulators failed', { cause: listenError });
    expect(portInUseOf(wrapped)).toBe(4567);
    expect(portInUseOf(new Error('other'))).toBeUndefined();
    const flags = { 'kinesis-port': { port: 4567, what: 'Kinesis' }, 'api-port': { port: 3000, what: 'API' } };
    const message = portInUseMessage(4567, flags);
    expect(message).toContain('port 4567 is in use (Kinesis)');
    expect(message).toContain('--kinesis-port');
    expect(message).not.toContain('\n');
  });

  it('has help texts with usage, examples and exit codes, within 80 columns', () => {
    for (const help of [START_HELP, REPLAY_HELP, BENCH_HELP, SEND_EVENT_HELP]) {
      expect(help).toMatch(/^Usage: /);
      expect(help).toContain('Examples:');
      expect(help).toContain('Exit codes: 0');
      expect(Math.max(...help.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    }
  });
});

describe('send-event', () => {
  const now = new Date('2026-09-10T08:00:00.123Z');

  it('builds one data event from flags, in integer micros and bytes', () => {
    const line = eventFromFlags({ subscriber: 'DEMO-LUCAS', roaming: '22801', mb: '5', eur: '2.5' }, now, () => 'id-1');
    expect(JSON.parse(line)).toEqual({
      recordId: 'cli-id-1',
      subscriberId: 'DEMO-LUCAS',
      eventTime: '2026-09-10T08:00:00Z',
      service: 'data',
      volumeBytes: 5_000_000,
      servingPlmn: '22801',
      chargeMicros: 2_500_000,
    });
  });

  it('defaults to 1 MB on the home network, rated by the tariff', () => {
    const event = JSON.parse(eventFromFlags({ subscriber: 'DEMO-CHLOE' }, now, () => 'x')) as Record<string, unknown>;
    expect(event.servingPlmn).toBe('20801');
    expect(event.volumeBytes).toBe(1_000_000);
    expect(event).not.toHaveProperty('chargeMicros');
  });

  it('refuses a missing subscriber or a bad amount as usage errors', () => {
    expect(() => eventFromFlags({ mb: '1' })).toThrow(UsageError);
    expect(() => eventFromFlags({ subscriber: 'A', eur: '-1' })).toThrow('--eur must be a number >= 0 (got "-1")');
  });

  it('checks stdin lines against the event contract, naming the line and the field', () => {
    const good = '{"recordId":"r1","subscriberId":"A","eventTime":"2026-09-10T08:00:00Z","service":"data","volumeBytes":1,"servingPlmn":"20801"}';
    expect(checkEventLines([good])).toEqual([{ text: good, partitionKey: 'A' }]);
    expect(() => checkEventLines([good, '{"recordId":"r2","subscriberId":"A"}'])).toThrow(/^line 2: not a valid event: .*eventTime/);
  });

  it('puts the events with PutRecords on the named stream and port, and says how many', async () => {
    const sent: unknown[] = [];
    const { out, io } = capture();
    const endpoints: string[] = [];
    const code = await sendEvent(['--subscriber', 'DEMO-LUCAS', '--roaming', '22801', '--kinesis-port', '4577'], {
      ...io,
      now: () => now,
      kinesis: (endpoint) => {
        endpoints.push(endpoint);
        return {
          send: async (command: { input: unknown }) => {
            sent.push(command.input);
            return { FailedRecordCount: 0, Records: [{}] };
          },
        } as never;
      },
    });
    expect(code).toBe(0);
    expect(endpoints).toEqual(['http://127.0.0.1:4577']);
    expect(sent).toHaveLength(1);
    expect((sent[0] as { StreamName: string }).StreamName).toBe('spendcap-usage-events');
    expect(out).toEqual(['1 event put on spendcap-usage-events at http://127.0.0.1:4577 (subscriber DEMO-LUCAS).']);
  });

  it('says to start the pipeline when nothing listens', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const run = sendEvent(['--subscriber', 'A'], { ...capture().io, kinesis: () => ({ send: async () => Promise.reject(refused) }) as never });
    await expect(run).rejects.toThrow(/start the pipeline first with npm start -- --follow/);
  });
});
