/**
 * The optional mailer: each message on the e-mail topic goes to the address in its `recipient` message
 * attribute (shared/adapters/sns-notifier.ts puts it there). One delivering subscription serves every
 * subscriber, which per-subscriber SNS subscriptions cannot (200 filter policies per topic).
 */
import { EMAIL_PATTERN } from '../domain/validation.js';
import type { Clock } from '../ports/clock.js';
import { EmailRejectedError, type EmailSender } from '../ports/email-sender.js';
import type { Notifier } from '../ports/notifier.js';
import { redactIdentifiers } from '../privacy/pseudonym.js';

/** The fields of an SNS notification (as Lambda receives it in `Records[].Sns`) that the mailer reads. */
export interface SnsNotification {
  readonly TopicArn: string;
  readonly Message: string;
  readonly Subject?: string | null;
  readonly MessageAttributes?: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

export type EmailDeliveryOutcome =
  | { readonly outcome: 'sent'; readonly kind?: string; readonly messageId?: string }
  /** No `recipient` attribute: a message for the account managers' filtered subscriptions, not for a subscriber. */
  | { readonly outcome: 'skipped'; readonly reason: string }
  /** Refused for good (bad address, SES refused it): told to the operations team, never retried. */
  | { readonly outcome: 'rejected'; readonly kind?: string; readonly reason: string };

export interface SendEmailDeps {
  readonly sender: EmailSender;
  /** The ops topic: where a message that cannot be delivered is reported, without the address. */
  readonly notifier: Pick<Notifier, 'alertOps'>;
  readonly clock: Clock;
}

const FALLBACK_SUBJECT = 'spendcap notification';

function stringAttribute(notification: SnsNotification, name: string): string | undefined {
  const attribute = notification.MessageAttributes?.[name];
  return attribute?.Type === 'String' && attribute.Value.trim() !== '' ? attribute.Value.trim() : undefined;
}

/**
 * Sends one e-mail topic message to its recipient. A transient SES error is thrown (Lambda retries the
 * invocation, then keeps it in the dead-letter queue); a refusal is reported to ops and not retried.
 */
export async function sendEmailNotification(notification: SnsNotification, deps: SendEmailDeps): Promise<EmailDeliveryOutcome> {
  const recipient = stringAttribute(notification, 'recipient');
  if (recipient === undefined) return { outcome: 'skipped', reason: 'no recipient attribute' };
  const kind = stringAttribute(notification, 'kind');
  const subscriberKey = stringAttribute(notification, 'subscriberKey');
  const tags = { ...(kind !== undefined && { kind }), ...(subscriberKey !== undefined && { subscriberKey }) };
  let reason: string;
  if (!EMAIL_PATTERN.test(recipient)) {
    reason = 'recipient is not an e-mail address';
  } else {
    try {
      const sent = await deps.sender.send({
        to: recipient,
        subject: notification.Subject?.trim() || FALLBACK_SUBJECT,
        text: notification.Message,
        tags,
      });
      return { outcome: 'sent', ...(kind !== undefined && { kind }), ...(sent.messageId !== undefined && { messageId: sent.messageId }) };
    } catch (e: unknown) {
      if (!(e instanceof EmailRejectedError)) throw e;
      // SES names the address it refused: the reason goes to the ops topic and the log.
      reason = redactIdentifiers(e.message, { others: [recipient] });
    }
  }
  await deps.notifier.alertOps({
    subject: 'spendcap: e-mail warning not sent',
    text: [
      `An e-mail notification${kind === undefined ? '' : ` (${kind})`} could not be sent: ${reason}.`,
      'The subscriber was not warned by e-mail (SMS, when enabled, is sent separately). Check the address in the profile.',
      ...(subscriberKey === undefined ? [] : [`subscriber key: ${subscriberKey}`]),
    ].join('\n'),
    at: deps.clock.now().toISOString(),
    ...(subscriberKey !== undefined && { subscriberKey }),
  });
  return { outcome: 'rejected', ...(kind !== undefined && { kind }), reason };
}
