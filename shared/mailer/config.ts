/**
 * Configuration of the email-mailer function, parsed once at cold start with zod (a missing variable fails
 * with its name), and its production wiring: the SES and SNS clients are created once per container.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { SesEmailSender } from '../adapters/ses-email-sender.js';
import { SnsNotifier } from '../adapters/sns-notifier.js';
import { ENV } from '../config/env-names.js';
import { parseEnvironment, requiredVariable } from '../config/environment.js';
import { systemClock } from '../ports/clock.js';
import type { EmailFeedbackDeps } from './feedback.js';
import type { SendEmailDeps } from './send-email.js';

export interface MailerConfig {
  readonly fromAddress: string;
  readonly configurationSetName: string;
  readonly feedbackTopicArn: string;
  readonly opsTopicArn: string;
}

const configSchema = z.object({
  [ENV.mailerFromAddress]: requiredVariable(ENV.mailerFromAddress),
  [ENV.mailerConfigurationSet]: requiredVariable(ENV.mailerConfigurationSet),
  [ENV.mailerFeedbackTopicArn]: requiredVariable(ENV.mailerFeedbackTopicArn),
  [ENV.opsTopicArn]: requiredVariable(ENV.opsTopicArn),
});

export function mailerConfigFromEnv(env: NodeJS.ProcessEnv): MailerConfig {
  const raw = parseEnvironment(configSchema, env);
  return {
    fromAddress: raw[ENV.mailerFromAddress],
    configurationSetName: raw[ENV.mailerConfigurationSet],
    feedbackTopicArn: raw[ENV.mailerFeedbackTopicArn],
    opsTopicArn: raw[ENV.opsTopicArn],
  };
}

export type MailerDeps = SendEmailDeps & EmailFeedbackDeps & { readonly feedbackTopicArn: string };

/** `traceClient` wraps each AWS SDK client (the function passes its tracer's `captureAWSv3Client`). */
export function productionMailer(config: MailerConfig, traceClient: <C extends object>(client: C) => C = (client) => client): MailerDeps {
  return {
    sender: new SesEmailSender({ client: traceClient(new SESv2Client({})), fromAddress: config.fromAddress, configurationSetName: config.configurationSetName }),
    notifier: new SnsNotifier({ client: traceClient(new SNSClient({})), opsTopicArn: config.opsTopicArn }),
    clock: systemClock,
    feedbackTopicArn: config.feedbackTopicArn,
  };
}
