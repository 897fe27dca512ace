/**
 * In-memory stand-ins for the stores the policy workflow uses (the line's bars with their lease, the audit
 * log with its guards, profiles), with the same conditions as the DynamoDB adapters: for unit and property
 * tests that run thousands of histories.
 */
import type { LineBars } from '../../shared/domain/caps.js';
import type { Bar, SpendBucketName, SubscriberProfile } from '../../shared/domain/model.js';
import type { ActionKey, AuditEntry, AuditLog } from '../../shared/ports/audit-log.js';
import type { BarStore, LineState, OverdueLine, PendingCommand } from '../../shared/ports/bar-store.js';
import { RevisionConflictError, type ProfileLookup, type ProfileStore, type VersionedProfile } from '../../shared/ports/profile-store.js';

interface LineItem {
  bars: { [B in SpendBucketName]?: Bar };
  pending: { [B in SpendBucketName]?: PendingCommand };
  owner?: string;
  leaseUntil?: number;
}

export class MemoryBarStore implements BarStore {
  readonly shards = 1;
  private readonly lines = new Map<string, LineItem>();

  private item(subscriberId: string): LineItem {
    let item = this.lines.get(subscriberId);
    if (item === undefined) {
      item = { bars: {}, pending: {} };
      this.lines.set(subscriberId, item);
    }
    return item;
  }

  private state(item: LineItem): LineState {
    return { bars: structuredClone(item.bars), pending: structuredClone(item.pending) };
  }

  async get(subscriberId: string): Promise<LineState> {
    return this.state(this.item(subscriberId));
  }

  async acquire(subscriberId: string, owner: string, nowMs: number, untilMs: number): Promise<LineState | undefined> {
    const item = this.item(subscriberId);
    if (item.owner !== undefined && item.owner !== owner && (item.leaseUntil ?? 0) >= nowMs) return undefined;
    item.owner = owner;
    item.leaseUntil = untilMs;
    return this.state(item);
  }

  async markPending(subscriberId: string, owner: string, bucket: SpendBucketName, pending: PendingCommand): Promise<boolean> {
    const item = this.item(subscriberId);
    if (item.owner !== owner) return false;
    item.pending[bucket] = structuredClone(pending);
    return true;
  }

  async commit(subscriberId: string, owner: string, bars: LineBars): Promise<boolean> {
    const item = this.item(subscriberId);
    if (item.owner !== owner) return false;
    item.bars = structuredClone({ ...bars });
    item.pending = {};
    delete item.owner;
    delete item.leaseUntil;
    return true;
  }

  async release(subscriberId: string, owner: string): Promise<void> {
    const item = this.item(subscriberId);
    if (item.owner !== owner) return;
    delete item.owner;
    delete item.leaseUntil;
  }

  async overdue(_shard: number, iso: string, limit: number): Promise<OverdueLine[]> {
    const found: OverdueLine[] = [];
    for (const [subscriberId, item] of this.lines) {
      const due = Object.values(item.bars).map((b) => b.until).sort()[0];
      if (due !== undefined && due <= iso) found.push({ subscriberId, due });
    }
    return found.sort((a, b) => (a.due < b.due ? -1 : 1)).slice(0, limit);
  }

  /** Test hook: the lease as another holder would have left it (a crash). */
  takeLease(subscriberId: string, owner: string, untilMs: number): void {
    const item = this.item(subscriberId);
    item.owner = owner;
    item.leaseUntil = untilMs;
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  private readonly guards = new Map<string, 'PENDING' | 'DONE'>();

  private keyOf(key: ActionKey): string {
    return `${key.subscriberId}|${key.period}|${key.crossingId}|${key.action}`;
  }

  async begin(key: ActionKey): Promise<'PROCEED' | 'DONE'> {
    const k = this.keyOf(key);
    if (this.guards.get(k) === 'DONE') return 'DONE';
    this.guards.set(k, 'PENDING');
    return 'PROCEED';
  }

  async complete(key: ActionKey, entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
    this.guards.set(this.keyOf(key), 'DONE');
  }

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }

  async list(subscriberId: string, fromIso?: string, toIso?: string): Promise<AuditEntry[]> {
    return this.entries.filter((e) => e.subscriberId === subscriberId && (fromIso === undefined || e.at >= fromIso) && (toIso === undefined || e.at < toIso));
  }
}

export class MemoryProfileStore implements ProfileStore {
  private readonly byId = new Map<string, VersionedProfile>();

  constructor(profiles: readonly SubscriberProfile[] = []) {
    for (const profile of profiles) this.byId.set(profile.subscriberId, { profile, revision: 1 });
  }

  async get(subscriberId: string): Promise<SubscriberProfile | undefined> {
    return this.byId.get(subscriberId)?.profile;
  }

  async getVersioned(subscriberId: string): Promise<VersionedProfile | undefined> {
    return this.byId.get(subscriberId);
  }

  async getMany(subscriberIds: readonly string[]): Promise<ProfileLookup> {
    const found = new Map<string, SubscriberProfile>();
    for (const id of subscriberIds) {
      const p = this.byId.get(id);
      if (p !== undefined) found.set(id, p.profile);
    }
    return { profiles: found, unusable: new Map() };
  }

  async put(profile: SubscriberProfile, expectedRevision?: number): Promise<number> {
    const current = this.byId.get(profile.subscriberId)?.revision ?? 0;
    if (expectedRevision !== undefined && expectedRevision !== current) throw new RevisionConflictError('the profile changed since it was read');
    this.byId.set(profile.subscriberId, { profile, revision: current + 1 });
    return current + 1;
  }

  async delete(subscriberId: string): Promise<void> {
    this.byId.delete(subscriberId);
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
