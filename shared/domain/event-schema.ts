/**
 * Carrier events (contract usage-event.v1): the zod twin of docs/contracts/usage-event.v1.schema.json,
 * with its defaults applied (`type: 'usage'`, `currency: 'EUR'`). test/unit/contracts.test.ts holds both to
 * the same verdicts. Built once at module load: this runs on the ingest hot path.
 */
import * as z from 'zod';
import { wellFormedCarrierEvent } from './event-fast-path.js';
import type { AttachEvent, CarrierEvent, UsageEvent } from './model.js';
import {
  boundedString,
  dateTime,
  describeJsonType,
  formatIssues,
  integerAtLeast,
  isPlainObject,
  rule,
  type ParseResult,
} from './validation.js';

const plmn = z.string(rule('must be 5 or 6 digits (MCC+MNC)')).regex(/^[0-9]{5,6}$/);
const subscriberId = boundedString(1, 64, 'must be a string of 1 to 64 characters');
const recordKey = boundedString(1, 128, 'must be a string of 1 to 128 characters');

const DATA_RULES = [
  ['data', 'volumeBytes'],
  ['voice', 'durationSeconds'],
  ['sms', 'count'],
] as const;

export const usageEventSchema = z
  .strictObject({
    type: z.literal('usage', { error: 'must be "usage" or "attach"' }).default('usage'),
    recordId: recordKey,
    subscriberId,
    eventTime: dateTime(),
    startTime: dateTime().optional(),
    service: z.enum(['data', 'voice', 'sms'], rule('must be one of data, voice, sms')),
    volumeBytes: integerAtLeast(0).optional(),
    durationSeconds: integerAtLeast(0).optional(),
    count: integerAtLeast(1).optional(),
    servingPlmn: plmn,
    chargeMicros: integerAtLeast(0).optional(),
    currency: z
      .string(rule('must be 3 upper-case letters (ISO 4217, e.g. EUR)'))
      .regex(/^[A-Z]{3}$/)
      .default('EUR'),
  })
  .superRefine((event, ctx) => {
    // The contract's if/then: each service needs its own measure of usage.
    for (const [service, field] of DATA_RULES) {
      if (event.service === service && event[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `required when service is ${service}`, input: event });
      }
    }
  });

export const attachEventSchema = z.strictObject({
  type: z.literal('attach'),
  eventId: recordKey,
  subscriberId,
  eventTime: dateTime(),
  servingPlmn: plmn,
});

/**
 * Either variant, chosen by `type` (absent means usage), so that errors speak of the right variant's fields
 * and an unknown `type` says just that instead of listing both variants' failures.
 */
export const carrierEventSchema = z.discriminatedUnion('type', [usageEventSchema, attachEventSchema], {
  error: (issue) => {
    // Typed as a union issue only, but zod also reports a non-object input through this map.
    const code: string = issue.code;
    return code === 'invalid_type' ? `event: must be a JSON object (got ${describeJsonType(issue.input)})` : 'must be "usage" or "attach"';
  },
});

// The parsed output must be usable as the domain types: a compile error here means schema and model drifted.
type Assignable<T extends U, U> = T;
export type ParsedUsageEvent = Assignable<z.output<typeof usageEventSchema>, UsageEvent>;
export type ParsedAttachEvent = Assignable<z.output<typeof attachEventSchema>, AttachEvent>;
export type ParsedCarrierEvent = Assignable<z.output<typeof carrierEventSchema>, CarrierEvent>;

export function parseCarrierEvent(input: unknown): ParseResult<CarrierEvent> {
  if (!isPlainObject(input)) return { ok: false, reason: `event: must be a JSON object (got ${describeJsonType(input)})` };
  // The events carriers send are decided in plain code; anything else (every error included) by zod.
  const wellFormed = wellFormedCarrierEvent(input);
  if (wellFormed !== undefined) return { ok: true, value: wellFormed };
  const result = carrierEventSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: formatIssues(result.error) };
}

export function parseCarrierEventJson(text: string): ParseResult<CarrierEvent> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e: unknown) {
    return { ok: false, reason: `not valid JSON: ${jsonErrorWithoutExcerpt(e)}` };
  }
  return parseCarrierEvent(input);
}

/**
 * V8 quotes a piece of the text in some JSON errors (`Unexpected token '+', ..."msisdn": +336111"...`); reasons
 * end up in logs and quarantine metadata, where an MSISDN or e-mail address must not appear, so that piece goes.
 */
export function jsonErrorWithoutExcerpt(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
}
