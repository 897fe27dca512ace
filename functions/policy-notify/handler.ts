/**
 * "Send notification": one planned message (an item of the plan's notifications), sent once and audited.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.js';
import { logger, maskSubscriber, observed, type LambdaHandler } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { withTransientErrors } from '../../shared/adapters/aws-faults.js';
import { notifyConfigFromEnv } from '../../shared/policy/config.js';
import { sendPlannedNotification, type NotifyDeps } from '../../shared/policy/notify.js';
import { parseTaskInput, plannedMessageSchema, type NotificationOutcome } from '../../shared/policy/payloads.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { tracer, traced } from '../../shared/tracing.js';

export type PolicyNotifyDeps = NotifyDeps;

export function createHandler(deps: PolicyNotifyDeps): (event: unknown) => Promise<NotificationOutcome> {
  return async (event: unknown) => {
    const message = parseTaskInput(plannedMessageSchema, event, 'policy-notify');
    const outcome = await withTransientErrors(() => sendPlannedNotification(message, deps));
    logger.info('notification', { subscriber: maskSubscriber(message.subscriberId), kind: message.kind, channel: message.channel, outcome });
    return outcome;
  };
}

let production: ((event: unknown) => Promise<NotificationOutcome>) | undefined;

function productionHandler(): (event: unknown) => Promise<NotificationOutcome> {
  const config = notifyConfigFromEnv(process.env);
  return createHandler({
    notifier: new SnsNotifier({
      client: tracer.captureAWSv3Client(new SNSClient({})),
      emailTopicArn: config.emailTopicArn,
      opsTopicArn: config.opsTopicArn,
      ...(config.smsSenderId !== undefined && { smsSenderId: config.smsSenderId }),
    }),
    audit: new DynamoAuditLog({ client: documentClientOf(tracer.captureAWSv3Client(createDynamoClient())), tableName: config.auditTable }),
    clock: systemClock,
  });
}

export const handler: LambdaHandler<unknown, NotificationOutcome> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    production ??= productionHandler();
    return production(event);
  }),
);
