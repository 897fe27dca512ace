/**
 * A subscriber profile was deleted (the profiles table's stream, REMOVE records only): every PCF subscription
 * of that subscriber ends, and each PCF is told (SubscriptionTerminationInfo, termCause REMOVED_SUBSCRIBER).
 * The stream's records carry the key only: no personal data travels beyond the subscriber id.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { subscriberRemovedConfigFromEnv } from '../../shared/charging/config.js';
import { SUBSCRIBER_REMOVED_METRICS } from '../../shared/config/metric-names.js';
import { logger, maskSubscriber, metrics, MetricUnit, observed, type LambdaHandler } from '../../shared/observability.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import type { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';
import { traced } from '../../shared/tracing.js';
import { productionControl } from './production.js';

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
        if (ended > 0) metrics.addMetric(SUBSCRIBER_REMOVED_METRICS.subscriptionsTerminated, MetricUnit.Count, ended);
      } catch (e: unknown) {
        logger.warn('subscriptions of a removed subscriber not ended yet, retried', { subscriber: maskSubscriber(subscriberId), error: e instanceof Error ? e.name : 'error' });
        // In order: this record and everything after it on the shard come again.
        failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
        break;
      }
    }
    return { batchItemFailures: failures };
  };
}

let production: ((event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>) | undefined;

export const handler: LambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    production ??= createHandler({ control: productionControl(subscriberRemovedConfigFromEnv(process.env)) });
    return production(event);
  }),
);
