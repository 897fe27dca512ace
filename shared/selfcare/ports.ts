/**
 * What the self-care use cases need beyond the shared ports (ProfileStore, UsageStore, BarStore, AuditLog,
 * PolicyWorkflowStarter, Clock): finding a subscriber by MSISDN, for the inbound SMS keyword.
 */
export interface SubscriberDirectory {
  /** The subscriber whose profile has this E.164 number, if any. */
  findByMsisdn(msisdn: string): Promise<string | undefined>;
}
