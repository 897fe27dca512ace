import { SendEmailCommand, type MessageTag, type SESv2Client } from '@aws-sdk/client-sesv2';
import { EmailRejectedError, EmailTransientError, type EmailSender, type OutboundEmail, type SentEmail } from '../ports/email-sender.js';
import { errorNameOf, isTransientAwsError } from './aws-faults.js';

export interface SesEmailSenderOptions {
  readonly client: SESv2Client;
  /** Verified sender (the address, or an address of a verified domain). */
  readonly fromAddress: string;
  /** Configuration set whose event destination reports bounces and complaints. */
  readonly configurationSetName?: string;
}

/** SES message tags allow letters, digits, `_` and `-` only, 256 characters at most (SES API v2, MessageTag). */
function tagValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
  return cleaned === '' ? '_' : cleaned;
}

/**
 * SES errors that retrying will not fix, by name: the message or an address was refused, the sender is
 * not verified, or sending is paused for the account or configuration set (someone must act first; a
 * retry within Lambda's six hours would only fill the dead-letter queue later).
 */
const REJECTED_NAMES = new Set([
  'MessageRejected',
  'BadRequestException',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'NotFoundException',
]);

/** Over the sending rate or the daily quota: SES accepts again later. */
const TRANSIENT_NAMES = new Set(['TooManyRequestsException', 'LimitExceededException']);

/** Amazon SES API v2 `SendEmail`, plain text, UTF-8, tagged for the feedback events. */
export class SesEmailSender implements EmailSender {
  constructor(private readonly options: SesEmailSenderOptions) {}

  async send(email: OutboundEmail): Promise<SentEmail> {
    const tags: MessageTag[] = Object.entries(email.tags).map(([Name, Value]) => ({ Name: tagValue(Name), Value: tagValue(Value) }));
    try {
      const { MessageId } = await this.options.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.fromAddress,
          Destination: { ToAddresses: [email.to] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
            },
          },
          EmailTags: tags,
          ...(this.options.configurationSetName !== undefined && { ConfigurationSetName: this.options.configurationSetName }),
        }),
      );
      return MessageId === undefined ? {} : { messageId: MessageId };
    } catch (e: unknown) {
      // The error's name only: SES messages can quote the address.
      const name = errorNameOf(e);
      if (TRANSIENT_NAMES.has(name) || (!REJECTED_NAMES.has(name) && isTransientAwsError(e))) throw new EmailTransientError(`SES SendEmail failed, may succeed later (${name})`);
      throw new EmailRejectedError(`SES refused the message (${name})`);
    }
  }
}
