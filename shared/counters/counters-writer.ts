/**
 * The one way the usage table's counters and STATE items are written, by ingest and by self-care alike
 * (docs/architecture.md, "Exactly once"):
 *  1. the writer reads the items (`UsageStore.load`, strongly consistent) and computes their new values,
 *     the fired marks of the crossings included, and the policy requests those crossings start;
 *  2. `writeCounters`: STATE first (when it changes), then each counters item, each under the version it
 *     read, with its watermarks and its outbox: the requests written in the same write as the counters that
 *     caused them, so a crash cannot keep one without the other. A refused write means another writer won:
 *     the caller reads again and redoes;
 *  3. `startOutbox`: the requests are started (deterministic execution names make a second start a no-op),
 *     the leftovers of a writer that crashed after its write included, then removed from the outboxes that
 *     hold them by a conditional update that bumps the item's version, so that a writer that read the item
 *     before reloads instead of writing them back. Whoever writes next starts what is still there: no
 *     container's memory is needed for an outbox to empty.
 */
import type { PolicyRequest } from '../domain/model.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import type { CountersWrite, OutboxClear, StateWrite, StoredUsage, UsageStore } from '../ports/usage-store.js';

/** The new values of a subscriber's items, each written under the version it was read at. */
export interface CountersWrites {
  readonly state?: Omit<StateWrite, 'subscriberId' | 'expectedVersion'>;
  readonly counters: readonly CountersWrite[];
}

export interface WrittenCounters {
  /** The periods whose counters item was written. */
  readonly periods: ReadonlySet<string>;
  /** false: a write met a newer version (or failed): read again and redo. */
  readonly complete: boolean;
  readonly writeUnits: number;
  /** The first failed write's error, once every write has settled. */
  readonly error?: unknown;
}

/**
 * Writes STATE (when it changes), then the counters items. Every write has settled when this returns, a
 * failed one included (`error`): what landed is known before a failure is handled, and nothing lands after.
 */
export async function writeCounters(
  usage: Pick<UsageStore, 'saveState' | 'saveCounters'>,
  subscriberId: string,
  stored: StoredUsage,
  writes: CountersWrites,
): Promise<WrittenCounters> {
  let writeUnits = 0;
  if (writes.state !== undefined) {
    const out = await usage.saveState({ subscriberId, expectedVersion: stored.state.version, ...writes.state });
    writeUnits += out.writeUnits;
    if (!out.saved) return { periods: new Set(), complete: false, writeUnits };
  }
  const outs = await Promise.allSettled(writes.counters.map((write) => usage.saveCounters(write)));
  const periods = new Set<string>();
  let complete = true;
  let error: unknown;
  outs.forEach((out, i) => {
    if (out.status === 'rejected') {
      error ??= out.reason;
      complete = false;
      return;
    }
    writeUnits += out.value.writeUnits;
    const period = writes.counters[i]?.counters.period;
    if (out.value.saved && period !== undefined) periods.add(period);
    else complete = false;
  });
  return { periods, complete, writeUnits, ...(error !== undefined && { error }) };
}

/**
 * Starts `requests` (each identity once, in order), then removes them from the outboxes that hold them once
 * `writes` landed (an item not written, as it was read); answers the starts and the removals' write units.
 */
export async function startOutbox(
  deps: { readonly usage: Pick<UsageStore, 'clearOutbox'>; readonly workflows: PolicyWorkflowStarter },
  subscriberId: string,
  requests: readonly PolicyRequest[],
  stored: StoredUsage,
  writes: CountersWrites,
): Promise<{ starts: number; writeUnits: number }> {
  const toStart = uniqueByIdentity(requests);
  if (toStart.length === 0) return { starts: 0, writeUnits: 0 };
  await deps.workflows.start(toStart);
  const started = new Set(toStart.map(identityOf));
  const clears: OutboxClear[] = [];
  const add = (period: string | undefined, pending: readonly PolicyRequest[]) => {
    const crossingIds = pending.filter((r) => started.has(identityOf(r))).map((r) => r.crossingId);
    if (crossingIds.length > 0) clears.push({ subscriberId, ...(period !== undefined && { period }), crossingIds });
  };
  add(undefined, writes.state?.pending ?? stored.state.pending);
  const written = new Map(writes.counters.map((c) => [c.counters.period, c.pending]));
  for (const period of new Set([...written.keys(), ...stored.counters.keys()])) add(period, written.get(period) ?? stored.counters.get(period)?.pending ?? []);
  const outs = await Promise.all(clears.map((clear) => deps.usage.clearOutbox(clear)));
  return { starts: toStart.length, writeUnits: outs.reduce((sum, out) => sum + out.writeUnits, 0) };
}

/** A request's identity (what its execution name is made of): the same request is started once. */
function identityOf(request: PolicyRequest): string {
  return `${request.subscriberId}\u0000${request.period}\u0000${request.crossingId}`;
}

function uniqueByIdentity(requests: readonly PolicyRequest[]): PolicyRequest[] {
  const seen = new Set<string>();
  return requests.filter((r) => {
    const name = identityOf(r);
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}
