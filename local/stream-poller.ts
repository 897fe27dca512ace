/**
 * A local Lambda event source mapping for the usage stream: one poller per shard reads records in
 * order (GetShardIterator / GetRecords), invokes the real ingest handler with Kinesis-shaped events and
 * honours what the handler answers, the way Lambda does:
 * - at most `batchSize` records per invocation;
 * - a partial batch response (`batchItemFailures`) makes the poller resume AT_SEQUENCE_NUMBER of the
 *   lowest failed record, so the records before it are never delivered again;
 * - a thrown error retries the whole batch (bisected first when `bisectOnError`), with a bounded number
 *   of retries, after which the records are handed to `onDiscard` (the on-failure destination) and the
 *   shard moves on: nothing is dropped silently, and one poison record cannot stall the shard forever.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { kinesisRecord, localLambdaContext, localStreamArn, type KinesisHandler } from './kinesis-event.js';

export interface DiscardedBatch {
  readonly shardId: string;
  readonly records: readonly KinesisStreamRecord[];
  readonly reason: string;
}

export interface StreamPollerOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly region: string;
  readonly handler: KinesisHandler;
  /** Lambda's default for Kinesis is 100. */
  readonly batchSize?: number;
  /** Retries of a failing batch before its records are discarded (Lambda: -1 = until expiry; bounded here). */
  readonly maximumRetryAttempts?: number;
  readonly bisectOnError?: boolean;
  /** Pause between polls of an idle shard (Lambda polls each shard about once a second). */
  readonly idlePollMs?: number;
  /** Pause before retrying a failed batch. */
  readonly retryDelayMs?: number;
  readonly functionName?: string;
  /** Called after each successful invocation with the records it processed (progress display). */
  readonly onBatch?: (records: readonly KinesisStreamRecord[]) => void;
  readonly onDiscard?: (batch: DiscardedBatch) => void;
  /** Called when the handler throws (each attempt), or when reading the stream fails. */
  readonly onError?: (error: unknown, shardId: string) => void;
}

interface ShardState {
  readonly shardId: string;
  iterator: string | undefined;
  /** Resolvers of `drain()` calls waiting for this shard's next empty read. */
  waiters: Array<() => void>;
  wake: (() => void) | undefined;
  done: Promise<void>;
  /** Last record handled (processed or discarded): where to resume after a stream error. */
  lastSequenceNumber?: string | undefined;
}

const sleep = (ms: number, shard: ShardState): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      shard.wake = undefined;
      resolve();
    }, ms);
    shard.wake = () => {
      clearTimeout(timer);
      shard.wake = undefined;
      resolve();
    };
  });

export class StreamPoller {
  private readonly options: Required<
    Omit<StreamPollerOptions, 'onBatch' | 'onDiscard' | 'onError' | 'functionName'>
  > &
    Pick<StreamPollerOptions, 'onBatch' | 'onDiscard' | 'onError'> & { functionName: string };
  private readonly shards: ShardState[] = [];
  private stopping = false;
  private startingPosition: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON';
  private readonly streamArn: string;

  constructor(options: StreamPollerOptions) {
    this.options = {
      batchSize: 100,
      maximumRetryAttempts: 3,
      bisectOnError: true,
      idlePollMs: 250,
      retryDelayMs: 50,
      functionName: 'spendcap-ingest-events',
      ...options,
    };
    if (this.options.batchSize < 1 || this.options.batchSize > 10_000) {
      throw new Error(`batchSize: must be between 1 and 10000, got ${this.options.batchSize}`);
    }
    this.streamArn = localStreamArn(options.region, options.streamName);
  }

