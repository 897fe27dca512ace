/**
 * Delivers queued notifications to the 5G core (PCF status changes and terminations, SMF re-authorisations).
 * A failed delivery is retried with exponential backoff: the message is hidden for 10 s, 20 s, 40 s ... (its
 * visibility timeout), reported as a batch item failure, and after the queue's last receive it moves to the
 * dead-letter queue, which is alarmed. A consumer that refuses the content (4xx) is not retried; that is
 * counted (NotificationsRejected, alarmed).
 */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoSpendingLimitStore } from '../../shared/adapters/dynamo-spending-limit-store.js';
import { Http2SbiClient } from '../../shared/adapters/http2-sbi-client.js';
import { notifyConfigFromEnv } from '../../shared/charging/config.js';
import { logger, metrics, MetricUnit } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { SbiNotificationJob } from '../../shared/ports/sbi-notifications.js';
import { backoffSeconds, deliver, type DeliveryOutcome } from '../../shared/spending-limit/deliver.js';
import { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';

export interface NotifyHandlerDeps {
  readonly deliver: (job: SbiNotificationJob) => Promise<DeliveryOutcome>;
  /** Hides a message for `seconds` before its next delivery attempt. */
  readonly delay: (queueArn: string, receiptHandle: string, seconds: number) => Promise<void>;
}

export function createHandler(deps: NotifyHandlerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        let job: SbiNotificationJob;
        try {
          job = JSON.parse(record.body) as SbiNotificationJob;
        } catch {
          // Only spendcap writes this queue: a body that is not JSON is a bug, not worth retrying.
          metrics.addMetric('NotificationsRejected', MetricUnit.Count, 1);
          logger.error('notification job not JSON, dropped', { messageId: record.messageId });
          return;
        }
        const outcome = await deps.deliver(job).catch((e: unknown): DeliveryOutcome => ({ outcome: 'retry', reason: e instanceof Error ? e.name : 'error' }));
        if (outcome.outcome === 'retry') {
          const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
          metrics.addMetric('NotificationsRetried', MetricUnit.Count, 1);
          logger.warn('notification not delivered, will retry', { kind: job.kind, attempt, reason: outcome.reason });
          await deps.delay(record.eventSourceARN, record.receiptHandle, backoffSeconds(attempt)).catch(() => undefined);
          failures.push({ itemIdentifier: record.messageId });
        } else if (outcome.outcome === 'rejected') {
          metrics.addMetric('NotificationsRejected', MetricUnit.Count, 1);
          logger.error('notification refused by the consumer', { kind: job.kind, status: outcome.status });
        } else {
          metrics.addMetric(outcome.outcome === 'delivered' ? 'NotificationsDelivered' : 'NotificationsObsolete', MetricUnit.Count, 1);
        }
      }),
    );
    metrics.publishStoredMetrics();
    return { batchItemFailures: failures };
  };
}

/** The queue URL of an SQS queue ARN (arn:partition:sqs:region:account:name): the event carries only the ARN. */
export function queueUrlOf(arn: string): string {
  const [, partition, , region, account, name] = arn.split(':');
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

let production: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

function productionHandler(): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const config = notifyConfigFromEnv(process.env);
  const client = documentClientOf(createDynamoClient());
  const store = new DynamoSpendingLimitStore({ client, tableName: config.realtimeTable });
  // Only statusOf is used here: reading statuses and bars needs no queue nor profiles.
  const control = new SpendingLimitControl({
    store,
    profiles: { get: async () => undefined },
    bars: new DynamoBarStore({ client, tableName: config.usageTable }),
    queue: { enqueue: async () => undefined },
    clock: systemClock,
  });
  const sbi = new Http2SbiClient();
  const sqs = new SQSClient({});
  return createHandler({
    deliver: (job) => deliver(job, { client: sbi, store, statusOf: (s) => control.statusOf(s) }),
    delay: async (queueArn, receiptHandle, seconds) => {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrlOf(queueArn), ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  });
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  production ??= productionHandler();
  return production(event);
};
