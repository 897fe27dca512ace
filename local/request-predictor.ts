/**
 * Whether a line may make its subscriber's line reach a cap: what decides, in the timeline's waves
 * (local/timeline.ts), that a subscriber's later lines wait for the next wave.
 *
 * The prediction runs the domain's own `applyEvents` on the counters the pipeline last wrote (observed on
 * the usage store, so no extra read) plus the subscriber's earlier events of the wave. It cannot know which
 * events are carrier duplicates, so it applies them too; every event adds non-negative amounts, so it
 * reaches a cap at or before the event that really does, never later. Predicting early only ends a wave
 * early; the report does not change.
 */
import type { CarrierEvent, PeriodCounters, PolicySettings, SubscriberProfile } from '../shared/domain/model.js';
import { applyEvents } from '../shared/domain/usage.js';
import { capOfKind } from '../shared/domain/caps.js';
import type { ClaimsOutcome, CountersWrite, EventClaims, StateWrite, StoredUsage, UsageStore, WriteOutcome, OutboxClear } from '../shared/ports/usage-store.js';

/** The counters the pipeline last saved, per subscriber and period. */
export class SavedUsage {
  private readonly bySubscriber = new Map<string, Map<string, PeriodCounters>>();

  countersOf(subscriberId: string): ReadonlyMap<string, PeriodCounters> {
    return this.bySubscriber.get(subscriberId) ?? new Map();
  }

  saved(counters: PeriodCounters): void {
    let periods = this.bySubscriber.get(counters.subscriberId);
    if (periods === undefined) {
      periods = new Map();
      this.bySubscriber.set(counters.subscriberId, periods);
    }
    periods.set(counters.period, counters);
  }
}

/** A usage store that tells `SavedUsage` what it saved (decorates the real adapter; changes nothing). */
export class ObservedUsageStore implements UsageStore {
  constructor(
    private readonly inner: UsageStore,
    private readonly saved: SavedUsage,
  ) {}

  load(subscriberId: string, periods: readonly string[]): Promise<StoredUsage> {
    return this.inner.load(subscriberId, periods);
  }

  claim(claims: EventClaims): Promise<ClaimsOutcome> {
    return this.inner.claim(claims);
  }

  async saveCounters(write: CountersWrite): Promise<WriteOutcome> {
    const outcome = await this.inner.saveCounters(write);
    if (outcome.saved) this.saved.saved(write.counters);
    return outcome;
  }

  saveState(write: StateWrite): Promise<WriteOutcome> {
    return this.inner.saveState(write);
  }

  clearOutbox(clear: OutboxClear): Promise<WriteOutcome> {
    return this.inner.clearOutbox(clear);
  }
}

export class CapPredictor {
  /** Per subscriber of the current wave: counters after its events so far. */
  private readonly wave = new Map<string, ReadonlyMap<string, PeriodCounters>>();

  constructor(
    private readonly saved: SavedUsage,
    private readonly profileOf: (subscriberId: string) => SubscriberProfile | undefined,
    private readonly settings: PolicySettings,
  ) {}

  /** Adds an event to the wave; true when it may make a cap reached. */
  mayReachCap(event: CarrierEvent, clockMs: number): boolean {
    const profile = this.profileOf(event.subscriberId);
    if (profile === undefined) return false;
    const counters = this.wave.get(event.subscriberId) ?? this.saved.countersOf(event.subscriberId);
    let applied: ReturnType<typeof applyEvents>;
    try {
      applied = applyEvents({ counters }, [{ event, knownAtMs: clockMs }], profile, this.settings);
    } catch {
      // An absurd event (a counter out of exact range) that ingest will refuse: ends the wave to be safe.
      return true;
    }
    const next = new Map(counters);
    for (const [period, c] of applied.counters) next.set(period, c);
    this.wave.set(event.subscriberId, next);
    return applied.requests.some((r) => capOfKind(r.kind)?.capKind === r.kind);
  }

  /** The wave was ingested: its effects are now in the saved counters. */
  reset(): void {
    this.wave.clear();
  }
}
