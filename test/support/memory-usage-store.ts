/**
 * The usage table in memory for tests (the CPU benchmark, the property tests' thousands of runs): the
 * local runtime's store (local/memory-stores.ts: the DynamoDB adapter's items, conditions and write
 * units), with a view of every item as the table would hold it, for the tests that look at the table.
 */
import { claimGroupSk } from '../../shared/adapters/claim-groups.js';
import { countersSk, failureSk, STATE_SK, type Item } from '../../shared/adapters/dynamo-usage-store-items.js';
import { MemoryUsageStore as LocalUsageStore } from '../../local/memory-stores.js';

export class MemoryUsageStore extends LocalUsageStore {
  /** Every item by `<pk>\u0000<sk>`, as the table would hold it: a new map at each call, of the stored items. */
  get items(): Map<string, Item> {
    const items = new Map<string, Item>();
    const put = (pk: string, sk: string, item: Item) => items.set(`${pk}\u0000${sk}`, item);
    for (const [pk, usage] of this.subscribers) {
      if (usage.state !== undefined) put(pk, STATE_SK, usage.state);
      for (const [period, item] of usage.counters) put(pk, countersSk(period), item);
      for (const [group, head] of usage.claimHeads) put(pk, claimGroupSk(group), head);
      for (const [sk, archive] of usage.claimArchives) put(pk, sk, archive);
      for (const [position, n] of usage.failures ?? []) put(pk, failureSk(position), { pk, sk: failureSk(position), n });
    }
    return items;
  }
}
