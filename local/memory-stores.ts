/**
 * The stores of the local runtime in this process's memory, behind the same ports as the DynamoDB adapters
 * (usage table, line bars, audit trail, profiles), for replays of millions of records: no HTTP, no SDK
 * middleware, no emulator between the use cases and their data. Each store keeps the conditions of its
 * DynamoDB adapter (versions, claims held by one record, the lease), and the usage store goes through the
 * same item encoding (`dynamo-usage-store-items.ts`), so what ingest reads back is what DynamoDB would give.
 * `test/e2e/replay-waves-property.test.ts` proves the replay report identical on both, and
 * `test/integration/memory-usage-store.test.ts` holds the usage store to the DynamoDB adapter call by call.
 * The tests use these stores too (test/support/memory-*.ts add only views and fault injection).
 *
 * Claims are kept as the DynamoDB adapter keeps them: grouped by subscriber and hour of `eventTime`, a head
 * item and its archives per group, written by the same helpers (`claim-groups.ts`), so outcomes and write
 * units are the adapter's. A group is dropped once its expiry (the latest of its keys') has passed
 * (`expireClaims`), as DynamoDB's TTL deletes its items in AWS (dynalite has no TTL): what the replay holds
 * follows the duplicate window, not the file. It never holds the first release's per-key claim items (a
 * replay starts empty), so a claim's `perKeyClaim` finds nothing here, as in a table without them.
 */
