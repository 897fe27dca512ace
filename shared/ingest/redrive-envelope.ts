/**
 * A quarantined record on its way back through ingest. The redrive puts it on the usage stream wrapped
 * in this envelope, so that it goes through the real ingest (validation, bounds, claims, counters,
 * policy) with a stream position of its own, while ingest still knows which record it was:
 *
 * - its time bounds are those of its first arrival (a redrive does not make an old record new);
 * - its event key may be taken over from the hold its quarantine left (`takesOver`), and only once: the
 *   first redriven copy that claims the key holds it under its own position, so a second copy (a redrive
 *   run again after a crash) finds it held and counts as a duplicate.
 *
 * The envelope is an internal format of this deployment's stream, not part of the usage-event contract;
 * only the redrive function may write it (the stream's producers are the deployment's own functions).
 */
import { isPlainObject } from '../domain/validation.js';

export const REDRIVE_ENVELOPE_VERSION = 1;

export interface RedriveEnvelope {
  /** The record as the carrier sent it. */
  readonly record: string;
  /** The record's claim name where it was first read (`<stream>:<shardId>/<sequenceNumber>`). */
  readonly claimName: string;
  /** When the record first reached the stream, epoch seconds. */
  readonly arrivalTime?: number;
  /** The quarantine held its event key for this redrive. */
  readonly held: boolean;
}

export function encodeRedriveEnvelope(envelope: RedriveEnvelope): string {
  return JSON.stringify({ spendcapRedrive: REDRIVE_ENVELOPE_VERSION, ...envelope });
}

/**
 * The envelope when `value` (a parsed stream payload) is one; undefined when it is an ordinary record.
 * A payload that claims to be an envelope but is malformed answers a reason.
 */
export function redriveEnvelopeOf(value: unknown): RedriveEnvelope | { readonly invalid: string } | undefined {
  if (!isPlainObject(value) || !('spendcapRedrive' in value)) return undefined;
  if (value.spendcapRedrive !== REDRIVE_ENVELOPE_VERSION) return { invalid: `spendcapRedrive: must be ${REDRIVE_ENVELOPE_VERSION}` };
  const { record, claimName, arrivalTime, held } = value;
  if (typeof record !== 'string') return { invalid: 'record: must be the redriven record as a string' };
  if (typeof claimName !== 'string' || !claimName.includes('/')) return { invalid: 'claimName: must be <stream>:<shardId>/<sequenceNumber>' };
  if (arrivalTime !== undefined && (typeof arrivalTime !== 'number' || !Number.isFinite(arrivalTime))) {
    return { invalid: 'arrivalTime: must be epoch seconds' };
  }
  if (typeof held !== 'boolean') return { invalid: 'held: must be true or false' };
  return { record, claimName, held, ...(arrivalTime !== undefined && { arrivalTime }) };
}
