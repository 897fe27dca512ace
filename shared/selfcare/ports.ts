/**
 * What the self-care use cases need beyond the shared ports (ProfileStore, UsageStore, BarStore, AuditLog,
 * PolicyWorkflowStarter, Clock): finding a subscriber by MSISDN (inbound SMS keyword), and changing some
 * attributes of a profile without rewriting the rest.
 */
import type { SpendCap, SubscriberProfile } from '../domain/model.js';

export interface SubscriberDirectory {
  /** The subscriber whose profile has this E.164 number, if any. */
  findByMsisdn(msisdn: string): Promise<string | undefined>;
}

/** The profile attributes a self-care request changes on its own (whole values: a cap, the channels). */
export interface ProfileFieldsChange {
  readonly roamingCap?: SpendCap;
  readonly overageCap?: SpendCap;
  readonly notifications?: SubscriberProfile['notifications'];
}

export interface ProfileFields {
  /** Writes only these attributes and answers the new revision; undefined when the profile does not exist (nothing written). */
  update(subscriberId: string, change: ProfileFieldsChange): Promise<number | undefined>;
}
