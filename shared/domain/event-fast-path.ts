/**
 * The carrier event schema's verdict on the events carriers actually send, in plain code: a well-formed
 * usage or attach event (the only keys the contract allows, every value of its type and range, times that
 * are RFC 3339) gets exactly what `carrierEventSchema` would output (same fields, same defaults, same
 * order, times normalised the same way); anything else gets `undefined`, and the zod schema decides, with
 * its field-naming reasons. So the fast path can only ever agree with the schema, which
 * test/unit/event-fast-path.test.ts checks over arbitrary inputs, near misses included.
 *
 * Why: validation runs once per record on the ingest hot path, and zod's generic object and pipe machinery
 * cost several microseconds of CPU per event (docs/benchmarks.md, "Ingest CPU"); this costs a fraction.
 */
import type { AttachEvent, CarrierEvent, Service, UsageEvent } from './model.js';
import { normalizeDateTime } from './validation.js';

const PLMN = /^[0-9]{5,6}$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * A string of `1..max` code points. Only the cheap case is decided here: UTF-16 length within `1..max`
 * implies a code-point length within it too; longer strings are left to the schema, which counts code points.
 */
function isShortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

/** The schema's `integerAtLeast`: a safe integer (zod's `int()`) at or above `min`. */
function isIntegerAtLeast(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** The canonical form of an RFC 3339 date-time (as the schema's transform gives it), undefined if not one. */
function dateTimeOf(value: unknown): string | undefined {
  return typeof value === 'string' ? normalizeDateTime(value) : undefined;
}

function isService(value: unknown): value is Service {
  return value === 'data' || value === 'voice' || value === 'sms';
}

/** Every own key is one the variant allows and none is explicitly `undefined` (not JSON, left to the schema). */
function hasOnlyKeys(input: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(input)) if (!allowed.has(key) || input[key] === undefined) return false;
  return true;
}

const USAGE_KEYS: ReadonlySet<string> = new Set([
  'type',
  'recordId',
  'subscriberId',
  'eventTime',
  'startTime',
  'service',
  'volumeBytes',
  'durationSeconds',
  'count',
  'servingPlmn',
  'chargeMicros',
  'currency',
]);

const ATTACH_KEYS: ReadonlySet<string> = new Set(['type', 'eventId', 'subscriberId', 'eventTime', 'servingPlmn']);

/** What the schema outputs for a well-formed event, or undefined: let the schema decide. */
export function wellFormedCarrierEvent(input: Record<string, unknown>): CarrierEvent | undefined {
  const type = input.type;
  if (type === 'attach') return wellFormedAttach(input);
  if (type === undefined || type === 'usage') return wellFormedUsage(input);
  return undefined;
}

function wellFormedUsage(input: Record<string, unknown>): UsageEvent | undefined {
  if (!hasOnlyKeys(input, USAGE_KEYS)) return undefined;
  const { recordId, subscriberId, service, volumeBytes, durationSeconds, count, servingPlmn, chargeMicros, currency } = input;
  if (!isShortString(recordId, 128) || !isShortString(subscriberId, 64) || !isService(service)) return undefined;
  const eventTime = dateTimeOf(input.eventTime);
  if (eventTime === undefined) return undefined;
  const startTime = input.startTime === undefined ? undefined : dateTimeOf(input.startTime);
  if (input.startTime !== undefined && startTime === undefined) return undefined;
  if (volumeBytes !== undefined && !isIntegerAtLeast(volumeBytes, 0)) return undefined;
  if (durationSeconds !== undefined && !isIntegerAtLeast(durationSeconds, 0)) return undefined;
  if (count !== undefined && !isIntegerAtLeast(count, 1)) return undefined;
  if (chargeMicros !== undefined && !isIntegerAtLeast(chargeMicros, 0)) return undefined;
  if (typeof servingPlmn !== 'string' || !PLMN.test(servingPlmn)) return undefined;
  if (currency !== undefined && (typeof currency !== 'string' || !CURRENCY.test(currency))) return undefined;
  // The contract's if/then: each service needs its own measure of usage.
  const measure = service === 'data' ? volumeBytes : service === 'voice' ? durationSeconds : count;
  if (measure === undefined) return undefined;

  // The schema's field order, optional fields only when present, defaults applied. Built key by key (the
  // order needs optional fields between required ones); the type is what the checks above established.
  const event: Record<string, unknown> = { type: 'usage', recordId, subscriberId, eventTime };
  if (startTime !== undefined) event.startTime = startTime;
  event.service = service;
  if (volumeBytes !== undefined) event.volumeBytes = volumeBytes;
  if (durationSeconds !== undefined) event.durationSeconds = durationSeconds;
  if (count !== undefined) event.count = count;
  event.servingPlmn = servingPlmn;
  if (chargeMicros !== undefined) event.chargeMicros = chargeMicros;
  event.currency = currency ?? 'EUR';
  return event as unknown as UsageEvent;
}

function wellFormedAttach(input: Record<string, unknown>): AttachEvent | undefined {
  if (!hasOnlyKeys(input, ATTACH_KEYS)) return undefined;
  const { eventId, subscriberId, servingPlmn } = input;
  if (!isShortString(eventId, 128) || !isShortString(subscriberId, 64)) return undefined;
  const eventTime = dateTimeOf(input.eventTime);
  if (eventTime === undefined || typeof servingPlmn !== 'string' || !PLMN.test(servingPlmn)) return undefined;
  return { type: 'attach', eventId, subscriberId, eventTime, servingPlmn };
}
