/**
 * Profiles cached briefly per container: a batch touches up to a few hundred subscribers and the same
 * ones come back batch after batch, so most batches read no profile at all. A profile change (new cap,
 * opt-out) reaches ingest within `ttlMs` (60 s by default, well within the regulation's "one working day").
 * Unknown subscribers are not cached: a profile provisioned a moment later must be seen at once.
 */
import type { SubscriberProfile } from '../domain/model.js';
import type { ProfileLookup, ProfileStore } from '../ports/profile-store.js';

export class CachedProfiles implements Pick<ProfileStore, 'getMany'> {
  private readonly entries = new Map<string, { profile: SubscriberProfile; until: number }>();
  private readonly store: Pick<ProfileStore, 'getMany'>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly capacity: number;

  constructor(options: {
    readonly store: Pick<ProfileStore, 'getMany'>;
    readonly ttlMs?: number;
    /** Wall clock in ms (the cache's age only: never used for the domain's time). */
    readonly now?: () => number;
    readonly capacity?: number;
  }) {
    this.store = options.store;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.capacity = options.capacity ?? 50_000;
  }

  async getMany(subscriberIds: readonly string[]): Promise<ProfileLookup> {
    const now = this.now();
    const found = new Map<string, SubscriberProfile>();
    const missing: string[] = [];
    for (const id of subscriberIds) {
      const entry = this.entries.get(id);
      if (entry !== undefined && entry.until > now) found.set(id, entry.profile);
      else missing.push(id);
    }
    if (missing.length === 0) return { profiles: found, unusable: new Map() };
    const loaded = await this.store.getMany(missing);
    for (const [id, profile] of loaded.profiles) {
      found.set(id, profile);
      if (this.ttlMs <= 0) continue;
      this.entries.delete(id);
      this.entries.set(id, { profile, until: now + this.ttlMs });
    }
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    // An unusable profile is not cached: once fixed, it must be used at once.
    return { profiles: found, unusable: loaded.unusable };
  }
}