  /** Starts one poller per shard, from the oldest record (TRIM_HORIZON) or only new ones (LATEST). */
  async start(startingPosition: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON'): Promise<void> {
    const { kinesis, streamName } = this.options;
    this.startingPosition = startingPosition;
    const listed = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    for (const shard of listed.Shards ?? []) {
      if (shard.ShardId === undefined) continue;
      const got = await kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: startingPosition }),
      );
      const state: ShardState = {
        shardId: shard.ShardId,
        iterator: got.ShardIterator,
        waiters: [],
        wake: undefined,
        done: Promise.resolve(),
      };
      state.done = this.pollShard(state);
      this.shards.push(state);
    }
  }

  /**
   * Resolves once every shard has read past everything that was on the stream when `drain` was called
   * (a read that starts after the call and returns no record), and so has handed it to the handler.
   */
  drain(): Promise<void> {
    return Promise.all(
      this.shards.map(
        (shard) =>
          new Promise<void>((resolve) => {
            shard.waiters.push(resolve);
            shard.wake?.();
          }),
      ),
    ).then(() => undefined);
  }

  /** Stops polling; an invocation in flight completes first. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const shard of this.shards) shard.wake?.();
    await Promise.all(this.shards.map((shard) => shard.done));
    for (const shard of this.shards) for (const waiter of shard.waiters.splice(0)) waiter();
  }

  private async iteratorAt(shardId: string, sequenceNumber: string, after: boolean): Promise<string | undefined> {
    const got = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: sequenceNumber,
      }),
    );
    return got.ShardIterator;
  }

  private toLambdaRecord(shardId: string, record: _Record): KinesisStreamRecord {
    return kinesisRecord(
      { region: this.options.region, streamArn: this.streamArn },
      {
        shardId,
        sequenceNumber: record.SequenceNumber ?? '',
        partitionKey: record.PartitionKey ?? '',
        data: record.Data ?? new Uint8Array(),
        arrival: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
      },
    );
  }

  private async pollShard(shard: ShardState): Promise<void> {
    const o = this.options;
    let limit = o.batchSize;
    let attempts = 0;
    while (!this.stopping && shard.iterator !== undefined) {
      // Waiters registered before this read started are satisfied if it comes back empty.
      const waiting = shard.waiters.splice(0);
      try {
        const read = await o.kinesis.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: limit }));
        const records = (read.Records ?? []).map((r) => this.toLambdaRecord(shard.shardId, r));
        if (records.length === 0) {
          shard.iterator = read.NextShardIterator;
          for (const waiter of waiting) waiter();
          if (shard.waiters.length === 0) await sleep(o.idlePollMs, shard);
          continue;
        }
        shard.waiters.unshift(...waiting);

        const outcome = await this.invoke(records);
        if (outcome.failedFrom === undefined) {
          o.onBatch?.(records);
          shard.lastSequenceNumber = records[records.length - 1]?.kinesis.sequenceNumber;
          shard.iterator = read.NextShardIterator;
          attempts = 0;
          limit = o.batchSize;
          continue;
        }
        const failed = records.slice(outcome.failedFrom);
        const first = failed[0];
        if (first === undefined) continue;
        if (outcome.failedFrom > 0) {
          o.onBatch?.(records.slice(0, outcome.failedFrom));
          shard.lastSequenceNumber = records[outcome.failedFrom - 1]?.kinesis.sequenceNumber;
        }
        if (outcome.thrown && o.bisectOnError && records.length > 1 && limit > 1) {
          // Lambda splits a failing batch in two and retries each half, without counting a retry.
          limit = Math.ceil(records.length / 2);
          shard.iterator = await this.iteratorAt(shard.shardId, first.kinesis.sequenceNumber, false);
          continue;
        }
        attempts++;
        if (attempts > o.maximumRetryAttempts) {
          const last = records[records.length - 1] ?? first;
          o.onDiscard?.({ shardId: shard.shardId, records: failed, reason: outcome.reason });
          shard.lastSequenceNumber = last.kinesis.sequenceNumber;
          shard.iterator = await this.iteratorAt(shard.shardId, last.kinesis.sequenceNumber, true);
          attempts = 0;
          limit = o.batchSize;
          continue;
        }
        if (o.retryDelayMs > 0) await sleep(o.retryDelayMs * attempts, shard);
        shard.iterator = await this.iteratorAt(shard.shardId, first.kinesis.sequenceNumber, false);
      } catch (e: unknown) {
        // The stream itself failed (an expired iterator, the emulator busy): report, wait, and resume
        // after the last record handled, as Lambda's poller would.
        shard.waiters.unshift(...waiting);
        o.onError?.(e, shard.shardId);
        if (this.stopping) return;
        await sleep(o.idlePollMs, shard);
        try {
          shard.iterator =
            shard.lastSequenceNumber === undefined
              ? (await o.kinesis.send(new GetShardIteratorCommand({ StreamName: o.streamName, ShardId: shard.shardId, ShardIteratorType: this.startingPosition }))).ShardIterator
              : await this.iteratorAt(shard.shardId, shard.lastSequenceNumber, true);
        } catch (again: unknown) {
          o.onError?.(again, shard.shardId);
        }
      }
    }
  }

  /** Invokes the handler; `failedFrom` is the index to resume from, undefined when all succeeded. */
  private async invoke(
    records: KinesisStreamRecord[],
  ): Promise<{ failedFrom?: number; thrown: boolean; reason: string }> {
    try {
      const response = await this.options.handler({ Records: records }, localLambdaContext(this.options.functionName));
      const failures = response?.batchItemFailures ?? [];
      if (failures.length === 0) return { thrown: false, reason: '' };
      let failedFrom = records.length;
      for (const failure of failures) {
        const index = records.findIndex((r) => r.kinesis.sequenceNumber === failure.itemIdentifier);
        // An identifier that names no record of the batch fails the whole batch, as in Lambda.
        failedFrom = Math.min(failedFrom, index < 0 ? 0 : index);
      }
      return { failedFrom, thrown: false, reason: `batch item failures from ${records[failedFrom]?.kinesis.sequenceNumber}` };
    } catch (e: unknown) {
      this.options.onError?.(e, records[0]?.eventID.split(':')[0] ?? '');
      return { failedFrom: 0, thrown: true, reason: e instanceof Error ? e.message : String(e) };
    }
  }
}
