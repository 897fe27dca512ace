/**
 * Bounces, complaints and rejections of the mailer's e-mails, as SES publishes them (configuration set
 * event destination, SNS): each one becomes an ops alert that names the subscriber by pseudonymous key and
 * the notification kind (the message tags), never by address. SES itself keeps bounced and complained
 * addresses on the suppression list, so the next message to them is not attempted.
 */
import * as z from 'zod';
import { formatIssues } from '../domain/validation.js';
import type { Clock } from '../ports/clock.js';
import type { Notifier } from '../ports/notifier.js';

/** The fields of an SES event record that matter here (SES developer guide, "Contents of event data"). */
const sesEventSchema = z.object({
  eventType: z.string(),
  mail: z.object({
    messageId: z.string().optional(),
    /** Message tags: each name maps to a list of values. */
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
  bounce: z.object({ bounceType: z.string().optional(), bounceSubType: z.string().optional() }).optional(),
  complaint: z.object({ complaintFeedbackType: z.string().optional() }).optional(),
  reject: z.object({ reason: z.string().optional() }).optional(),
});

export type EmailFeedbackOutcome =
  | { readonly outcome: 'reported'; readonly eventType: string; readonly detail: string }
  /** An event type this handler does not report (the event destination should not send it). */
  | { readonly outcome: 'ignored'; readonly eventType: string }
  | { readonly outcome: 'invalid'; readonly reason: string };

export interface EmailFeedbackDeps {
  readonly notifier: Pick<Notifier, 'alertOps'>;
  readonly clock: Clock;
}

/** What the alert says happened and what to do, per event type. */
function describe(event: z.output<typeof sesEventSchema>): { detail: string; advice: string } | undefined {
  switch (event.eventType) {
    case 'Bounce': {
      const detail = [event.bounce?.bounceType, event.bounce?.bounceSubType].filter((part) => part !== undefined).join(' / ') || 'bounce';
      const advice =
        event.bounce?.bounceType === 'Permanent'
          ? 'The address does not accept mail: SES will not try it again. Ask the subscriber for a new address or turn e-mail off in the profile.'
          : 'The mailbox refused the message for now (full, too large, out of office): no action unless it repeats.';
      return { detail, advice };
    }
    case 'Complaint':
      return {
        detail: event.complaint?.complaintFeedbackType ?? 'marked as spam',
        advice: 'The subscriber marked a spend-cap warning as spam: SES will not send to the address again. Offer SMS-only notifications.',
      };
    case 'Reject':
      return { detail: event.reject?.reason ?? 'rejected', advice: 'SES rejected the message before sending it (virus scan): check what the message held.' };
    default:
      return undefined;
  }
}

function firstTag(event: z.output<typeof sesEventSchema>, name: string): string | undefined {
  return event.mail.tags?.[name]?.[0];
}

/** Reports one SES event (the SNS message body) to the ops topic. */
export async function reportEmailFeedback(message: string, deps: EmailFeedbackDeps): Promise<EmailFeedbackOutcome> {
  let input: unknown;
  try {
    input = JSON.parse(message) as unknown;
  } catch {
    return { outcome: 'invalid', reason: 'not valid JSON' };
  }
  const parsed = sesEventSchema.safeParse(input);
  if (!parsed.success) return { outcome: 'invalid', reason: formatIssues(parsed.error) };
  const event = parsed.data;
  const description = describe(event);
  if (description === undefined) return { outcome: 'ignored', eventType: event.eventType };
  const kind = firstTag(event, 'kind');
  const subscriberKey = firstTag(event, 'subscriberKey');
  // Only what the tags and the event type say: the event's recipient lists and diagnostic codes hold the address.
  await deps.notifier.alertOps({
    subject: `spendcap: e-mail ${event.eventType.toLowerCase()} (${description.detail})`,
    text: [
      `An e-mail notification${kind === undefined ? '' : ` (${kind})`} to a subscriber: ${event.eventType} - ${description.detail}.`,
      description.advice,
      ...(subscriberKey === undefined ? [] : [`subscriber key: ${subscriberKey}`]),
      ...(event.mail.messageId === undefined ? [] : [`SES message id: ${event.mail.messageId}`]),
    ].join('\n'),
    at: deps.clock.now().toISOString(),
    ...(subscriberKey !== undefined && { subscriberKey }),
  });
  return { outcome: 'reported', eventType: event.eventType, detail: description.detail };
}
