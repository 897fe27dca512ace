/**
 * The usage table in memory, with the same items, conditions and write-unit rules as DynamoUsageStore:
 * for the CPU benchmark (storage stubbed), the property tests (thousands of runs) and local tools.
 */
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
} from '../../shared/ports/usage-store.js';
import { archiveIdsOf, claimArchiveSk, claimGroupOf, claimGroupSk, decideClaims, decideHold, planGroupWrite, type ClaimGroupRead } from '../../shared/adapters/claim-groups.js';
import {
  STATE_SK,
  failureSk,
  countersItem,
  countersSk,
  itemSize,
  stateAttributes,
  storedCountersOf,
  storedStateOf,
  writeUnitsOf,
  type Item,
} from '../../shared/adapters/dynamo-usage-store-items.js';

export class MemoryUsageStore implements UsageStore, FailureLedger {
  readonly items = new Map<string, Item>();
  /** When false, write units are not computed (pure CPU measurement of the use case). */
  constructor(private readonly countUnits = true) {}

  private key(pk: string, sk: string): string {
    return `${pk}\u0000${sk}`;
  }

  async load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage> {
    const counters = new Map<string, StoredCounters>();
    for (const period of new Set(periods)) {
      const item = this.items.get(this.key(subscriberId, countersSk(period)));
      if (item !== undefined) counters.set(period, storedCountersOf(structuredClone(item)));
    }
    const state = this.items.get(this.key(subscriberId, STATE_SK));
    return { counters, state: storedStateOf(subscriberId, state === undefined ? undefined : structuredClone(state)) };
  }

  async claim(claims: EventClaims): Promise<ClaimsOutcome> {
    const read = this.readGroup(claims.subscriberId, claims.group);
    const decision = decideClaims(read, claims.keys);
    if (!decision.write) return { saved: true, results: decision.results, writeUnits: 0 };
    const writeUnits = this.writeGroup(claims.subscriberId, claims.group, read, decision.changes, decision.expiresAt);
    return { saved: true, results: decision.results, writeUnits };
  }

  private readGroup(subscriberId: string, group: string): ClaimGroupRead {
    const head = this.items.get(this.key(subscriberId, claimGroupSk(group)));
    const archives = new Map<string, Item>();
    for (const id of archiveIdsOf(head)) {
      const archive = this.items.get(this.key(subscriberId, claimArchiveSk(group, id)));
      if (archive !== undefined) archives.set(id, archive);
    }
    return claimGroupOf(head, archives);
  }

  /** Synchronous from read to write here, so the version condition always holds. */
  private writeGroup(subscriberId: string, group: string, read: ClaimGroupRead, changes: Parameters<typeof planGroupWrite>[3], expiresAt: number): number {
    const plan = planGroupWrite(subscriberId, group, read, changes, expiresAt);
    let units = 0;
    for (const item of [...plan.archives, plan.head]) {
      const key = this.key(subscriberId, String(item.sk));
      units += this.units(item, this.items.get(key));
      this.items.set(key, item);
    }
    return units;
  }

  async clearOutbox(clear: OutboxClear): Promise<WriteOutcome> {
    const key = this.key(clear.subscriberId, clear.period === undefined ? STATE_SK : countersSk(clear.period));
    const existing = this.items.get(key);
    const pending = existing?.p;
    if (existing === undefined || typeof pending !== 'object' || pending === null || Array.isArray(pending)) return { saved: false, writeUnits: 1 };
    if (!clear.crossingIds.some((id) => id in pending)) return { saved: false, writeUnits: 1 };
    const rest = { ...pending };
    for (const id of clear.crossingIds) delete rest[id];
    const next: Item = { ...existing, p: rest, v: Number(existing.v ?? 0) + 1 };
    this.items.set(key, next);
    return { saved: true, writeUnits: this.units(next, existing) };
  }

  async readClaim(subscriberId: string, group: string, eventKey: string): Promise<StoredClaim | undefined> {
    return this.readGroup(subscriberId, group).claims.get(eventKey);
  }

  async holdForRedrive(hold: RedriveHold): Promise<HoldOutcome> {
    const read = this.readGroup(hold.subscriberId, hold.group);
    const decision = decideHold(read, hold);
    if (!decision.held) return { held: false, writeUnits: 0 };
    return { held: true, writeUnits: this.writeGroup(hold.subscriberId, hold.group, read, decision.changes, decision.expiresAt) };
  }

  async countFailure(subscriberId: string, position: string): Promise<number> {
    const key = this.key(subscriberId, failureSk(position));
    const count = Number(this.items.get(key)?.n ?? 0) + 1;
    this.items.set(key, { pk: subscriberId, sk: failureSk(position), n: count });
    return count;
  }

  async saveCounters(write: CountersWrite): Promise<WriteOutcome> {
    const item = countersItem({ ...write, version: write.expectedVersion + 1 });
    const key = this.key(write.counters.subscriberId, String(item.sk));
    const existing = this.items.get(key);
    const units = this.units(item, existing);
    const ok = write.expectedVersion === 0 ? existing === undefined : existing?.v === write.expectedVersion;
    if (!ok) return { saved: false, writeUnits: units };
    this.items.set(key, item);
    return { saved: true, writeUnits: units };
  }

  async saveState(write: StateWrite): Promise<WriteOutcome> {
    const key = this.key(write.subscriberId, STATE_SK);
    const existing = this.items.get(key);
    const { set, remove } = stateAttributes({ ...write, version: write.expectedVersion + 1 });
    const next: Item = { ...(existing ?? { pk: write.subscriberId, sk: STATE_SK }), ...set };
    for (const name of remove) delete next[name];
    const units = this.units(next, existing);
    const ok = write.expectedVersion === 0 ? existing?.v === undefined : existing?.v === write.expectedVersion;
    if (!ok) return { saved: false, writeUnits: units };
    this.items.set(key, next);
    return { saved: true, writeUnits: units };
  }

  private units(next: Item, existing: Item | undefined): number {
    if (!this.countUnits) return 0;
    return writeUnitsOf(itemSize(next), existing === undefined ? 0 : itemSize(existing));
  }
}
