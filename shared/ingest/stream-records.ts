/**
 * Stream records as ingest reads them: decoded, validated against the contract and the deployment's
 * bounds, and named (event key, claim name, the times that matter). A record that fails here is the
 * record's own fault: it alone goes to the quarantine, with a reason that names the field.
 */
import { outOfBounds, type IngestBounds } from '../domain/bounds.js';
import { jsonErrorWithoutExcerpt, parseCarrierEvent } from '../domain/event-schema.js';
import type { CarrierEvent } from '../domain/model.js';
import type { QuarantinedPosition, RejectedInput } from '../ports/quarantine.js';
import { claimNameOf, redriveMarkerOf } from './positions.js';
import { redriveEnvelopeOf } from './redrive-envelope.js';

/** One stream record, as the handler decoded it from the Kinesis event. */
export interface StreamRecord {
  /** The stream's name (from the event source ARN); absent in tests that feed records directly. */
  readonly stream?: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The record's payload as UTF-8 text. */
  readonly data: string;
  /** When the stream received it, epoch seconds (Kinesis `approximateArrivalTimestamp`). */
  readonly arrivalTime?: number;
}

/** A record ingest can count: its event and how it is named and timed. */
export interface ReadRecord {
  readonly record: StreamRecord;
  readonly event: CarrierEvent;
  /** De-duplication key: usage and attach keys live apart (a recordId may equal an eventId). */
  readonly key: string;
  /** The name its claim on the key is made under; the same record may claim again, no other may. */
  readonly claimName: string;
  /** A redriven record: the hold of the quarantined original it may take over. */
  readonly takesOver?: string;
  /** When the record (for a redrive: the original) first reached the stream, epoch ms: bounds and claim lifetime. */
  readonly arrivalMs?: number;
  /** When this delivery reached the stream, epoch ms: whether the event's period had ended by then. */
  readonly knownAtMs?: number;
  /** Where to say it was read when it is quarantined (for a redrive: the original position). */
  readonly origin: QuarantinedPosition;
  /** The raw carrier record (for a redrive: the record inside the envelope). */
  readonly raw: string;
  /** The event's `eventTime` as epoch ms, parsed once. */
  readonly eventMs: number;
  readonly held: boolean;
}

export type Decoded = { readonly ok: true; readonly value: ReadRecord } | { readonly ok: false; readonly rejected: RejectedInput };

export const positionKey = (shardId: string, sequenceNumber: string): string => `${shardId}:${sequenceNumber}`;

export function positionOf(record: StreamRecord): string {
  return positionKey(record.shardId, record.sequenceNumber);
}

export function decodeRecord(record: StreamRecord, bounds: IngestBounds): Decoded {
  const ownName = claimNameOf(record.stream, record.shardId, record.sequenceNumber);
  const here = quarantinedPositionOf(record);
  let value: unknown;
  try {
    value = JSON.parse(record.data);
  } catch (e: unknown) {
    return rejectedOf(record.data, here, `not valid JSON: ${jsonErrorWithoutExcerpt(e)}`, false);
  }
  const envelope = redriveEnvelopeOf(value);
  if (envelope !== undefined && 'invalid' in envelope) return rejectedOf(record.data, here, `redrive envelope: ${envelope.invalid}`, false);

  let raw = record.data;
  let origin = here;
  let arrivalTime = record.arrivalTime;
  let takesOver: string | undefined;
  let held = false;
  if (envelope !== undefined) {
    raw = envelope.record;
    origin = { ...originOf(envelope.claimName), ...(envelope.arrivalTime !== undefined && { arrivalTime: envelope.arrivalTime }) };
    arrivalTime = envelope.arrivalTime;
    takesOver = redriveMarkerOf(envelope.claimName);
    held = envelope.held;
    try {
      value = JSON.parse(raw);
    } catch (e: unknown) {
      return rejectedOf(raw, origin, `not valid JSON: ${jsonErrorWithoutExcerpt(e)}`, held);
    }
  }
  const parsed = parseCarrierEvent(value);
  if (!parsed.ok) return rejectedOf(raw, origin, parsed.reason, held);
  const event = parsed.value;
  const arrivalMs = arrivalTime === undefined ? undefined : Math.round(arrivalTime * 1000);
  const eventMs = Date.parse(event.eventTime);
  const bound = outOfBounds(event, arrivalMs, bounds, eventMs);
  if (bound !== undefined) return rejectedOf(raw, origin, bound, held, keyOf(event));
  // Built field by field rather than with conditional spreads: this runs once per record on the hot path.
  const read: { -readonly [K in keyof ReadRecord]: ReadRecord[K] } = {
    record,
    event,
    key: event.type === 'attach' ? `A#${event.eventId}` : `U#${event.recordId}`,
    claimName: ownName,
    origin,
    raw,
    eventMs,
    held,
  };
  if (takesOver !== undefined) read.takesOver = takesOver;
  if (arrivalMs !== undefined) read.arrivalMs = arrivalMs;
  if (record.arrivalTime !== undefined) read.knownAtMs = Math.round(record.arrivalTime * 1000);
  return { ok: true, value: read };
}

/**
 * Where the record was read, as the quarantine names it. Built without a leading conditional spread: on
 * Node 20 an object literal that starts with a spread and goes on with more properties takes V8's slow
 * path (about 2 to 4 microseconds, measured in docs/benchmarks.md), and this runs once per record.
 */
function quarantinedPositionOf(record: StreamRecord): QuarantinedPosition {
  const position: { -readonly [K in keyof QuarantinedPosition]: QuarantinedPosition[K] } =
    record.stream === undefined
      ? { shardId: record.shardId, sequenceNumber: record.sequenceNumber }
      : { stream: record.stream, shardId: record.shardId, sequenceNumber: record.sequenceNumber };
  if (record.arrivalTime !== undefined) position.arrivalTime = record.arrivalTime;
  return position;
}

/** The recordId / eventId of an event. */
export function keyOf(event: CarrierEvent): string {
  return event.type === 'attach' ? event.eventId : event.recordId;
}

/** A rejection of a record that was read: its own raw payload and origin. */
export function rejectionOf(read: ReadRecord, reason: string, fault: RejectedInput['fault'], held = read.held): RejectedInput {
  return { reason, raw: read.raw, position: read.origin, recordId: keyOf(read.event).slice(0, 128), fault, ...(held && { held }) };
}

function rejectedOf(raw: string, position: QuarantinedPosition, reason: string, held: boolean, recordId = readableKey(raw)): Decoded {
  return {
    ok: false,
    rejected: { reason, raw, position, fault: 'record', ...(recordId !== undefined && { recordId: recordId.slice(0, 128) }), ...(held && { held }) },
  };
}

/** `<stream>:<shardId>/<sequenceNumber>` (or the bare `<shardId>/<sequenceNumber>`) as a position. */
function originOf(claimName: string): QuarantinedPosition {
  const slash = claimName.lastIndexOf('/');
  const shard = claimName.slice(0, slash);
  const colon = shard.indexOf(':');
  return {
    ...(colon >= 0 && { stream: shard.slice(0, colon) }),
    shardId: colon >= 0 ? shard.slice(colon + 1) : shard,
    sequenceNumber: claimName.slice(slash + 1),
  };
}

/** The recordId / eventId of a rejected payload when it has one (helps the operator find it). */
function readableKey(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    const key = v.recordId ?? v.eventId;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
