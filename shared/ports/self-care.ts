/**
 * What the self-care and operator use cases need beyond the shared ports (ProfileStore, UsageStore, BarStore,
 * AuditLog, PolicyWorkflowStarter, Notifier, Clock): finding subscribers by MSISDN (inbound SMS keyword,
 * support search) and by pseudonym (operations), and changing some attributes of a profile without
 * rewriting the rest.
 */
import type { SpendCap, SubscriberProfile } from '../domain/model.js';

export interface SubscriberDirectory {
  /** The subscriber whose profile has this E.164 number, if exactly one has it. */
  findByMsisdn(msisdn: string): Promise<string | undefined>;
  /** Every profile with this number (a number moving to a new line is briefly on two), at most `limit`. */
  listByMsisdn(msisdn: string, limit: number): Promise<SubscriberProfile[]>;
  /** The subscribers with this pseudonym (almost always one): operations going back from a log line. */
  findByPseudonym(pseudonym: string): Promise<string[]>;
}

/** The profile attributes a self-care request changes on its own (whole values: a cap, the channels). */
export interface ProfileFieldsChange {
  readonly roamingCap?: SpendCap;
  readonly overageCap?: SpendCap;
  readonly notifications?: SubscriberProfile['notifications'];
}

export interface ProfileFields {
  /**
   * Writes only these attributes and answers the new revision; undefined when the profile does not exist
   * (nothing written). With `expectedRevision`, writes only if the stored revision is that one, else throws
   * `RevisionConflictError` (an If-Match that no longer matches).
   */
  update(subscriberId: string, change: ProfileFieldsChange, options?: { readonly expectedRevision?: number }): Promise<number | undefined>;
}
