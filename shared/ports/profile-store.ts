import type { SubscriberProfile } from '../domain/model.js';

/** Subscriber profiles (subscriber.v1, defaults applied). Used by ingest (read) and the API (read/write). */
export interface ProfileStore {
  get(subscriberId: string): Promise<SubscriberProfile | undefined>;
  /** Profiles of the ids that exist, by subscriber id (unknown ids are simply absent). */
  getMany(subscriberIds: readonly string[]): Promise<ReadonlyMap<string, SubscriberProfile>>;
  put(profile: SubscriberProfile): Promise<void>;
  delete(subscriberId: string): Promise<void>;
}
