import { createHash } from 'node:crypto';
import type { Channel, NotificationKind } from '../domain/model.js';

/** One message to a subscriber (or, for BILL_SHOCK_ALERT, about a subscriber to operations). */
export interface OutboundNotification {
  readonly subscriberId: string;
  /** Business account of the line: e-mail subscriptions of its managers filter on it. */
  readonly accountId?: string;
  readonly kind: NotificationKind;
  readonly channel: Channel;
  /** E.164 number for sms, address for email, topic/address for ops. */
  readonly to: string;
  readonly text: string;
  /** E-mail subject in the subscriber's language (SNS keeps only its ASCII). */
  readonly subject?: string;
  /** When it is sent (the Clock's time: virtual in the replay). */
  readonly at: string;
}

/** An operations alert that is not a subscriber notification (a carrier command or a message that failed). */
export interface OpsAlert {
  readonly subject: string;
  readonly text: string;
  readonly at: string;
  /** Hashed, never the raw subscriber id: the alert travels by e-mail/chat outside the audit store. */
  readonly subscriberKey?: string;
}

export interface SentNotification {
  /** Provider message id (SNS MessageId), kept in the audit trail. */
  readonly messageId?: string;
}

/**
 * Delivers notifications. Errors: `NotificationTransientError` (throttled, provider down: the state machine
 * retries) and `NotificationRejectedError` (invalid number, opted-out phone: retrying cannot help).
 */
export interface Notifier {
  send(notification: OutboundNotification): Promise<SentNotification>;
  alertOps(alert: OpsAlert): Promise<SentNotification>;
}

export class NotificationTransientError extends Error {
  override readonly name = 'NotificationTransientError';
}

export class NotificationRejectedError extends Error {
  override readonly name = 'NotificationRejectedError';
}

/**
 * Stable pseudonymous key of a subscriber for SNS filter policies and ops alerts: e-mail subscriptions of a
 * subscriber filter on `subscriberKey`, so the raw subscriber id (often an IMSI) never leaves the account.
 * The admin API computes the same key when it subscribes an address.
 */
export function subscriberKeyOf(subscriberId: string): string {
  return createHash('sha256').update(`spendcap-subscriber\u0000${subscriberId}`).digest('hex').slice(0, 32);
}
