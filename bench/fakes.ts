/**
 * In-memory ports for measurements where a service is out of scope: profiles from a map, workflow
 * starts only counted. They do the least possible work so that they do not weigh on the figures.
 */
import type { PolicyRequest, SubscriberProfile } from '../shared/domain/model.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import type { ProfileLookup, ProfileStore } from '../shared/ports/profile-store.js';

export class MapProfiles implements Pick<ProfileStore, 'getMany'> {
  private readonly byId: ReadonlyMap<string, SubscriberProfile>;

  constructor(profiles: readonly SubscriberProfile[]) {
    this.byId = new Map(profiles.map((p) => [p.subscriberId, p]));
  }

  async getMany(subscriberIds: readonly string[]): Promise<ProfileLookup> {
    const found = new Map<string, SubscriberProfile>();
    for (const id of subscriberIds) {
      const profile = this.byId.get(id);
      if (profile !== undefined) found.set(id, profile);
    }
    return { profiles: found, unusable: new Map() };
  }
}

/** Counts the policy requests the ingest would start, by kind. */
export class CountingWorkflows implements PolicyWorkflowStarter {
  starts = 0;
  readonly byKind = new Map<string, number>();

  async start(requests: readonly PolicyRequest[]): Promise<void> {
    for (const r of requests) {
      this.starts++;
      this.byKind.set(r.kind, (this.byKind.get(r.kind) ?? 0) + 1);
    }
  }
}
