import type { UsageEvent } from '../domain/model.js';
import type { StreamPosition } from './usage-store.js';

export interface PublishedUsage extends StreamPosition {
  readonly recordId: string;
  /** The stream's name: watermarks are kept per stream and shard. */
  readonly stream: string;
}

/**
 * Puts usage events on the carrier-event stream (partition key = subscriber), where ingest counts them like
 * any carrier record. Resolves only when every event is on the stream; a retry may put an event again, which
 * its recordId (and eventTime) make a duplicate that ingest counts once.
 */
export interface UsagePublisher {
  publish(events: readonly UsageEvent[]): Promise<PublishedUsage[]>;
}
