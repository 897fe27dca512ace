/**
 * What happens to a subscriber's records when applying them fails. A shard must never stall on one
 * subscriber, so a failure is either a known transient fault of a dependency, retried by failing back only
 * that subscriber's records, or something about the records or the subscriber, which sends them to the
 * quarantine with the reason and lets the shard move on:
 *
 * - transient: throttling, timeouts, 5xx, network resets (the adapter's classifier says which), and
 *   version conflicts past their bound (`ContentionError`);
 * - at once to the quarantine: a profile that no longer validates, a counter out of exact range, a period
 *   the domain cannot represent (`SubscriberFault`, `CounterRangeError`);
 * - anything else is unexpected (a bug, a poison record): retried, counted per subscriber and first record,
 *   and sent to the quarantine once it has failed `maxRecordAttempts` times.
 */
import { CounterRangeError } from '../domain/counters.js';

/** Conditional writes kept meeting a newer version: other writers are busy, not broken. */
export class ContentionError extends Error {
  override readonly name = 'ContentionError';
}

/** Something about the subscriber that no retry can fix (the reason names the field). */
export class SubscriberFault extends Error {
  override readonly name = 'SubscriberFault';
}

export type FailureClass = 'transient' | 'fault' | 'unexpected';

export function classifyFailure(error: unknown, isTransient: (error: unknown) => boolean): FailureClass {
  if (error instanceof ContentionError) return 'transient';
  if (error instanceof SubscriberFault || error instanceof CounterRangeError) return 'fault';
  return isTransient(error) ? 'transient' : 'unexpected';
}

export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