import type { LineBars } from '../shared/domain/caps.js';
import type { Bar, PeriodCounters, SpendBucketName, SubscriberProfile } from '../shared/domain/model.js';
import type { ActionKey, AuditEntry, AuditLog } from '../shared/ports/audit-log.js';
import type { BarStore, LineState, OverdueLine, PendingCommand } from '../shared/ports/bar-store.js';
import { RevisionConflictError, type ProfileLookup, type ProfileStore, type VersionedProfile } from '../shared/ports/profile-store.js';
import type {
  ClaimsOutcome,
  CountersWrite,
  EventClaims,
  FailureLedger,
  HoldOutcome,
  OutboxClear,
  RedriveHold,
  StateWrite,
  StoredClaim,
  StoredCounters,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../shared/ports/usage-store.js';
import {
  archiveIdsOf,
  claimArchiveSk,
  claimGroupOf,
  decideClaims,
  decideHold,
  planGroupWrite,
  type ClaimGroupRead,
} from '../shared/adapters/claim-groups.js';
import {
  countersItem,
  STATE_SK,
  itemSize,
  stateAttributes,
  storedCountersOf,
  storedStateOf,
  writeUnitsOf,
  type Item,
  type ItemValue,
} from '../shared/adapters/dynamo-usage-store-items.js';

/** One subscriber's items, as the usage table holds them. */
export interface SubscriberUsage {
  state?: Item;
  /** Counters items by period. */
  readonly counters: Map<string, Item>;
  /**
   * Claims groups: the head item of each group by group (small maps per subscriber: a single Map holds at
   * most 2^24 entries), and the archive items by sort key.
   */
  readonly claimHeads: Map<string, Item>;
  readonly claimArchives: Map<string, Item>;
  /** Failed attempts by stream position (the failure path only). */
  failures?: Map<string, number>;
}

const DAY_SECONDS = 86_400;

export class MemoryUsageStore implements UsageStore, FailureLedger {
  /** By subscriber (readable by a subclass that shows the items, as the tests' store does). */
  protected readonly subscribers = new Map<string, SubscriberUsage>();
  private claimCount = 0;
  /** Claims groups expiring before this (epoch s) have been dropped; sweeps run at most once per virtual day. */
  private sweptUntil = Number.NEGATIVE_INFINITY;

  private of(subscriberId: string): SubscriberUsage {
    let usage = this.subscribers.get(subscriberId);
    if (usage === undefined) {
      usage = { counters: new Map(), claimHeads: new Map(), claimArchives: new Map() };
      this.subscribers.set(subscriberId, usage);
    }
    return usage;
  }

  async load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage> {
    const usage = this.subscribers.get(subscriberId);
    const counters = new Map<string, StoredCounters>();
    for (const period of periods) {
      const item = usage?.counters.get(period);
      // Decoding builds new objects: nothing the caller changes reaches the stored item.
      if (item !== undefined && !counters.has(period)) counters.set(period, storedCountersOf(item));
    }
    return { counters, state: storedStateOf(subscriberId, usage?.state) };
  }

  /** One write of the group's head (and any new archives) when a key changes, as the DynamoDB adapter. */
  async claim(claims: EventClaims): Promise<ClaimsOutcome> {
    const read = this.readGroup(claims.subscriberId, claims.group);
    const decision = decideClaims(read, claims.keys);
    if (!decision.write) return { saved: true, results: decision.results, writeUnits: 0 };
    const writeUnits = this.writeGroup(claims.subscriberId, claims.group, read, decision.changes, decision.expiresAt);
    return { saved: true, results: decision.results, writeUnits };
  }

  private readGroup(subscriberId: string, group: string): ClaimGroupRead {
    const usage = this.subscribers.get(subscriberId);
    const head = usage?.claimHeads.get(group);
    const archives = new Map<string, Item>();
    for (const id of archiveIdsOf(head)) {
      const archive = usage?.claimArchives.get(claimArchiveSk(group, id));
      if (archive !== undefined) archives.set(id, archive);
    }
    return claimGroupOf(head, archives);
  }

  /** Synchronous from read to write here, so the head's version condition always holds. */
  private writeGroup(subscriberId: string, group: string, read: ClaimGroupRead, changes: ReadonlyMap<string, StoredClaim>, expiresAt: number): number {
    const usage = this.of(subscriberId);
    const plan = planGroupWrite(subscriberId, group, read, changes, expiresAt);
    let units = 0;
    for (const archive of plan.archives) {
      const sk = String(archive.sk);
      const existing = usage.claimArchives.get(sk);
      units += writeUnitsOf(itemSize(archive), existing === undefined ? 0 : itemSize(existing));
      usage.claimArchives.set(sk, archive);
    }
    const existing = usage.claimHeads.get(group);
    units += writeUnitsOf(itemSize(plan.head), existing === undefined ? 0 : itemSize(existing));
    usage.claimHeads.set(group, plan.head);
    for (const key of changes.keys()) if (!read.claims.has(key)) this.claimCount++;
    return units;
  }

  /** `REMOVE p.<id>... ADD v 1` on the item (STATE or a period's counters) when it holds any of them. */
  async clearOutbox(clear: OutboxClear): Promise<WriteOutcome> {
    if (clear.crossingIds.length === 0) return { saved: true, writeUnits: 0 };
    const usage = this.subscribers.get(clear.subscriberId);
    const existing = clear.period === undefined ? usage?.state : usage?.counters.get(clear.period);
    const pending = existing?.p;
    if (usage === undefined || existing === undefined || typeof pending !== 'object' || pending === null || Array.isArray(pending)) return { saved: false, writeUnits: 1 };
    if (!clear.crossingIds.some((id) => id in pending)) return { saved: false, writeUnits: 1 };
    const rest: Record<string, ItemValue> = { ...(pending as Record<string, ItemValue>) };
    for (const id of clear.crossingIds) delete rest[id];
    const next: Item = { ...existing, p: rest, v: Number(existing.v ?? 0) + 1 };
    if (clear.period === undefined) usage.state = next;
    else usage.counters.set(clear.period, next);
    return { saved: true, writeUnits: writeUnitsOf(itemSize(next), itemSize(existing)) };
  }

  async readClaim(subscriberId: string, group: string, eventKey: string): Promise<StoredClaim | undefined> {
    return this.readGroup(subscriberId, group).claims.get(eventKey);
  }

  /** The key becomes the marker's unless another record holds it (the group's expiry only grows). */
  async holdForRedrive(hold: RedriveHold): Promise<HoldOutcome> {
    const read = this.readGroup(hold.subscriberId, hold.group);
    const decision = decideHold(read, hold);
    if (!decision.held) return { held: false, writeUnits: 0 };
    return { held: true, writeUnits: this.writeGroup(hold.subscriberId, hold.group, read, decision.changes, decision.expiresAt) };
  }

  async countFailure(subscriberId: string, position: string): Promise<number> {
    const usage = this.of(subscriberId);
    usage.failures ??= new Map();
    const count = (usage.failures.get(position) ?? 0) + 1;
    usage.failures.set(position, count);
    return count;
  }

  async saveCounters(write: CountersWrite): Promise<WriteOutcome> {
    const item = countersItem({ ...write, version: write.expectedVersion + 1 });
    const usage = this.of(write.counters.subscriberId);
    const existing = usage.counters.get(write.counters.period);
    const units = writeUnitsOf(itemSize(item), existing === undefined ? 0 : itemSize(existing));
    const ok = write.expectedVersion === 0 ? existing === undefined : existing?.v === write.expectedVersion;
    if (!ok) return { saved: false, writeUnits: units };
    usage.counters.set(write.counters.period, item);
    return { saved: true, writeUnits: units };
  }

  /** An UpdateItem of ingest's attributes only, on `attribute_not_exists(v)` or `v = :expected`. */
  async saveState(write: StateWrite): Promise<WriteOutcome> {
    const usage = this.of(write.subscriberId);
    const existing = usage.state;
    const { set, remove } = stateAttributes({ ...write, version: write.expectedVersion + 1 });
    const next: Item = { ...(existing ?? { pk: write.subscriberId, sk: STATE_SK }), ...set };
    for (const name of remove) delete next[name];
    const units = writeUnitsOf(itemSize(next), existing === undefined ? 0 : itemSize(existing));
    const ok = write.expectedVersion === 0 ? existing?.v === undefined : existing?.v === write.expectedVersion;
    if (!ok) return { saved: false, writeUnits: units };
    usage.state = next;
    return { saved: true, writeUnits: units };
  }

  /**
   * Drops the claims groups (head and archives) whose expiry, the latest of their keys', is before `nowMs`
   * (epoch ms), as TTL does. Call it with a time no later than the arrival of any record still to come: a
   * group is then dropped only once no record that could meet one of its keys before its expiry is left.
   * Cheap when called often: it sweeps once per day of `nowMs`.
   */
  expireClaims(nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    if (now < this.sweptUntil + DAY_SECONDS) return;
    for (const usage of this.subscribers.values()) {
      for (const [group, head] of usage.claimHeads) {
        const expiresAt = typeof head.expiresAt === 'number' ? head.expiresAt : 0;
        if (expiresAt >= now) continue;
        const archives = new Map<string, Item>();
        for (const id of archiveIdsOf(head)) {
          const sk = claimArchiveSk(group, id);
          const archive = usage.claimArchives.get(sk);
          if (archive !== undefined) archives.set(id, archive);
          usage.claimArchives.delete(sk);
        }
        this.claimCount -= claimGroupOf(head, archives).claims.size;
        usage.claimHeads.delete(group);
      }
    }
    this.sweptUntil = now;
  }

  /** Event keys held now (memory follows this, not the file). */
  get claims(): number {
    return this.claimCount;
  }

  /** Every period's counters of a subscriber, in period order (the usage query). */
  countersOf(subscriberId: string): PeriodCounters[] {
    const usage = this.subscribers.get(subscriberId);
    if (usage === undefined) return [];
    return [...usage.counters.keys()].sort().map((period) => storedCountersOf(usage.counters.get(period)!).counters);
  }
}

export interface LineItem {
  bars: { [B in SpendBucketName]?: Bar };
  pending: { [B in SpendBucketName]?: PendingCommand };
  owner?: string;
  leaseUntil?: number;
}

/** The line's bars with the lease, with the conditions of `DynamoBarStore`. */
export class MemoryBarStore implements BarStore {
  readonly shards = 1;
  private readonly lines = new Map<string, LineItem>();

  /** The line's item, created empty (protected: what a test's fault injection writes to). */
  protected item(subscriberId: string): LineItem {
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
    const item = this.lines.get(subscriberId);
    return item === undefined ? { bars: {}, pending: {} } : this.state(item);
  }

  /** `attribute_not_exists(lk) OR lk = :owner OR lu < :now`. */
  async acquire(subscriberId: string, owner: string, nowMs: number, untilMs: number): Promise<LineState | undefined> {
    const item = this.item(subscriberId);
    if (item.owner !== undefined && item.owner !== owner && (item.leaseUntil ?? 0) >= nowMs) return undefined;
    item.owner = owner;
    item.leaseUntil = untilMs;
    return this.state(item);
  }

  async markPending(subscriberId: string, owner: string, bucket: SpendBucketName, pending: PendingCommand): Promise<boolean> {
    const item = this.lines.get(subscriberId);
    if (item?.owner !== owner) return false;
    item.pending[bucket] = structuredClone(pending);
    return true;
  }

  async commit(subscriberId: string, owner: string, bars: LineBars): Promise<boolean> {
    const item = this.lines.get(subscriberId);
    if (item?.owner !== owner) return false;
    item.bars = structuredClone({ ...bars });
    item.pending = {};
    delete item.owner;
    delete item.leaseUntil;
    return true;
  }

  async release(subscriberId: string, owner: string): Promise<void> {
    const item = this.lines.get(subscriberId);
    if (item?.owner !== owner) return;
    delete item.owner;
    delete item.leaseUntil;
  }

  async overdue(_shard: number, iso: string, limit: number): Promise<OverdueLine[]> {
    const found: OverdueLine[] = [];
    for (const [subscriberId, item] of this.lines) {
      const due = Object.values(item.bars).map((b) => b.until).sort()[0];
      if (due !== undefined && due <= iso) found.push({ subscriberId, due });
    }
    return found.sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : 0)).slice(0, limit);
  }
}

