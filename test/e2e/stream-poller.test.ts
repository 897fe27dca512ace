import { GetRecordsCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulators, type LocalEmulators } from '../../local/emulators.js';
import { StreamPoller, type DiscardedBatch } from '../../local/stream-poller.js';

const decode = (event: KinesisStreamEvent): string[] =>
  event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

describe('stream poller (local event source mapping)', () => {
  let emulators: LocalEmulators;
  let poller: StreamPoller | undefined;

  beforeEach(async () => {
    emulators = await startEmulators({ env: {} });
  });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    await emulators.stop();
  });

  async function put(values: string[]): Promise<void> {
    await emulators.kinesis.send(
      new PutRecordsCommand({
        StreamName: emulators.streamName,
        Records: values.map((v) => ({ Data: Buffer.from(v), PartitionKey: 'S1' })),
      }),
    );
  }

  it('delivers every record in order, in batches no larger than batchSize, with Kinesis-shaped records', async () => {
    // Arrange
    const batches: string[][] = [];
    let firstEvent: KinesisStreamEvent | undefined;
    poller = new StreamPoller({
      kinesis: emulators.kinesis,
      streamName: emulators.streamName,
      region: emulators.region,
      batchSize: 3,
      idlePollMs: 10,
      handler: async (event) => {
        firstEvent ??= event;
        batches.push(decode(event));
        return { batchItemFailures: [] };
      },
    });
    await put(['a', 'b', 'c', 'd', 'e', 'f', 'g']);

    // Act
    await poller.start();
    await poller.drain();

    // Assert
    expect(batches.flat()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(Math.max(...batches.map((b) => b.length))).toBe(3);
    const record = firstEvent?.Records[0];
    expect(record?.eventSource).toBe('aws:kinesis');
    expect(record?.eventID).toBe(`shardId-000000000000:${record?.kinesis.sequenceNumber}`);
    expect(record?.eventSourceARN).toContain(`stream/${emulators.streamName}`);
    expect(record?.kinesis.partitionKey).toBe('S1');
    expect(typeof record?.kinesis.approximateArrivalTimestamp).toBe('number');
  });

  it('resumes at the first failed record of a partial batch response, never redelivering the ones before', async () => {
    // Arrange
    const seen: string[] = [];
    let failedOnce = false;
    poller = new StreamPoller({
      kinesis: emulators.kinesis,
      streamName: emulators.streamName,
      region: emulators.region,
      batchSize: 10,
      idlePollMs: 10,
      retryDelayMs: 0,
      handler: async (event) => {
        const values = decode(event);
        seen.push(...values);
        const c = event.Records[values.indexOf('c')];
        if (!failedOnce && c !== undefined) {
          failedOnce = true;
          return { batchItemFailures: [{ itemIdentifier: c.kinesis.sequenceNumber }] };
        }
        return { batchItemFailures: [] };
      },
    });
    await put(['a', 'b', 'c', 'd']);

    // Act
    await poller.start();
    await poller.drain();

    // Assert
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'c', 'd']);
  });

  it('bisects a failing batch, retries the poison record a bounded number of times, then discards it and moves on', async () => {
    // Arrange
    const applied: string[] = [];
    const discarded: DiscardedBatch[] = [];
    let poisonAttempts = 0;
    poller = new StreamPoller({
      kinesis: emulators.kinesis,
      streamName: emulators.streamName,
      region: emulators.region,
      batchSize: 4,
      maximumRetryAttempts: 2,
      idlePollMs: 10,
      retryDelayMs: 0,
      handler: async (event) => {
        const values = decode(event);
        if (values.includes('poison')) {
          if (values.length === 1) poisonAttempts++;
          throw new Error('boom');
        }
        applied.push(...values);
        return undefined;
      },
      onDiscard: (batch) => discarded.push(batch),
    });
    await put(['a', 'b', 'poison', 'd', 'e']);

    // Act
    await poller.start();
    await poller.drain();

    // Assert
    expect(applied).toEqual(['a', 'b', 'd', 'e']);
    expect(poisonAttempts).toBe(3);
    expect(discarded).toHaveLength(1);
    expect(discarded[0]?.records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString())).toEqual(['poison']);
    expect(discarded[0]?.reason).toBe('boom');
  });

  it('resumes after the last handled record when reading the stream fails', async () => {
    // Arrange: the second GetRecords fails (as an expired iterator would).
    const seen: string[] = [];
    const errors: unknown[] = [];
    let reads = 0;
    const flaky = {
      send: (command: unknown) => {
        if (command instanceof GetRecordsCommand && ++reads === 2) return Promise.reject(new Error('ExpiredIteratorException'));
        return emulators.kinesis.send(command as never);
      },
    } as unknown as KinesisClient;
    poller = new StreamPoller({
      kinesis: flaky,
      streamName: emulators.streamName,
      region: emulators.region,
      batchSize: 2,
      idlePollMs: 10,
      handler: async (event) => {
        seen.push(...decode(event));
        return { batchItemFailures: [] };
      },
      onError: (e) => errors.push(e),
    });
    await put(['a', 'b', 'c', 'd', 'e']);

    // Act
    await poller.start();
    await poller.drain();

    // Assert
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(errors).toHaveLength(1);
  });
});
