import type { PeriodCounters, PolicyRequest } from '../domain/model.js';

/**
 * Where a record sits in the stream. Sequence numbers only grow within a shard, so per shard the
 * highest one applied to an item (its watermark) says which redelivered records it already holds.
 */
export interface StreamPosition {
  readonly shardId: string;
  /** Kinesis sequence number: a decimal string of up to 128 digits (compare with `compareSequenceNumbers`). */
  readonly sequenceNumber: string;
}

/** Highest sequence number applied to one item, by shard id. */
export type Watermarks = Readonly<Record<string, string>>;

/** One billing period's counters as stored, with what makes their update exactly once. */
export interface StoredCounters {
  readonly counters: PeriodCounters;
  /** Optimistic concurrency: every write of the item bumps it and requires the value it read. */
  readonly version: number;
  readonly applied: Watermarks;
  /** Outbox: policy requests written with the counters that crossed, until they are known started. */
  readonly pending: readonly PolicyRequest[];
  /** Latest eventTime (epoch ms) of the events applied to the item: part of "the latest event seen". */
  readonly latestEventMs?: number;
}

/** The subscriber's state across periods (the workflow's bars live on the same item, untouched here). */
export interface StoredSubscriberState {
  /** Serving MCC of the latest event seen when it is not the home MCC; absent = home or never seen (equivalent for welcomes). */
  readonly servingMcc?: string;
  /** EventTime (epoch ms) of the latest event STATE has seen (the counters items keep theirs). */
  readonly latestEventMs?: number;
  /** 0 = ingest never wrote the item (it may still exist with bars). */
  readonly version: number;
  readonly applied: Watermarks;
  /** Outbox of roaming welcomes. */
  readonly pending: readonly PolicyRequest[];
}

export interface StoredUsage {
  /** Only the periods that have an item. */
  readonly counters: ReadonlyMap<string, StoredCounters>;
  readonly state: StoredSubscriberState;
}

/** A de-duplication claim on an event key (recordId / eventId) by one stream record. */
export interface EventClaim {
  readonly subscriberId: string;
  readonly eventKey: string;
  /** `<shardId>/<sequenceNumber>`: the same record may claim again (redelivery after a crash), no other may. */
  readonly claimedBy: string;
  /** Epoch seconds (DynamoDB TTL). */
  readonly expiresAt: number;
}

export interface ClaimOutcome {
  /** false: another record (a carrier duplicate) holds the key. */
  readonly claimed: boolean;
  readonly writeUnits: number;
}

export interface CountersWrite {
  readonly counters: PeriodCounters;
  /** The version read (0 = the item did not exist). */
  readonly expectedVersion: number;
  readonly applied: Watermarks;
  readonly pending: readonly PolicyRequest[];
  readonly latestEventMs?: number;
}

export interface StateWrite {
  readonly subscriberId: string;
  readonly expectedVersion: number;
  readonly servingMcc?: string;
  readonly latestEventMs?: number;
  readonly applied: Watermarks;
  readonly pending: readonly PolicyRequest[];
}

export interface WriteOutcome {
  /** false: the item changed since it was read (another invocation won); nothing was written. */
  readonly saved: boolean;
  readonly writeUnits: number;
}

/**
 * The usage table as ingest sees it. Every write is a single conditional item write (no transactions):
 * the algorithm that makes them exactly once is in docs/architecture.md.
 */
export interface UsageStore {
  /** Strongly consistent read of the subscriber's state and of the counters of the given periods. */
  load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage>;
  claim(claim: EventClaim): Promise<ClaimOutcome>;
  saveCounters(write: CountersWrite): Promise<WriteOutcome>;
  saveState(write: StateWrite): Promise<WriteOutcome>;
}

/** Orders Kinesis sequence numbers (decimal strings without leading zeros, longer than a double holds). */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