/** The audit trail and its idempotency guards (a PENDING guard is taken over, a DONE one is not). */
export class MemoryAuditLog implements AuditLog {
  private readonly bySubscriber = new Map<string, AuditEntry[]>();
  private readonly guards = new Map<string, 'PENDING' | 'DONE'>();

  private keyOf(key: ActionKey): string {
    return `${key.subscriberId}\u0000${key.period}\u0000${key.crossingId}\u0000${key.action}`;
  }

  async begin(key: ActionKey): Promise<'PROCEED' | 'DONE'> {
    const k = this.keyOf(key);
    if (this.guards.get(k) === 'DONE') return 'DONE';
    this.guards.set(k, 'PENDING');
    return 'PROCEED';
  }

  async complete(key: ActionKey, entry: AuditEntry): Promise<void> {
    await this.record(entry);
    this.guards.set(this.keyOf(key), 'DONE');
  }

  async record(entry: AuditEntry): Promise<void> {
    const list = this.bySubscriber.get(entry.subscriberId);
    const copy = structuredClone({ ...entry, at: new Date(Date.parse(entry.at)).toISOString() });
    if (list === undefined) this.bySubscriber.set(entry.subscriberId, [copy]);
    else list.push(copy);
  }

  async list(subscriberId: string, fromIso?: string, toIso?: string): Promise<AuditEntry[]> {
    const from = fromIso === undefined ? undefined : new Date(Date.parse(fromIso)).toISOString();
    const to = toIso === undefined ? undefined : new Date(Date.parse(toIso)).toISOString();
    return (this.bySubscriber.get(subscriberId) ?? [])
      .filter((e) => (from === undefined || e.at >= from) && (to === undefined || e.at < to))
      .map((e, index) => ({ e, index }))
      // Time order, as the audit table's sort key gives it (insertion order within the same instant).
      .sort((a, b) => (a.e.at < b.e.at ? -1 : a.e.at > b.e.at ? 1 : a.index - b.index))
      .map(({ e }) => structuredClone(e));
  }
}

