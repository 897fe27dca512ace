/**
 * File ingest: one landed usage file per message of the file-event queue (S3 "Object Created" through
 * EventBridge, or a continuation of a large file), mapped line by line to usage-event.v1 records on the
 * usage stream (shared/feeds/ingest-file.ts). A file that needs more time than the invocation has left
 * queues its own continuation and returns; a failure leaves the message on the queue, which delivers it
 * again (then to its dead-letter queue, alarmed) and the file resumes from its saved progress.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { filesOfMessage } from '../../shared/feeds/file-events.js';
import { ingestFeedFile } from '../../shared/feeds/ingest-file.js';
import { logger, observed, useCaseLog } from '../../shared/observability.js';
import { traced } from '../../shared/tracing.js';
import { feedFilesConfigFromEnv } from './config.js';
import { productionDeps, type FeedFilesHandlerDeps } from './production.js';

export type { FeedFilesHandlerDeps } from './production.js';

export type FeedFilesHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export function createHandler(deps: FeedFilesHandlerDeps): FeedFilesHandler {
  return async (event, context) => {
    const ingestMessage = async (record: SQSRecord): Promise<void> => {
      const files = filesOfMessage(record.body);
      // An S3 test event or a message of another kind: nothing to ingest, nothing to retry.
      if (files.length === 0) logger.warn('file-event message names no file', { messageId: record.messageId });
      for (const file of files) {
        const outcome = await ingestFeedFile(file, { ...deps, log: useCaseLog, remainingMs: () => context.getRemainingTimeInMillis() });
        if (outcome.status === 'continue') await deps.continuations.continueLater(file);
        // File names and counts only: a reason names fields and columns, never a line's values.
        logger.info('usage file', { ...outcome, key: file.key });
        deps.onFile?.(outcome);
      }
    };
    return processPartialResponse(event, ingestMessage, new BatchProcessor(EventType.SQS), { context });
  };
}

let production: FeedFilesHandler | undefined;

export const handler: FeedFilesHandler = observed(
  traced(async (event, context) => {
    production ??= createHandler(productionDeps(feedFilesConfigFromEnv(process.env)));
    return production(event, context);
  }),
);
