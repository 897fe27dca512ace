/**
 * The usage table in memory, with the same items, conditions and write-unit rules as DynamoUsageStore:
 * for the CPU benchmark (storage stubbed), the property tests (thousands of runs) and local tools.
 */
import type {
  ClaimOutcome,
  CountersWrite,
  EventClaim,
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
import {
  STATE_SK,
  claimItem,
  claimSk,
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

  async claim(claim: EventClaim): Promise<ClaimOutcome> {
    const key = this.key(claim.subscriberId, claimSk(claim.eventKey));
    const existing = this.items.get(key);
    const recorded = typeof existing?.pd === 'string' ? existing.pd : undefined;
    const item = claimItem({ ...claim, period: recorded ?? claim.period });
    const units = this.units(item, existing);
    const holders = [claim.claimedBy, claim.claimedByLegacy, ...(claim.takesOver ?? [])];
    if (existing !== undefined && !holders.includes(String(existing.claimedBy))) return { claimed: false, writeUnits: units };
    this.items.set(key, item);
    return { claimed: true, writeUnits: units, ...(recorded !== undefined && { period: recorded }) };
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

  async readClaim(subscriberId: string, eventKey: string): Promise<StoredClaim | undefined> {
    const item = this.items.get(this.key(subscriberId, claimSk(eventKey)));
    if (item === undefined) return undefined;
    return { claimedBy: String(item.claimedBy), ...(typeof item.pd === 'string' && { period: item.pd }) };
  }

  async holdForRedrive(hold: RedriveHold): Promise<HoldOutcome> {
    const key = this.key(hold.subscriberId, claimSk(hold.eventKey));
    const existing = this.items.get(key);
    const next: Item = { ...(existing ?? claimItem({ ...hold, claimedBy: hold.marker })), claimedBy: hold.marker };
    const units = this.units(next, existing);
    if (existing !== undefined && ![hold.claimedBy, hold.claimedByLegacy, hold.marker].includes(String(existing.claimedBy))) {
      return { held: false, writeUnits: units };
    }
    this.items.set(key, next);
    return { held: true, writeUnits: units };
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
