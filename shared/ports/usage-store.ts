import type { PeriodCounters, PolicyRequest } from '../domain/model.js';

/**
 * Where a record sits in the stream. Sequence numbers only grow within a shard, so per shard the
 * highest one applied to an item (its watermark) says which redelivered records it already holds.
 */
export interface StreamPosition {
  readonly shardId: string;
  /** Kinesis sequence number: a decimal string of up to 128 digits (ordered by `compareSequenceNumbers` in shared/ingest/positions.ts). */
  readonly sequenceNumber: string;
}

/** Highest sequence number applied to one item, by `<stream>:<shardId>` (bare shard ids in items written before streams were named). */
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

/**
 * De-duplication claims of one subscriber's event keys whose events fall in one claims group (the UTC hour
 * of their `eventTime`, `claimGroupOf` in shared/ingest/claim-ids.ts). The store keeps a group's claims
 * together and writes them at once, with a version condition: whatever holds for one key's conditional
 * write holds for each key of the group.
 */
export interface EventClaims {
  readonly subscriberId: string;
  readonly group: string;
  readonly keys: readonly KeyClaim[];
}

/** A claim on one event key (recordId / eventId) by one stream record. Keys and names are compact ids. */
export interface KeyClaim {
  readonly eventKey: string;
  /**
   * The record's claim name (`<stream>:<shardId>/<sequenceNumber>`, as a compact id): the same record may
   * claim again (redelivery after a crash), no other may.
   */
  readonly claimedBy: string;
  /**
   * Holds for redrive (see `FailureLedger.holdForRedrive`) this claim may take over: the record's own (left
   * by a quarantine that could not be stored), and for a redriven record its original's.
   */
  readonly takesOver?: readonly string[];
  /** The period the record is counted in: recorded, so that a re-claim by the same record keeps it. */
  readonly period: string;
  /** Epoch seconds: the claim lasts at least until then (DynamoDB TTL of the group). */
  readonly expiresAt: number;
  /**
   * Only for an event older than the upgrade from the first release (`ingest.limits.perKeyClaimsUntil`):
   * where that release may have claimed the key. The store reads it when the group does not hold the key.
   */
  readonly perKeyClaim?: PerKeyClaim;
}

/**
 * The first release kept one claim item per event key (sk `R#<eventKey>`, the raw key): `claimedBy` the raw
 * holder (a claim name `<shardId>/<sequenceNumber>`, later `<stream>:<shardId>/<sequenceNumber>`, or a
 * redrive hold `Q:<claim name>`), `pd` the period when it recorded one, `expiresAt` (TTL, epoch s). Nothing
 * writes these items any more; until they have expired, a live one holds its key as a group's entry would.
 */
export interface PerKeyClaim {
  /** The item's sort key: `R#U#<recordId>` / `R#A#<eventId>`. */
  readonly sk: string;
  /**
   * The raw holders that are the record's own, each mapped to the id it has in the claims groups: its claim
   * name in each form the first release wrote (the record's claim), the hold its own quarantine left and the
   * hold of the original it takes over. Any other holder is another record (the record is its duplicate).
   */
  readonly own: Readonly<Record<string, string>>;
}

export interface ClaimOutcome {
  /** false: another record (a carrier duplicate) holds the key. */
  readonly claimed: boolean;
  /** When the same record had claimed the key before: the period it recorded then. */
  readonly period?: string;
}

export interface ClaimsOutcome {
  /**
   * false: the group changed since it was read (another invocation claimed in it); nothing was written,
   * `results` is empty: read again and retry.
   */
  readonly saved: boolean;
  /** One per key, in order. */
  readonly results: readonly ClaimOutcome[];
  readonly writeUnits: number;
}

/** Who holds an event key, as stored. */
export interface StoredClaim {
  readonly claimedBy: string;
  readonly period?: string;
}

/**
 * A record sent to the quarantine keeps its event key held under a marker, so that only its redrive
 * counts it: a stream redelivery of the same record then finds the key held and changes nothing.
 */
export interface RedriveHold {
  readonly subscriberId: string;
  /** The claims group of the record's event (`claimGroupOf`). */
  readonly group: string;
  readonly eventKey: string;
  /** The record's own claim name (as a compact id): its claim, if it made one, becomes the hold. */
  readonly claimedBy: string;
  /** The marker the redriven record presents (`takesOver`). */
  readonly marker: string;
  readonly expiresAt: number;
  /** As in `KeyClaim`: where the first release may have claimed the key (events older than the upgrade only). */
  readonly perKeyClaim?: PerKeyClaim;
}

export interface HoldOutcome {
  /** false: another record holds the key (the quarantined record is a carrier duplicate of it). */
  readonly held: boolean;
  readonly writeUnits: number;
}

/** Outbox entries known started: removed from one item (the STATE item when `period` is absent). */
export interface OutboxClear {
  readonly subscriberId: string;
  readonly period?: string;
  readonly crossingIds: readonly string[];
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
 * The usage table as ingest sees it. Every write is a conditional item write (no transactions):
 * the algorithm that makes them exactly once is in docs/architecture.md.
 */
export interface UsageStore {
  /** Strongly consistent read of the subscriber's state and of the counters of the given periods. */
  load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage>;
  /** Claims the keys of one group in one conditional write (none when every key is already the record's). */
  claim(claims: EventClaims): Promise<ClaimsOutcome>;
  saveCounters(write: CountersWrite): Promise<WriteOutcome>;
  saveState(write: StateWrite): Promise<WriteOutcome>;
  /**
   * Removes started requests from an item's outbox, bumping its version (a writer that read the item
   * before reloads instead of writing them back). Nothing to do when the item has none of them.
   */
  clearOutbox(clear: OutboxClear): Promise<WriteOutcome>;
}

/**
 * The usage table as ingest uses it when records fail: bounded attempts and holds for redrive. Rarely
 * called (only on the failure path), so kept apart from the hot path's port.
 */
export interface FailureLedger {
  /**
   * Strongly consistent read of who holds an event key; with `perKeyClaim`, the first release's claim when
   * the group does not hold the key (its holder as the id `own` maps it to, else as stored).
   */
  readClaim(subscriberId: string, group: string, eventKey: string, perKeyClaim?: PerKeyClaim): Promise<StoredClaim | undefined>;
  /** Holds the event key for the record's redrive, unless another record holds it. */
  holdForRedrive(hold: RedriveHold): Promise<HoldOutcome>;
  /**
   * Counts one more failed attempt at a subscriber's records starting at `position` and answers the
   * count: how ingest bounds the attempts at a record that fails for an unexpected reason.
   */
  countFailure(subscriberId: string, position: string, expiresAt: number): Promise<number>;
}
