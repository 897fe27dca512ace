/**
 * Continuations of large files: a message on the file-event queue that names the file, so that a new
 * invocation resumes it from its saved progress. The queue is the one S3 events arrive on (through
 * EventBridge), so a continuation is retried, dead-lettered and alarmed like any file event.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FeedFileRef, FileContinuations } from '../ports/feed-files.js';

/** The body of a continuation (S3 events through EventBridge have `detail-type`; this has `continueFile`). */
export interface ContinuationMessage {
  readonly continueFile: FeedFileRef;
}

export class SqsFileContinuations implements FileContinuations {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async continueLater(file: FeedFileRef): Promise<void> {
    const body: ContinuationMessage = { continueFile: file };
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body) }));
  }
}
