/**
 * The stores the policy workflow uses (the line's bars with their lease, the audit log with its guards,
 * profiles) in memory, for unit and property tests that run thousands of histories: the local runtime's
 * stores (local/memory-stores.ts, with the conditions of the DynamoDB adapters), plus what the tests look
 * at or inject.
 */
import type { SubscriberProfile } from '../../shared/domain/model.js';
import type { AuditEntry } from '../../shared/ports/audit-log.js';
import { MemoryAuditLog as LocalAuditLog, MemoryBarStore as LocalBarStore, MemoryProfileStore } from '../../local/memory-stores.js';

export { MemoryProfileStore };

export class MemoryBarStore extends LocalBarStore {
  /** The lease as another holder would have left it (a crash). */
  takeLease(subscriberId: string, owner: string, untilMs: number): void {
    const item = this.item(subscriberId);
    item.owner = owner;
    item.leaseUntil = untilMs;
  }
}

export class MemoryAuditLog extends LocalAuditLog {
  /** Every entry recorded, of every subscriber, in the order recorded. */
  readonly entries: AuditEntry[] = [];

  override async record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
    await super.record(entry);
  }
}

/** The self-care narrow writes on a MemoryProfileStore (each one a new revision, as in DynamoDB). */
export class MemoryProfileFields {
  constructor(private readonly store: MemoryProfileStore) {}

  async update(subscriberId: string, change: Partial<Pick<SubscriberProfile, 'roamingCap' | 'overageCap' | 'notifications'>>): Promise<number | undefined> {
    const current = await this.store.getVersioned(subscriberId);
    if (current === undefined) return undefined;
    return this.store.put({ ...current.profile, ...change }, current.revision);
  }
}
