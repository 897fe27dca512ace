/**
 * The carrier gateway of mode `nchf` wired to AWS: statuses and subscriptions in the realtime table,
 * notifications through the SQS queue, re-authorisation of refused charging sessions.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { spendingLimitCarrierConfigFromEnv } from '../charging/config.js';
import { ChargingReauthorization } from '../charging/reauthorize.js';
import { systemClock } from '../ports/clock.js';
import { SpendingLimitControl } from './spending-limit-control.js';
import { DynamoChargingStore } from '../adapters/dynamo-charging-store.js';
import { DynamoProfileStore } from '../adapters/dynamo-profile-store.js';
import { DynamoSpendingLimitStore } from '../adapters/dynamo-spending-limit-store.js';
import { SpendingLimitCarrier } from './spending-limit-carrier.js';
import { SqsSbiNotificationQueue } from '../adapters/sqs-sbi-notification-queue.js';

/** `traceClient` wraps the AWS SDK client it creates (the function passes its tracer's `captureAWSv3Client`). */
export function spendingLimitCarrierFromEnv(
  env: NodeJS.ProcessEnv,
  client: DynamoDBDocumentClient,
  traceClient: <C extends object>(client: C) => C = (sdkClient) => sdkClient,
): SpendingLimitCarrier {
  const config = spendingLimitCarrierConfigFromEnv(env);
  const queue = new SqsSbiNotificationQueue({ client: traceClient(new SQSClient({})), queueUrl: config.queueUrl });
  const profiles = new DynamoProfileStore({ client, tableName: config.profilesTable });
  const control = new SpendingLimitControl({
    store: new DynamoSpendingLimitStore({ client, tableName: config.realtimeTable }),
    profiles,
    queue,
    clock: systemClock,
  });
  const reauthorization = new ChargingReauthorization({
    store: new DynamoChargingStore({ client, tableName: config.realtimeTable }),
    profiles,
    queue,
    clock: systemClock,
  });
  return new SpendingLimitCarrier({ control, reauthorization });
}
