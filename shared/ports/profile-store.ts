import type { SubscriberProfile } from '../domain/model.js';

/** A profile with its revision: bumped by every write, so that a change can be named and compared. */
export interface VersionedProfile {
  readonly profile: SubscriberProfile;
  /** 0 for a profile written before revisions existed. */
  readonly revision: number;
}

/** The stored profile changed since it was read (another writer): nothing was written. */
export class RevisionConflictError extends Error {
  override readonly name = 'RevisionConflictError';
}

/** The profiles of a set of subscribers, as ingest reads them. */
export interface ProfileLookup {
  /** The ids that have a valid profile (unknown ids are simply absent). */
  readonly profiles: ReadonlyMap<string, SubscriberProfile>;
  /** Ids whose stored profile no longer validates, with the reason (naming the field). */
  readonly unusable: ReadonlyMap<string, string>;
}

/** Subscriber profiles (subscriber.v1, defaults applied). Used by ingest (read) and the API (read/write). */
export interface ProfileStore {
  get(subscriberId: string): Promise<SubscriberProfile | undefined>;
  getVersioned(subscriberId: string): Promise<VersionedProfile | undefined>;
  /** Profiles of the ids that exist; a stored profile that no longer validates is reported, not thrown. */
  getMany(subscriberIds: readonly string[]): Promise<ProfileLookup>;
  /**
   * Creates or replaces a profile and answers its new revision. With `expectedRevision` (0 = must not
   * exist yet) the write happens only if the stored revision is that one, else `RevisionConflictError`.
   */
  put(profile: SubscriberProfile, expectedRevision?: number): Promise<number>;
  /** Deletes a profile; with `expectedRevision`, only if the stored revision is that one, else `RevisionConflictError`. */
  delete(subscriberId: string, expectedRevision?: number): Promise<void>;
}
