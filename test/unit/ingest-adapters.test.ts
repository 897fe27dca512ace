/**
 * The quarantine (SQS) and workflow starter (Step Functions) adapters against mocked SDK clients:
 * what they send, and how they treat the service's answers.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SqsQuarantine } from '../../shared/adapters/sqs-quarantine.js';
import { SfnWorkflowStarter } from '../../shared/adapters/sfn-workflow-starter.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import type { RejectedInput } from '../../shared/ports/quarantine.js';

const sqs = mockClient(SQSClient);
const sfn = mockClient(SFNClient);
const QUEUE = 'https://sqs.eu-west-3.amazonaws.com/123456789012/quarantine';
const MACHINE = 'arn:aws:states:eu-west-3:123456789012:stateMachine:policy';
const fixedNow = () => new Date('2026-09-10T07:00:00.000Z');

function rejects(n: number): RejectedInput[] {
  return Array.from({ length: n }, (_, i) => ({
    reason: `volumeBytes: must be an integer >= 0 (${i})`,
    raw: `{"recordId":"r${i}"}`,
    position: { shardId: 'shardId-000000000000', sequenceNumber: String(100 + i) },
    recordId: `r${i}`,
    fault: 'record' as const,
  }));
}

describe('SqsQuarantine', () => {
  beforeEach(() => sqs.reset());

  it('sends 10 messages per SendMessageBatch with reason, raw payload, position, recordId and time', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const quarantine = new SqsQuarantine({ client: new SQSClient({}), queueUrl: QUEUE, now: fixedNow });

    await quarantine.reject(rejects(23));

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.args[0].input.QueueUrl).toBe(QUEUE);
    const body: unknown = JSON.parse(calls[2]?.args[0].input.Entries?.[2]?.MessageBody ?? '');
    expect(body).toEqual({
      reason: 'volumeBytes: must be an integer >= 0 (22)',
      raw: '{"recordId":"r22"}',
      position: { shardId: 'shardId-000000000000', sequenceNumber: '122' },
      recordId: 'r22',
      fault: 'record',
      rejectedAt: '2026-09-10T07:00:00.000Z',
    });
  });

  it('retries entries SQS failed for throttling, and succeeds when they go through', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'ThrottlingException', SenderFault: false }] })
      .resolves({ Failed: [] });
    const quarantine = new SqsQuarantine({ client: new SQSClient({}), queueUrl: QUEUE, now: fixedNow });

    await quarantine.reject(rejects(3));

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(['1']);
  });

  it('throws when a message cannot be stored, so the records are delivered again', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] });
    const quarantine = new SqsQuarantine({ client: new SQSClient({}), queueUrl: QUEUE, now: fixedNow });

    await expect(quarantine.reject(rejects(1))).rejects.toThrow(/quarantine: 1 message\(s\) not stored: InvalidMessageContents/);
  });

  it('keeps the head of a payload larger than an SQS message and says it was cut', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const quarantine = new SqsQuarantine({ client: new SQSClient({}), queueUrl: QUEUE, now: fixedNow });

    await quarantine.reject([{ reason: 'not valid JSON', raw: 'x'.repeat(500_000), fault: 'record' }]);

    const body = JSON.parse(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.MessageBody ?? '') as {
      raw: string;
      rawTruncated?: boolean;
    };
    expect(body.rawTruncated).toBe(true);
    expect(body.raw.length).toBeLessThan(500_000);
  });
});

describe('SfnWorkflowStarter', () => {
  beforeEach(() => sfn.reset());

  const requests: PolicyRequest[] = [
    { kind: 'ROAMING_SPEND_80', subscriberId: 'S1', period: '2026-09-01', crossingId: 'ROAMING_SPEND_80@50000000', at: '2026-09-10T08:00:00Z', bucket: 'roaming', spentMicros: 40_000_000 },
    { kind: 'ROAMING_CAP_REACHED', subscriberId: 'S1', period: '2026-09-01', crossingId: 'ROAMING_CAP_REACHED@50000000', at: '2026-09-10T09:00:00Z', bucket: 'roaming', spentMicros: 50_000_000 },
  ];

  it('starts one execution per request, in order, named deterministically, with the request as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const starter = new SfnWorkflowStarter({ client: new SFNClient({}), stateMachineArn: MACHINE });

    await starter.start(requests);

    const inputs = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.name)).toEqual(requests.map(executionNameOf));
    expect(inputs.map((i) => i.stateMachineArn)).toEqual([MACHINE, MACHINE]);
    expect(inputs.map((i) => JSON.parse(i.input ?? '') as unknown)).toEqual(requests);
    expect(inputs[0]?.name).not.toContain('S1');
  });

  it('treats ExecutionAlreadyExists as started (the outbox may start a request twice)', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'Execution already exists', $metadata: {} }))
      .resolves({ executionArn: 'arn:x', startDate: new Date() });
    const starter = new SfnWorkflowStarter({ client: new SFNClient({}), stateMachineArn: MACHINE });

    await expect(starter.start(requests)).resolves.toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('throws on any other error, so the records are delivered again and the outbox keeps the request', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const starter = new SfnWorkflowStarter({ client: new SFNClient({}), stateMachineArn: MACHINE });

    await expect(starter.start(requests)).rejects.toThrow('Rate exceeded');
  });
});
