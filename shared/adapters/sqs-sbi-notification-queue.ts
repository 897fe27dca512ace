/**
 * The notification queue in SQS: one message per notification, consumed by the nchf-notify function, which
 * retries with exponential backoff (the message's visibility) and leaves to the dead-letter queue what keeps
 * failing (alarmed).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SbiNotificationJob, SbiNotificationQueue } from '../ports/sbi-notifications.js';

export class SqsSbiNotificationQueue implements SbiNotificationQueue {
  constructor(private readonly options: { readonly client: SQSClient; readonly queueUrl: string }) {}

  async enqueue(jobs: readonly SbiNotificationJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 10) {
      const batch = jobs.slice(i, i + 10);
      const out = await this.options.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((job, n) => ({ Id: String(n), MessageBody: JSON.stringify(job) })),
        }),
      );
      if ((out.Failed ?? []).length > 0) {
        throw new Error(`notification queue: ${out.Failed?.length} message(s) refused (${out.Failed?.[0]?.Code ?? 'unknown'})`);
      }
    }
  }
}
