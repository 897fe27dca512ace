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

export type AuditEntry = NotificationAudit | CarrierCommandAudit | UnbarScheduledAudit | NotificationFailedAudit | LineFailedAudit;

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
