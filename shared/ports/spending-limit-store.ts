import type { StoredCounterStatus } from '../domain/policy-counters.js';

/** A PCF's subscription to the status of some policy counters of one subscriber. */
export interface SpendingLimitSubscription {
  /** Opaque, no personal data (it is in the resource URI). */
  readonly id: string;
  readonly subscriberId: string;
  /** As the PCF named the subscriber (echoed in notifications). */
  readonly supi: string;
  readonly gpsi?: string;
  readonly notifUri: string;
  /** Absent: every counter spendcap keeps. */
  readonly policyCounterIds?: readonly string[];
  readonly expiry?: string;
  readonly notifId?: string;
  readonly supportedFeatures?: string;
  readonly createdAt: string;
}

export interface StoredCounterStatuses {
  /** By policy counter id. */
  readonly statuses: Readonly<Record<string, StoredCounterStatus>>;
  /** 0 = no item yet. */
  readonly version: number;
}

/** Subscriptions and the policy counters' statuses (DynamoDB: the realtime table, docs/realtime.md). */
export interface SpendingLimitStore {
  getSubscription(id: string): Promise<SpendingLimitSubscription | undefined>;
  putSubscription(subscription: SpendingLimitSubscription): Promise<void>;
  /** The subscription removed, if it existed. */
  deleteSubscription(id: string): Promise<SpendingLimitSubscription | undefined>;
  subscriptionsOf(subscriberId: string): Promise<SpendingLimitSubscription[]>;
  getStatuses(subscriberId: string): Promise<StoredCounterStatuses>;
  /** Conditional on the version read; false when another writer won. */
  putStatuses(subscriberId: string, statuses: Readonly<Record<string, StoredCounterStatus>>, expectedVersion: number): Promise<boolean>;
}
