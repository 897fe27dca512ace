/**
 * Delivers queued notifications to the 5G core (PCF status changes and terminations, SMF re-authorisations).
 * A failed delivery is retried with exponential backoff: the message is hidden for 10 s, 20 s, 40 s ... (its
 * visibility timeout), reported as a batch item failure, and after the queue's last receive it moves to the
 * dead-letter queue, which is alarmed. A consumer that refuses the content (4xx) is not retried; that is
 * counted (NotificationsRejected, alarmed).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { notifyConfigFromEnv } from '../../shared/charging/config.js';
import { SBI_NOTIFICATION_METRICS } from '../../shared/config/metric-names.js';
import { logger, metrics, MetricUnit, observed, type LambdaHandler } from '../../shared/observability.js';
import type { SbiNotificationJob } from '../../shared/ports/sbi-notifications.js';
import { backoffSeconds, type DeliveryOutcome } from '../../shared/spending-limit/deliver.js';
import { traced } from '../../shared/tracing.js';
import { productionDeps, type NotifyHandlerDeps } from './production.js';

export type { NotifyHandlerDeps } from './production.js';

export function createHandler(deps: NotifyHandlerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  /** The record's outcome; a retry has hidden the message for its backoff. */
  const send = async (record: SQSRecord): Promise<DeliveryOutcome> => {
    let job: SbiNotificationJob;
    try {
      job = JSON.parse(record.body) as SbiNotificationJob;
    } catch {
      // Only spendcap writes this queue: a body that is not JSON is a bug, not worth retrying.
      logger.error('notification job not JSON, dropped', { messageId: record.messageId });
      return { outcome: 'rejected', status: 0 };
    }
    const outcome = await deps.deliver(job).catch((e: unknown): DeliveryOutcome => ({ outcome: 'retry', reason: e instanceof Error ? e.name : 'error' }));
    if (outcome.outcome === 'retry') {
      const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
      logger.warn('notification not delivered, will retry', { kind: job.kind, attempt, reason: outcome.reason });
      await deps.delay(record.eventSourceARN, record.receiptHandle, backoffSeconds(attempt)).catch(() => undefined);
    } else if (outcome.outcome === 'rejected') {
      logger.error('notification refused by the consumer', { kind: job.kind, status: outcome.status });
    }
    return outcome;
  };
  return async (event) => {
    const outcomes = await Promise.all(event.Records.map(send));
    for (const { outcome } of outcomes) metrics.addMetric(SBI_NOTIFICATION_METRICS[outcome], MetricUnit.Count, 1);
    return { batchItemFailures: event.Records.filter((_, i) => outcomes[i]!.outcome === 'retry').map((r) => ({ itemIdentifier: r.messageId })) };
  };
}

let production: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

export const handler: LambdaHandler<SQSEvent, SQSBatchResponse> = observed(
  traced(async (event) => {
    production ??= createHandler(productionDeps(notifyConfigFromEnv(process.env)));
    return production(event);
  }),
);
