/**
 * The redrive's outer layers: the operator's CLI (`npm run redrive`), the function's request validation,
 * and the SQS side of the quarantine it reads back. What the redrive decides for each record is tested
 * end to end with the real ingest in test/integration/ingest-fates.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { SqsQuarantine } from '../../shared/adapters/sqs-quarantine.js';
import { createHandler } from '../../functions/redrive-quarantine/handler.js';
import { formatReport, main } from '../../infra/redrive.js';
import type { RedriveDeps, RedriveReport } from '../../shared/redrive/redrive-quarantine.js';
import { DEFAULT_BOUNDS } from '../../shared/domain/bounds.js';
import { MemoryQuarantineQueue, MemoryRecordSink } from '../support/memory-quarantine-queue.js';

const QUEUE = 'https://sqs.eu-west-3.amazonaws.com/123456789012/quarantine';

function report(overrides: Partial<RedriveReport> = {}): RedriveReport {
  return {
    dryRun: true,
    read: 2,
    counts: { redriven: 0, 'would count': 1, 'would be a duplicate': 0, 'would be refused': 1, 'cannot be redriven': 0, 'not selected': 0 },
    records: [
      { recordId: 'r1', rejectedAt: '2026-09-10T08:00:00.000Z', reason: 'unknown subscriber', verdict: 'would count' },
      { recordId: 'r2', rejectedAt: '2026-09-10T08:00:00.000Z', reason: 'unknown subscriber', verdict: 'would be refused', detail: 'unknown subscriber' },
    ],
    ...overrides,
  };
}

/** A Lambda client that answers every invoke with `answer`, and remembers the payloads it was sent. */
function fakeLambda(answer: { payload: string; functionError?: string }) {
  const sent: Array<{ functionName: string | undefined; payload: unknown }> = [];
  const client = {
    send: async (command: InvokeCommand) => {
      sent.push({ functionName: command.input.FunctionName, payload: JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)) });
      return { StatusCode: 200, Payload: new TextEncoder().encode(answer.payload), ...(answer.functionError !== undefined && { FunctionError: answer.functionError }) };
    },
  } as unknown as Pick<LambdaClient, 'send'>;
  return { client, sent };
}

async function run(argv: string[], lambda?: Pick<LambdaClient, 'send'>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), ...(lambda !== undefined && { lambda: () => lambda }) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run redrive', () => {
  it('prints its usage and exits 0 on --help, without calling AWS', async () => {
    // Arrange
    const lambda = fakeLambda({ payload: JSON.stringify(report()) });

    // Act
    const result = await run(['--help'], lambda.client);

    // Assert
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Usage: npm run redrive -- --function/);
    expect(result.out).toContain('--apply');
    expect(lambda.sent).toHaveLength(0);
  });

  it.each([
    [[], /--function is required/],
    [['--function', 'f', '--max', '0'], /--max must be an integer from 1 to 10000 \(got "0"\)/],
    [['--function', 'f', '--max', 'many'], /--max must be an integer/],
    [['--function', 'f', '--bogus'], /redrive: .*bogus.*\(see --help\)/],
  ])('refuses %j with a one-line usage error and exit code 2', async (argv, message) => {
    // Arrange
    const lambda = fakeLambda({ payload: JSON.stringify(report()) });

    // Act
    const result = await run(argv, lambda.client);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(lambda.sent).toHaveLength(0);
  });

  it('asks for a dry run unless --apply, passing the limit and the reason filter', async () => {
    // Arrange
    const lambda = fakeLambda({ payload: JSON.stringify(report()) });

    // Act
    const dry = await run(['--function', 'redrive-fn', '--reason', 'unknown subscriber'], lambda.client);
    const real = await run(['--function', 'redrive-fn', '--apply', '--max', '1000'], lambda.client);

    // Assert
    expect([dry.code, real.code]).toEqual([0, 0]);
    expect(lambda.sent).toEqual([
      { functionName: 'redrive-fn', payload: { dryRun: true, max: 100, reasonContains: 'unknown subscriber' } },
      { functionName: 'redrive-fn', payload: { dryRun: false, max: 1000 } },
    ]);
    expect(dry.out).toContain('Dry run: 2 quarantined record(s) read, nothing changed.');
    expect(dry.out).toContain('Run again with --apply to redrive them.');
  });

  it('exits 1 with the function error message when the function fails', async () => {
    // Arrange
    const lambda = fakeLambda({ payload: JSON.stringify({ errorMessage: 'redrive request: max: must be an integer from 1 to 10000' }), functionError: 'Unhandled' });

    // Act
    const result = await run(['--function', 'f'], lambda.client);

    // Assert
    expect(result.code).toBe(1);
    expect(result.err).toBe('redrive: the function failed: redrive request: max: must be an integer from 1 to 10000');
  });

  it('lists only the verdicts that occurred, and each record with its verdict and original reason', () => {
    // Act
    const lines = formatReport(report({ dryRun: false, counts: { ...report().counts, 'would count': 0, 'would be refused': 0, redriven: 2 } }));

    // Assert
    expect(lines[0]).toBe('2 quarantined record(s) read.');
    expect(lines.filter((l) => /^ {2}[a-z ]+: \d+$/.test(l))).toEqual(['  redriven: 2']);
    expect(lines).toContain('  r2  would be refused (unknown subscriber)  [quarantined 2026-09-10T08:00:00.000Z: unknown subscriber]');
    expect(lines.some((l) => l.includes('--apply'))).toBe(false);
  });
});

