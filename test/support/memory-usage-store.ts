/**
 * The usage table in memory, with the same items, conditions and write-unit rules as DynamoUsageStore:
 * for the CPU benchmark (storage stubbed), the property tests (thousands of runs) and local tools.
 */
import type {
  ClaimOutcome,
  CountersWrite,
  EventClaim,
  StateWrite,
  StoredCounters,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../../shared/ports/usage-store.js';
import {
  STATE_SK,
  claimItem,
  countersItem,
  countersSk,
  itemSize,
  stateAttributes,
  storedCountersOf,
  storedStateOf,
  writeUnitsOf,
  type Item,
} from '../../shared/adapters/dynamo-usage-store-items.js';

export class MemoryUsageStore implements UsageStore {
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
    const item = claimItem(claim);
    const key = this.key(claim.subscriberId, String(item.sk));
    const existing = this.items.get(key);
    const units = this.units(item, existing);
    if (existing !== undefined && existing.claimedBy !== claim.claimedBy) return { claimed: false, writeUnits: units };
    this.items.set(key, item);
    return { claimed: true, writeUnits: units };
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
