/**
 * What the deployed function runs on: the PCF subscriptions (DynamoDB) it ends and the queue of the
 * termination notices it sends, both traced. Profiles are never read: the subscriber is already gone.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoSpendingLimitStore } from '../../shared/adapters/dynamo-spending-limit-store.js';
import { SqsSbiNotificationQueue } from '../../shared/adapters/sqs-sbi-notification-queue.js';
import type { SubscriberRemovedConfig } from '../../shared/charging/config.js';
import { systemClock } from '../../shared/ports/clock.js';
import { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';
import { tracer } from '../../shared/tracing.js';

export function productionControl(config: SubscriberRemovedConfig): SpendingLimitControl {
  return new SpendingLimitControl({
    store: new DynamoSpendingLimitStore({ client: documentClientOf(tracer.captureAWSv3Client(createDynamoClient())), tableName: config.realtimeTable }),
    profiles: { get: async () => undefined },
    queue: new SqsSbiNotificationQueue({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: config.queueUrl }),
    clock: systemClock,
  });
}
