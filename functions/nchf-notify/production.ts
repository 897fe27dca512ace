/**
 * What the deployed notification sender runs on: the spending-limit store and bars (to send the status a
 * subscription has now, not the one it had when queued), the HTTP/2 client of the 5G core, and the queue
 * whose messages it hides for their backoff.
 */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoSpendingLimitStore } from '../../shared/adapters/dynamo-spending-limit-store.js';
import { Http2SbiClient } from '../../shared/adapters/http2-sbi-client.js';
import type { NotifyFunctionConfig } from '../../shared/charging/config.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { SbiNotificationJob } from '../../shared/ports/sbi-notifications.js';
import { deliver, type DeliveryOutcome } from '../../shared/spending-limit/deliver.js';
import { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';
import { tracer } from '../../shared/tracing.js';

export interface NotifyHandlerDeps {
  readonly deliver: (job: SbiNotificationJob) => Promise<DeliveryOutcome>;
  /** Hides a message for `seconds` before its next delivery attempt. */
  readonly delay: (queueArn: string, receiptHandle: string, seconds: number) => Promise<void>;
}

/** The queue URL of an SQS queue ARN (arn:partition:sqs:region:account:name): the event carries only the ARN. */
export function queueUrlOf(arn: string): string {
  const [, partition, , region, account, name] = arn.split(':');
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

export function productionDeps(config: NotifyFunctionConfig): NotifyHandlerDeps {
  const client = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
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
  const sqs = tracer.captureAWSv3Client(new SQSClient({}));
  return {
    deliver: (job) => deliver(job, { client: sbi, store, statusOf: (s) => control.statusOf(s) }),
    delay: async (queueArn, receiptHandle, seconds) => {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrlOf(queueArn), ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  };
}