/** Subscriber profiles with their revisions (the replay's profiles are validated when the file is read). */
export class MemoryProfileStore implements ProfileStore {
  private readonly byId = new Map<string, VersionedProfile>();

  /** Starts with these profiles, each at revision 1 (validated by the caller). */
  constructor(profiles: readonly SubscriberProfile[] = []) {
    for (const profile of profiles) this.byId.set(profile.subscriberId, { profile: deepFreeze(structuredClone(profile)), revision: 1 });
  }

  async get(subscriberId: string): Promise<SubscriberProfile | undefined> {
    return this.byId.get(subscriberId)?.profile;
  }

  async getVersioned(subscriberId: string): Promise<VersionedProfile | undefined> {
    return this.byId.get(subscriberId);
  }

  /** Profiles are validated before they are put here: none is ever unusable. */
  async getMany(subscriberIds: readonly string[]): Promise<ProfileLookup> {
    const profiles = new Map<string, SubscriberProfile>();
    for (const id of subscriberIds) {
      const versioned = this.byId.get(id);
      if (versioned !== undefined) profiles.set(id, versioned.profile);
    }
    return { profiles, unusable: new Map() };
  }

  async put(profile: SubscriberProfile, expectedRevision?: number): Promise<number> {
    const current = this.byId.get(profile.subscriberId)?.revision ?? 0;
    if (expectedRevision !== undefined && expectedRevision !== current) throw new RevisionConflictError('the profile changed since it was read');
    // Frozen: every reader shares the one object, as no reader may change a profile it was given.
    this.byId.set(profile.subscriberId, { profile: deepFreeze(structuredClone(profile)), revision: current + 1 });
    return current + 1;
  }

  async delete(subscriberId: string): Promise<void> {
    this.byId.delete(subscriberId);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
