import { pseudonymOf } from '../privacy/pseudonym.js';
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
  /** The subscriber's pseudonym, never the raw id: the alert travels by e-mail/chat outside the audit store. */
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
 * The `subscriberKey` of SNS message attributes (e-mail subscriptions filter on it) and of ops alerts: the
 * subscriber's pseudonym, the same token as in the logs and execution names, so that the raw subscriber id
 * (often an IMSI) never leaves the account and an alert can be matched to its log lines.
 */
export function subscriberKeyOf(subscriberId: string): string {
  return pseudonymOf(subscriberId);
}
