/**
 * The optional SES mailer, subscribed to two topics: the e-mail topic (each message goes to its
 * `recipient`, shared/mailer/send-email.ts) and the topic where SES reports the mailer's bounces and
 * complaints (each one becomes an ops alert, shared/mailer/feedback.ts). Invoked asynchronously by SNS:
 * a thrown error is retried by Lambda, then kept in the mailer's dead-letter queue.
 */
import type { SNSEvent } from 'aws-lambda';
import { logger, observed, type LambdaHandler } from '../../shared/observability.js';
import { mailerConfigFromEnv, productionMailer, type MailerDeps } from '../../shared/mailer/config.js';
import { reportEmailFeedback, type EmailFeedbackOutcome } from '../../shared/mailer/feedback.js';
import { sendEmailNotification, type EmailDeliveryOutcome } from '../../shared/mailer/send-email.js';
import { tracer, traced } from '../../shared/tracing.js';

export type MailerOutcome = EmailDeliveryOutcome | EmailFeedbackOutcome;
export type MailerHandler = (event: SNSEvent) => Promise<{ outcomes: MailerOutcome[] }>;

export function createHandler(deps: MailerDeps): MailerHandler {
  return async (event) => {
    const outcomes: MailerOutcome[] = [];
    for (const record of event.Records) {
      const fromSes = record.Sns.TopicArn === deps.feedbackTopicArn;
      const outcome = fromSes ? await reportEmailFeedback(record.Sns.Message, deps) : await sendEmailNotification(record.Sns, deps);
      // The outcome only: the address and the message are personal data.
      logger.info(fromSes ? 'email feedback' : 'email notification', { ...outcome });
      outcomes.push(outcome);
    }
    return { outcomes };
  };
}

let production: MailerHandler | undefined;

export const handler: LambdaHandler<SNSEvent, { outcomes: MailerOutcome[] }> = observed(
  traced(async (event) => {
    production ??= createHandler(productionMailer(mailerConfigFromEnv(process.env), (client) => tracer.captureAWSv3Client(client)));
    return production(event);
  }),
);
