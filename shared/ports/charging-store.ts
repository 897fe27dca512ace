import type { Micros, SpendBucketName } from '../domain/model.js';
import type { Budget, Reservation } from '../domain/quota.js';

/**
 * A grant as its session knows it (the budget holds the same reservation): what was granted, at which
 * price, against which period and cap, so that the usage reported against it is rated as it was granted.
 */
export interface SessionGrant extends Reservation {
  readonly ratingGroup: number;
  readonly period: string;
}

/** One used-unit container, committed: it becomes one usage event on the stream, with this exact content. */
export interface CommittedUsage {
  readonly recordId: string;
  readonly period: string;
  readonly bucket: SpendBucketName;
  readonly eventTime: string;
  readonly startTime?: string;
  readonly volumeBytes: number;
  readonly servingPlmn: string;
  /** Set when the usage consumed a grant (rated as granted); absent: the pipeline rates it with the tariff. */
  readonly chargeMicros?: Micros;
  /** Upper bounds of what the counters will add once they count it. */
  readonly estimateMicros: Micros;
  readonly allowanceBytes: number;
}

/** The answer given to one invocation, kept so that a retransmission gets the same one. */
export interface StoredAnswer {
  readonly status: number;
  readonly body?: unknown;
}

/** A charging data resource (one PDU session of one subscriber, for the SMF). */
export interface ChargingSession {
  /** ChargingDataRef: opaque, carries no personal data (it appears in URLs and access logs). */
  readonly ref: string;
  readonly subscriberId: string;
  /** Where a re-authorisation is sent (ChargingNotifyRequest), when the SMF gave one. */
  readonly notifyUri?: string;
  /** The serving network last reported (MCC+MNC). */
  readonly servingPlmn: string;
  readonly createdAt: string;
  /** Last invocation answered (-1 before the first). */
  readonly lastSeq: number;
  /** Answers of the last few invocations, by sequence number. */
  readonly answers: Readonly<Record<string, StoredAnswer>>;
  /** Grants held, by rating group. */
  readonly grants: Readonly<Record<string, SessionGrant>>;
  /** Usage of an invocation being processed: persisted before it goes on the stream, so a retry sends the same records. */
  readonly pending?: { readonly seq: number; readonly usage: readonly CommittedUsage[] };
  readonly released: boolean;
  /** Optimistic concurrency (0 = not stored yet). */
  readonly version: number;
}

export interface StoredBudget {
  readonly budget: Budget;
  /** 0 = no item yet. */
  readonly version: number;
}

/**
 * Sessions and budgets of the online charging function. Every write is one conditional item write on a
 * version: concurrent invocations of one subscriber serialize on the budget item, retries of one
 * invocation on the session item.
 */
export interface ChargingStore {
  getSession(ref: string): Promise<ChargingSession | undefined>;
  /** false: the stored version is not `expectedVersion` (nothing written). Writes `version` = expectedVersion + 1. */
  putSession(session: ChargingSession, expectedVersion: number): Promise<boolean>;
  getBudget(subscriberId: string, period: string): Promise<StoredBudget>;
  putBudget(budget: Budget, expectedVersion: number): Promise<boolean>;
}
