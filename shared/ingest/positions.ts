/**
 * Where a record sits, as ingest names it in its items: per stream and shard. Sequence numbers only grow
 * within one shard of one stream, and shard ids repeat across streams (every stream has a
 * `shardId-000000000000`), so a watermark or a claim names both.
 *
 * Items written before streams were part of the names hold bare shard ids: a watermark is looked up
 * under its qualified key first and under the bare shard id only when the item has no qualified one yet,
 * and a claim made under the old name is the same record's. Both matter only for records delivered
 * around an upgrade (a stream keeps records for a day).
 */
import type { Watermarks } from '../ports/usage-store.js';

/** The last key built: a batch's records all come from one shard, so they share one key string. */
let lastShard: { readonly stream: string | undefined; readonly shardId: string; readonly key: string } | undefined;

/**
 * The key of a shard's watermark: `<stream>:<shardId>` (the bare shard id when the stream is unknown).
 * The same string for every record of a shard, not a new one each: it is looked up in watermarks several
 * times per record, and a string hashes once.
 */
export function shardKeyOf(stream: string | undefined, shardId: string): string {
  if (lastShard !== undefined && lastShard.shardId === shardId && lastShard.stream === stream) return lastShard.key;
  const key = stream === undefined ? shardId : `${stream}:${shardId}`;
  lastShard = { stream, shardId, key };
  return key;
}

/** An item's watermark for one shard of one stream (see the module comment for the bare-id fallback). */
export function watermarkIn(watermarks: Watermarks, stream: string | undefined, shardId: string): string | undefined {
  const qualified = watermarks[shardKeyOf(stream, shardId)];
  if (qualified !== undefined || stream === undefined) return qualified;
  return watermarks[shardId];
}

/** Whether the record at `sequenceNumber` is at or below the watermark: the item already holds it. */
export function isAtOrBelow(watermarks: Watermarks, stream: string | undefined, shardId: string, sequenceNumber: string): boolean {
  const watermark = watermarkIn(watermarks, stream, shardId);
  return watermark !== undefined && compareSequenceNumbers(sequenceNumber, watermark) <= 0;
}

/** The name a record claims an event key under: `<stream>:<shardId>/<sequenceNumber>`. */
export function claimNameOf(stream: string | undefined, shardId: string, sequenceNumber: string): string {
  return `${shardKeyOf(stream, shardId)}/${sequenceNumber}`;
}

/** The marker under which a quarantined record's event key is held until its redrive takes it over. */
export function redriveMarkerOf(claimName: string): string {
  return `Q:${claimName}`;
}

/** Orders Kinesis sequence numbers (decimal strings without leading zeros, longer than a double holds). */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
