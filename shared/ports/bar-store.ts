import type { Bar, CarrierCommand, SpendBucketName } from '../domain/model.js';
import type { LineBars } from '../domain/caps.js';

/**
 * A carrier command on its way: written under the lease before the command is sent, cleared when the
 * outcome is recorded. Whoever takes the lease next and finds it finishes it first (the carrier may have
 * accepted it), so a crash between the command and its record never leaves the line in an unknown state.
 */
export interface PendingCommand {
  readonly command: CarrierCommand;
  /** The bar placed, or the bar lifted. */
  readonly bar: Bar;
  /** Why: the crossing id of the request that decided it (no personal data). */
  readonly reason: string;
}

/** The bars on a subscriber's line, as the workflow recorded them once the carrier accepted each command. */
export interface LineState {
  readonly bars: LineBars;
  readonly pending: Readonly<Partial<Record<SpendBucketName, PendingCommand>>>;
}

/** A subscriber whose line holds a bar that should have ended by now (the reconciler's sweep). */
export interface OverdueLine {
  readonly subscriberId: string;
  /** The earliest `until` of its bars (ISO UTC). */
  readonly due: string;
}

/**
 * The line's bars per subscriber, and a lease that serializes the workflows deciding about them: a
 * decision (read the inputs, send the carrier command, record the result) is taken by one holder at a
 * time, so two concurrent changes cannot leave the line in the state of the older one.
 */
export interface BarStore {
  /** Strongly consistent read. */
  get(subscriberId: string): Promise<LineState>;
  /**
   * Takes the subscriber's lease for `owner` until `untilMs` (epoch ms, wall clock): free, expired at
   * `nowMs`, or already held by `owner` (a retry). Answers the line as it is, or `undefined` when another
   * holder has it.
   */
  acquire(subscriberId: string, owner: string, nowMs: number, untilMs: number): Promise<LineState | undefined>;
  /** Notes a command about to be sent, only while `owner` holds the lease (false: lease lost). */
  markPending(subscriberId: string, owner: string, bucket: SpendBucketName, pending: PendingCommand): Promise<boolean>;
  /**
   * Records the line's bars (both buckets), clears every pending command and releases the lease, only while
   * `owner` still holds it. False: the lease was lost (it expired and another holder took it); nothing written.
   */
  commit(subscriberId: string, owner: string, bars: LineBars): Promise<boolean>;
  /** Releases the lease if `owner` holds it (a decision that failed before it changed anything). */
  release(subscriberId: string, owner: string): Promise<void>;
  /** Lines whose earliest bar ends at or before `iso`, from one shard of the sparse index of bars. */
  overdue(shard: number, iso: string, limit: number): Promise<OverdueLine[]>;
  /** Number of shards of that index (a sweep reads them all). */
  readonly shards: number;
}
