/**
 * Inbound SMS on the two-way SMS topic: a CONTINUER / CONTINUE reply becomes the subscriber's consent to
 * continue past the cap (shared/selfcare/inbound-sms.ts). Replies that are not the keyword, or come from
 * an unknown number, are acknowledged and dropped: retrying would not change them.
 */
import type { SNSEvent } from 'aws-lambda';
import { settingsFromEnv } from '../../shared/config/settings.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import { logger, observed, type LambdaHandler } from '../../shared/observability.js';
import { productionSelfCare, selfCareConfigFromEnv } from '../../shared/selfcare/config.js';
import { continueByKeyword, type InboundSmsOutcome } from '../../shared/selfcare/inbound-sms.js';
import { SelfCare, type SelfCareDeps } from '../../shared/selfcare/use-cases.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { tracer, traced } from '../../shared/tracing.js';

export type InboundSmsHandler = (event: SNSEvent) => Promise<{ outcomes: InboundSmsOutcome[] }>;

/**
 * A record whose consent failed (DynamoDB, Step Functions) throws: SNS retries the Lambda invocation, and
 * consent is idempotent, so records already handled in the same event are simply handled again.
 */
export function createHandler(deps: SelfCareDeps | { selfCare: SelfCare; settings: PolicySettings }): InboundSmsHandler {
  const selfCare = 'selfCare' in deps ? deps.selfCare : new SelfCare(deps);
  const { settings } = deps;
  return async (event) => {
    const outcomes: InboundSmsOutcome[] = [];
    for (const record of event.Records) {
      const outcome = await continueByKeyword(selfCare, settings, record.Sns.Message);
      // Outcome only: the message body and the sender's number are personal data.
      logger.info('inbound sms handled', {
        outcome: outcome.outcome,
        ...(outcome.outcome === 'consented' && { buckets: outcome.buckets }),
        ...(outcome.outcome === 'invalid' && { reason: outcome.reason }),
      });
      outcomes.push(outcome);
    }
    return { outcomes };
  };
}

let production: InboundSmsHandler | undefined;

export const handler: LambdaHandler<SNSEvent, { outcomes: InboundSmsOutcome[] }> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    if (production === undefined) {
      const settings = settingsFromEnv(process.env);
      production = createHandler({ selfCare: productionSelfCare(selfCareConfigFromEnv(process.env), settings, (client) => tracer.captureAWSv3Client(client)), settings });
    }
    return production(event);
  }),
);
