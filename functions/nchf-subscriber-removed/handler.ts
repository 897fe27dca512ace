/**
 * A subscriber profile was deleted (the profiles table's stream, REMOVE records only): every PCF subscription
 * of that subscriber ends, and each PCF is told (SubscriptionTerminationInfo, termCause REMOVED_SUBSCRIBER).
 * The stream's records carry the key only: no personal data travels beyond the subscriber id.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoSpendingLimitStore } from '../../shared/adapters/dynamo-spending-limit-store.js';
import { SqsSbiNotificationQueue } from '../../shared/adapters/sqs-sbi-notification-queue.js';
import { subscriberRemovedConfigFromEnv } from '../../shared/charging/config.js';
import { logger, maskSubscriber, metrics, MetricUnit } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';

export interface SubscriberRemovedDeps {
  readonly control: Pick<SpendingLimitControl, 'subscriberRemoved'>;
}

export function createHandler(deps: SubscriberRemovedDeps): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  return async (event) => {
    const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const subscriberId = record.dynamodb?.Keys?.subscriberId?.S;
      if (record.eventName !== 'REMOVE' || subscriberId === undefined) continue;
      try {
        const ended = await deps.control.subscriberRemoved(subscriberId);
        if (ended > 0) metrics.addMetric('SubscriptionsTerminated', MetricUnit.Count, ended);
      } catch (e: unknown) {
        logger.warn('subscriptions of a removed subscriber not ended yet, retried', { subscriber: maskSubscriber(subscriberId), error: e instanceof Error ? e.name : 'error' });
        // In order: this record and everything after it on the shard come again.
        failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
        break;
      }
    }
    metrics.publishStoredMetrics();
    return { batchItemFailures: failures };
  };
}

let production: ((event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>) | undefined;

function productionHandler(): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const config = subscriberRemovedConfigFromEnv(process.env);
  const client = documentClientOf(createDynamoClient());
  const control = new SpendingLimitControl({
    store: new DynamoSpendingLimitStore({ client, tableName: config.realtimeTable }),
    profiles: { get: async () => undefined },
    queue: new SqsSbiNotificationQueue({ client: new SQSClient({}), queueUrl: config.queueUrl }),
    clock: systemClock,
  });
  return createHandler({ control });
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
  await loadPseudonymKey();
  production ??= productionHandler();
  return production(event);
};
