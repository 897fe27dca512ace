/** One e-mail to one subscriber, as the mailer sends it. */
export interface OutboundEmail {
  /** The subscriber's address: personal data, never logged or put in an alert. */
  readonly to: string;
  readonly subject: string;
  /** Plain text body, in the subscriber's language. */
  readonly text: string;
  /**
   * Labels that come back on the provider's bounce and complaint events, so that feedback can be told to
   * the operations team without the address: the notification kind and the subscriber's pseudonymous key.
   */
  readonly tags: Readonly<Record<string, string>>;
}

export interface SentEmail {
  /** Provider message id (SES MessageId): bounce and complaint events quote it. */
  readonly messageId?: string;
}

/**
 * Sends e-mail. Errors: `EmailTransientError` (throttled, provider down: the invocation is retried) and
 * `EmailRejectedError` (the provider refused this message or address: retrying cannot help).
 */
export interface EmailSender {
  send(email: OutboundEmail): Promise<SentEmail>;
}

export class EmailTransientError extends Error {
  override readonly name = 'EmailTransientError';
}

export class EmailRejectedError extends Error {
  override readonly name = 'EmailRejectedError';
}
