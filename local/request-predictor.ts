/**
 * Lets a replay wave hold several events of one subscriber. An event of a subscriber may join the wave
 * after earlier ones of the same subscriber only if none of those causes a policy request (a request may
 * bar, and a bar changes what the network lets through afterwards).
 *
 * The prediction runs the domain's own `applyEvents` on the subscriber's state as the pipeline last
 * wrote it (observed on the usage store, so no extra read). It cannot know which events are carrier
 * duplicates, so it applies them too: charges and volumes only grow with more events, so it sees every
 * real crossing at or before the event that really causes it, never later. Predicting early only ends a
 * wave early; the report does not change.
 */
import type { CarrierEvent, PeriodCounters, PolicySettings, SubscriberProfile } from '../shared/domain/model.js';
import { applyEvents, type SubscriberUsageState } from '../shared/domain/usage.js';
import type {
  ClaimOutcome,
  CountersWrite,
  EventClaim,
  StateWrite,
  StoredUsage,
  UsageStore,
  WriteOutcome,
} from '../shared/ports/usage-store.js';

/** The usage state the pipeline last saved, per subscriber (an aggregate: periods, not events). */
export class SavedUsage {
  private readonly bySubscriber = new Map<string, { counters: Map<string, PeriodCounters>; servingMcc?: string }>();

  stateOf(subscriberId: string): SubscriberUsageState {
    const saved = this.bySubscriber.get(subscriberId);
    if (saved === undefined) return { counters: new Map() };
    return saved.servingMcc === undefined ? { counters: saved.counters } : { counters: saved.counters, servingMcc: saved.servingMcc };
  }

  savedCounters(counters: PeriodCounters): void {
    this.entry(counters.subscriberId).counters.set(counters.period, counters);
  }

  savedState(subscriberId: string, servingMcc: string | undefined): void {
    const entry = this.entry(subscriberId);
    if (servingMcc === undefined) delete entry.servingMcc;
    else entry.servingMcc = servingMcc;
  }

  private entry(subscriberId: string): { counters: Map<string, PeriodCounters>; servingMcc?: string } {
    let entry = this.bySubscriber.get(subscriberId);
    if (entry === undefined) {
      entry = { counters: new Map() };
      this.bySubscriber.set(subscriberId, entry);
    }
    return entry;
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

  claim(claim: EventClaim): Promise<ClaimOutcome> {
    return this.inner.claim(claim);
  }

  async saveCounters(write: CountersWrite): Promise<WriteOutcome> {
    const outcome = await this.inner.saveCounters(write);
    if (outcome.saved) this.saved.savedCounters(write.counters);
    return outcome;
  }

  async saveState(write: StateWrite): Promise<WriteOutcome> {
    const outcome = await this.inner.saveState(write);
    if (outcome.saved) this.saved.savedState(write.subscriberId, write.servingMcc);
    return outcome;
  }
}

export class RequestPredictor {
  /** Per subscriber in the current wave: state after its events so far. */
  private readonly wave = new Map<string, SubscriberUsageState>();

  constructor(
    private readonly saved: SavedUsage,
    private readonly profileOf: (subscriberId: string) => SubscriberProfile | undefined,
    private readonly settings: PolicySettings,
  ) {}

  /** Adds an event to the wave; true when it may cause a policy request. */
  add(event: CarrierEvent): boolean {
    const profile = this.profileOf(event.subscriberId);
    if (profile === undefined) return false;
    const before = this.wave.get(event.subscriberId) ?? this.saved.stateOf(event.subscriberId);
    const applied = applyEvents(before, [event], profile, this.settings);
    const counters = new Map(before.counters);
    for (const [period, c] of applied.counters) counters.set(period, c);
    const servingMcc = applied.servingMcc ?? before.servingMcc;
    this.wave.set(event.subscriberId, servingMcc === undefined ? { counters } : { counters, servingMcc });
    return applied.requests.length > 0;
  }

  /** The wave was delivered: its effects are now in the saved state. */
  reset(): void {
    this.wave.clear();
  }
}
