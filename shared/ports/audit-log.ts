import type { CarrierCommand, Channel, NotificationKind, PolicyKind, SpendBucketName } from '../domain/model.js';

interface AuditBase {
  readonly subscriberId: string;
  /** ISO 8601 UTC. */
  readonly at: string;
  readonly period: string;
  /** The request's crossing id (e.g. `ROAMING_CAP_REACHED@50000000`). */
  readonly crossingId: string;
}

/** What was sent, to whom, when: the re-consultable record the regulation asks for. */
export interface NotificationAudit extends AuditBase {
  readonly type: 'NOTIFICATION';
  readonly kind: NotificationKind;
  readonly channel: Channel;
  readonly to: string;
  readonly text: string;
  readonly messageId?: string;
  /** Sent again by an operator (support): when the message it repeats was first sent, and why. */
  readonly resend?: { readonly of: string; readonly reason: string; readonly caller?: string };
}

export interface CarrierCommandAudit extends AuditBase {
  readonly type: 'CARRIER_COMMAND';
  readonly command: CarrierCommand;
  /** The bar placed or lifted. */
  readonly barId?: string;
  readonly reason: string;
  readonly idempotencyKey: string;
  /** DONE: the carrier accepted it. FAILED: retries exhausted or refused; operations were alerted. */
  readonly status: 'DONE' | 'FAILED';
  /** Error name and message when FAILED (no personal data). */
  readonly error?: string;
}

export interface UnbarScheduledAudit extends AuditBase {
  readonly type: 'UNBAR_SCHEDULED';
  readonly bucket: SpendBucketName;
  readonly barId: string;
  readonly runAt: string;
  readonly scheduleName: string;
}

export interface NotificationFailedAudit extends AuditBase {
  readonly type: 'NOTIFICATION_FAILED';
  readonly kind: NotificationKind;
  readonly channel: Channel;
  readonly error: string;
}

/** Reconciling the line failed after its retries (operations were alerted): the bars may not be as the caps require. */
export interface LineFailedAudit extends AuditBase {
  readonly type: 'LINE_FAILED';
  readonly kind: PolicyKind;
  readonly error: string;
}

/** The statement of a subscriber's consent (to opt out of a cap, or to continue past it): who gave it, when, how. */
export interface ConsentStatement {
  /** Who consented, as the channel identifies them (e.g. `account holder, signed in`, `caller verified by PIN`). */
  readonly who: string;
  /** When it was given (ISO 8601). */
  readonly at: string;
  readonly channel: 'web' | 'app' | 'sms' | 'voice' | 'store' | 'email' | 'letter';
  /** The words the subscriber agreed to, when the channel shows them. */
  readonly text?: string;
}

/** One value of a subscriber-owned choice that changed: `roamingCap.limitMicros` 50000000 -> 20000000. */
export interface ChoiceChange {
  readonly field: string;
  readonly from: boolean | number;
  readonly to: boolean | number;
}

/**
 * A subscriber-owned choice changed (a cap, the notification channels, consent to continue): by the
 * subscriber (self-care) or by an operator on their behalf, who must give a reason.
 */
export interface ChoiceChangedAudit extends AuditBase {
  readonly type: 'CHOICE_CHANGED';
  readonly by: 'subscriber' | 'operator';
  readonly changes: readonly ChoiceChange[];
  /** Why an operator changed it (required on the operator side). */
  readonly reason?: string;
  /** The subscriber's consent statement, for an opt-out or a consent to continue. */
  readonly consent?: ConsentStatement;
  /** The authenticated caller of the API (IAM principal), when known. */
  readonly caller?: string;
}

export type AuditEntry = NotificationAudit | CarrierCommandAudit | UnbarScheduledAudit | NotificationFailedAudit | LineFailedAudit | ChoiceChangedAudit;

/** One side effect of one request: the unit of idempotency. */
export interface ActionKey {
  readonly subscriberId: string;
  readonly period: string;
  readonly crossingId: string;
  /** E.g. `sms`, `email`, `ops`, `BAR_DATA_ROAMING`, `schedule`. */
  readonly action: string;
}

/**
 * Audit trail and idempotency guards. `begin` records PENDING (unless DONE) before a side effect and
 * answers `DONE` when a previous attempt completed it; `complete` writes the audit entry, then DONE.
 */
export interface AuditLog {
  begin(key: ActionKey, at: string): Promise<'PROCEED' | 'DONE'>;
  complete(key: ActionKey, entry: AuditEntry): Promise<void>;
  /** Appends an entry with no guard (failures). */
  record(entry: AuditEntry): Promise<void>;
  /** Entries of a subscriber in time order, `fromIso` inclusive, `toIso` exclusive. */
  list(subscriberId: string, fromIso?: string, toIso?: string): Promise<AuditEntry[]>;
}
