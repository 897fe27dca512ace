/**
 * Which files a message of the file-event queue names: an S3 "Object Created" event through EventBridge
 * (the stack's wiring; keys as they are), an S3 event notification (`Records`, keys URL-encoded with `+`
 * for spaces, in case an operator wires one), or a continuation of a large file.
 */
import type { FeedFileRef } from '../ports/feed-files.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ref(bucket: string | undefined, key: string | undefined, versionId: unknown, etag: unknown): FeedFileRef[] {
  if (bucket === undefined || key === undefined) return [];
  const v = text(versionId);
  const e = text(etag);
  return [{ bucket, key, ...(v !== undefined ? { versionId: v } : {}), ...(e !== undefined ? { etag: e.replaceAll('"', '') } : {}) }];
}

export function filesOfMessage(body: string): FeedFileRef[] {
  let message: Record<string, unknown> | undefined;
  try {
    message = record(JSON.parse(body));
  } catch {
    return [];
  }
  if (message === undefined) return [];
  const continued = record(message.continueFile);
  if (continued !== undefined) return ref(text(continued.bucket), text(continued.key), continued.versionId, continued.etag);
  if (message['detail-type'] === 'Object Created') {
    const detail = record(message.detail);
    const object = record(detail?.object);
    return ref(text(record(detail?.bucket)?.name), text(object?.key), object?.['version-id'], object?.etag);
  }
  if (Array.isArray(message.Records)) {
    return message.Records.flatMap((r: unknown) => {
      const s3 = record(record(r)?.s3);
      const object = record(s3?.object);
      const key = text(object?.key);
      if (!String(record(r)?.eventName ?? '').startsWith('ObjectCreated')) return [];
      return ref(text(record(s3?.bucket)?.name), key === undefined ? undefined : decodeURIComponent(key.replace(/\+/g, ' ')), object?.versionId, object?.eTag);
    });
  }
  return [];
}