describe('the redrive function', () => {
  function deps(quarantine: MemoryQuarantineQueue): RedriveDeps {
    return {
      quarantine,
      stream: new MemoryRecordSink(),
      profiles: { getMany: async () => ({ profiles: new Map(), unusable: new Map() }) } as unknown as RedriveDeps['profiles'],
      ledger: { readClaim: async () => undefined } as unknown as RedriveDeps['ledger'],
      settings: {} as RedriveDeps['settings'],
      bounds: DEFAULT_BOUNDS,
    };
  }

  it('is a dry run when the request says nothing', async () => {
    // Arrange
    const quarantine = new MemoryQuarantineQueue();
    await quarantine.reject([{ reason: 'not valid JSON', raw: '{', fault: 'record' }]);
    const handler = createHandler(deps(quarantine));

    // Act
    const answer = await handler(undefined);

    // Assert: read, judged, left in place
    expect(answer.dryRun).toBe(true);
    expect(answer.read).toBe(1);
    expect(quarantine.items).toHaveLength(1);
  });

  it.each([
    [{ dryRun: 'no' }, /dryRun: must be true or false/],
    [{ max: 0 }, /max: must be an integer from 1 to 10000/],
    [{ max: 1.5 }, /max/],
    [{ reasonContains: 7 }, /reasonContains: must be a string/],
    [{ everything: true }, /everything/],
  ])('refuses the request %j naming the field, before reading anything', async (request, message) => {
    // Arrange
    const quarantine = new MemoryQuarantineQueue();
    await quarantine.reject([{ reason: 'not valid JSON', raw: '{', fault: 'record' }]);
    const handler = createHandler(deps(quarantine));

    // Act / Assert
    await expect(handler(request)).rejects.toThrow(message);
    expect(await quarantine.receive(10)).toHaveLength(1);
  });
});

describe('SqsQuarantine read back by the redrive', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  it('receives messages hidden for the whole run, with their fault, hold and position', async () => {
    // Arrange
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          ReceiptHandle: 'h1',
          Body: JSON.stringify({ reason: 'unknown subscriber', raw: '{"a":1}', recordId: 'r1', fault: 'subscriber', held: true, rejectedAt: '2026-09-10T08:00:00.000Z', position: { shardId: 's', sequenceNumber: '1' } }),
        },
        { ReceiptHandle: 'h2', Body: 'not json at all' },
      ],
    });
    const quarantine = new SqsQuarantine({ client: new SQSClient({}), queueUrl: QUEUE });

    // Act
    const got = await quarantine.receive(50);

    // Assert
    const input = sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ QueueUrl: QUEUE, MaxNumberOfMessages: 10, VisibilityTimeout: 900 });
    expect(got[0]).toEqual({
      reason: 'unknown subscriber',
      raw: '{"a":1}',
      recordId: 'r1',
      fault: 'subscriber',
      held: true,
      rejectedAt: '2026-09-10T08:00:00.000Z',
      position: { shardId: 's', sequenceNumber: '1' },
      receipt: 'h1',
    });
    expect(got[1]).toMatchObject({ reason: 'not a quarantine message', raw: 'not json at all', fault: 'record', receipt: 'h2' });
  });

  it('deletes and releases in batches of ten, and throws when SQS keeps a message', async () => {
    // Arrange
    sqs.on(DeleteMessageBatchCommand).resolvesOnce({ Successful: [], Failed: [] }).resolves({ Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Failed: [] });
    const quarantine = new SqsQuarantine({ client: new SQSClient({}), queueUrl: QUEUE });
    const receipts = Array.from({ length: 12 }, (_, i) => `h${i}`);

    // Act
    await quarantine.release(receipts);
    const deleting = quarantine.delete(receipts);

    // Assert
    await expect(deleting).rejects.toThrow('quarantine: 1 message(s) not deleted');
    const releases = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(releases.map((e) => e.length)).toEqual([10, 2]);
    expect(releases.flat().every((e) => e.VisibilityTimeout === 0)).toBe(true);
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
  });
});
