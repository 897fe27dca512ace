/**
 * The realtime table in memory, with the same items and conditions as the DynamoDB adapters (through the
 * item codecs of shared/adapters/realtime-items.ts), for the property tests; and in-memory doubles of the
 * stream publisher and the notification queue.
 */
import {
  budgetItem,
  budgetKey,
  budgetOf,
  isExpired,
  sessionItem,
  sessionKey,
  sessionOf,
  statusesItem,
  statusesKey,
  statusesOf,
  subscriptionIndexItem,
  subscriptionIndexKey,
  subscriptionItem,
  subscriptionKey,
  subscriptionOf,
  type RealtimeItem,
} from '../../shared/adapters/realtime-items.js';
import type { UsageEvent } from '../../shared/domain/model.js';
import type { Budget } from '../../shared/domain/quota.js';
import { emptyBudget } from '../../shared/domain/quota.js';
import type { StoredCounterStatus } from '../../shared/domain/policy-counters.js';
import type { ChargingSession, ChargingStore, StoredBudget } from '../../shared/ports/charging-store.js';
import type { SbiNotificationJob, SbiNotificationQueue } from '../../shared/ports/sbi-notifications.js';
import type { SpendingLimitStore, SpendingLimitSubscription, StoredCounterStatuses } from '../../shared/ports/spending-limit-store.js';
import type { PublishedUsage, UsagePublisher } from '../../shared/ports/usage-publisher.js';

class ItemTable {
  readonly items = new Map<string, RealtimeItem>();

  key(k: { pk: string; sk: string }): string {
    return `${k.pk}\u0000${k.sk}`;
  }

  get(k: { pk: string; sk: string }): RealtimeItem | undefined {
    const item = this.items.get(this.key(k));
    return item === undefined ? undefined : structuredClone(item);
  }

  /** Conditional put on `v` as the DynamoDB adapters do it. */
  putIf(item: RealtimeItem, expectedVersion: number): boolean {
    const k = this.key({ pk: String(item.pk), sk: String(item.sk) });
    const existing = this.items.get(k);
    const ok = expectedVersion === 0 ? existing === undefined : existing?.v === expectedVersion;
    if (ok) this.items.set(k, structuredClone(item));
    return ok;
  }

  put(item: RealtimeItem): void {
    this.items.set(this.key({ pk: String(item.pk), sk: String(item.sk) }), structuredClone(item));
  }

  delete(k: { pk: string; sk: string }): void {
    this.items.delete(this.key(k));
  }
}

export class MemoryChargingStore implements ChargingStore {
  readonly table = new ItemTable();

  async getSession(ref: string): Promise<ChargingSession | undefined> {
    const item = this.table.get(sessionKey(ref));
    return item === undefined ? undefined : sessionOf(item);
  }

  async putSession(session: ChargingSession, expectedVersion: number): Promise<boolean> {
    return this.table.putIf(sessionItem(session, expectedVersion + 1, 0), expectedVersion);
  }

  async getBudget(subscriberId: string, period: string): Promise<StoredBudget> {
    const item = this.table.get(budgetKey(subscriberId, period));
    return item === undefined ? { budget: emptyBudget(subscriberId, period), version: 0 } : { budget: budgetOf(subscriberId, period, item), version: Number(item.v) };
  }

  async putBudget(budget: Budget, expectedVersion: number): Promise<boolean> {
    return this.table.putIf(budgetItem(budget, expectedVersion + 1), expectedVersion);
  }
}

export class MemorySpendingLimitStore implements SpendingLimitStore {
  readonly table = new ItemTable();

  constructor(private readonly now: () => number = Date.now) {}

  async getSubscription(id: string): Promise<SpendingLimitSubscription | undefined> {
    const index = this.table.get(subscriptionIndexKey(id));
    if (index === undefined) return undefined;
    const item = this.table.get(subscriptionKey(String(index.s), id));
    if (item === undefined) return undefined;
    const s = subscriptionOf(item);
    return isExpired(s, this.now()) ? undefined : s;
  }

  async putSubscription(subscription: SpendingLimitSubscription): Promise<void> {
    this.table.put(subscriptionItem(subscription));
    this.table.put(subscriptionIndexItem(subscription));
  }

  async deleteSubscription(id: string): Promise<SpendingLimitSubscription | undefined> {
    const index = this.table.get(subscriptionIndexKey(id));
    if (index === undefined) return undefined;
    const item = this.table.get(subscriptionKey(String(index.s), id));
    this.table.delete(subscriptionIndexKey(id));
    this.table.delete(subscriptionKey(String(index.s), id));
    return item === undefined ? undefined : subscriptionOf(item);
  }

  async subscriptionsOf(subscriberId: string): Promise<SpendingLimitSubscription[]> {
    const prefix = `U#${subscriberId}\u0000N#`;
    return [...this.table.items.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, item]) => subscriptionOf(item))
      .filter((s) => !isExpired(s, this.now()));
  }

  async getStatuses(subscriberId: string): Promise<StoredCounterStatuses> {
    const item = this.table.get(statusesKey(subscriberId));
    return item === undefined ? { statuses: {}, version: 0 } : { statuses: statusesOf(item), version: Number(item.v) };
  }

  async putStatuses(subscriberId: string, statuses: Readonly<Record<string, StoredCounterStatus>>, expectedVersion: number): Promise<boolean> {
    return this.table.putIf(statusesItem(subscriberId, statuses, expectedVersion + 1), expectedVersion);
  }
}

/**
 * The stream, as far as the charging function sees it: every put gets the next sequence number of one
 * shard (a subscriber's records all land on one shard), and stays readable for the test's ingest.
 */
export class MemoryStream implements UsagePublisher {
  readonly records: Array<{ readonly event: UsageEvent; readonly shardId: string; readonly sequenceNumber: string }> = [];
  private next = 1;

  constructor(
    readonly shardId = 'shardId-000000000000',
    readonly stream = 'usage',
  ) {}

  async publish(events: readonly UsageEvent[]): Promise<PublishedUsage[]> {
    return events.map((event) => {
      const sequenceNumber = sequenceNumberOf(this.next++);
      this.records.push({ event, shardId: this.shardId, sequenceNumber });
      return { recordId: event.recordId, stream: this.stream, shardId: this.shardId, sequenceNumber };
    });
  }
}

/** Kinesis-like sequence numbers: decimal strings that order by length then text. */
export function sequenceNumberOf(n: number): string {
  return `4960${String(n).padStart(20, '0')}`;
}

export class MemoryQueue implements SbiNotificationQueue {
  readonly jobs: SbiNotificationJob[] = [];

  async enqueue(jobs: readonly SbiNotificationJob[]): Promise<void> {
    this.jobs.push(...jobs);
  }

  take(): SbiNotificationJob[] {
    return this.jobs.splice(0);
  }
}
