/**
 * Shared building blocks of the contract schemas (usage-event.v1, subscriber.v1): the parse result,
 * operator-readable error messages, and the few checks where zod's built-ins disagree with JSON Schema
 * as ajv implements it (string lengths in code points, RFC 3339 date-times, e-mail addresses).
 */
import * as z from 'zod';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** An operator rarely needs more than the first few reasons; a record with 300 extra keys must not flood the quarantine. */
const MAX_REASONS = 10;

/**
 * `volumeBytes: must be an integer >= 0; unknownField: not allowed`: each issue names the field (dotted path)
 * and the rule it breaks. The rule texts come from the schemas (see `rule`); this only lays them out.
 */
export function formatIssues(error: z.ZodError): string {
  const reasons: string[] = [];
  for (const issue of error.issues) {
    const prefix = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) reasons.push(`${prefix === '' ? '' : `${prefix}.`}${key}: not allowed`);
    } else {
      reasons.push(prefix === '' ? issue.message : `${prefix}: ${issue.message}`);
    }
  }
  if (reasons.length > MAX_REASONS) {
    const more = reasons.length - MAX_REASONS;
    return `${reasons.slice(0, MAX_REASONS).join('; ')}; and ${more} more`;
  }
  return reasons.join('; ');
}

/**
 * Schema parameters that word every failure of a field as one plain rule (`must be an integer >= 0`), whatever
 * zod check failed (type, integer, minimum), and say `required` when the field is absent.
 */
export function rule(text: string): { error: (issue: { readonly input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? 'required' : text) };
}

/** What an input was, for "must be a JSON object (got an array)". */
export function describeJsonType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return `a ${typeof input}`;
}

export function isPlainObject(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/** JSON Schema counts string length in Unicode code points (ajv: ucs2length), zod in UTF-16 code units. */
function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `minLength`/`maxLength` as JSON Schema means them (code points), checking the cheap UTF-16 bound first. */
export function boundedString(min: number, max: number, text: string) {
  return z.string(rule(text)).refine(
    (s) => {
      // UTF-16 length >= code points, and a non-empty string has at least one: most strings need no iterating.
      if (s.length < min) return false;
      if (s.length <= max && min <= 1) return true;
      const n = codePointLength(s);
      return n >= min && n <= max;
    },
    { error: text },
  );
}

/**
 * JSON Schema "integer" with a minimum. Beyond the contract, limited to safe integers: 2^53 and above lose
 * precision in a JS number, and counters built on them would be wrong without any error.
 */
export function integerAtLeast(min: number, text = `must be an integer >= ${min}`) {
  return z.number(rule(text)).int().min(min);
}

// RFC 3339 date-time exactly as ajv-formats (mode "full") checks `format: date-time`, so that the zod schemas
// accept what the JSON Schema accepts: `T`, `t` or a space between date and time, `z`/`Z`, offsets `+02:00`,
// `+0200` or `+02`, any number of fraction digits, and a leap second (second 60) only at 23:59 UTC.
const CANONICAL_DATE_TIME = /^(\d\d\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d(?:\.\d+)?)(?:Z|[+-](\d\d):(\d\d))$/;
const DATE_TIME_SEPARATOR = /t|\s/i;
const FULL_DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const FULL_TIME = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$/i;
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function isValidDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month] ?? 0));
}

/**
 * Checks an RFC 3339 date-time with offset (as ajv-formats does) and returns it in canonical form
 * (`T`, upper-case `Z`, `+HH:MM` offsets) so that every consumer (luxon, Date) reads it the same way;
 * undefined when it is not one. A leap second, which neither Date nor luxon can represent, becomes
 * the last millisecond before it, in UTC: same minute, so same billing period.
 */
export function normalizeDateTime(s: string): string | undefined {
  const fast = CANONICAL_DATE_TIME.exec(s);
  if (fast !== null) {
    const tzH = fast[7] === undefined ? 0 : +fast[7];
    const tzM = fast[8] === undefined ? 0 : +fast[8];
    if (
      isValidDate(+fast[1]!, +fast[2]!, +fast[3]!) &&
      +fast[4]! <= 23 &&
      +fast[5]! <= 59 &&
      +fast[6]! < 60 &&
      tzH <= 23 &&
      tzM <= 59
    ) {
      return s;
    }
  }
  const parts = s.split(DATE_TIME_SEPARATOR);
  if (parts.length !== 2) return undefined;
  const date = FULL_DATE.exec(parts[0]!);
  if (date === null) return undefined;
  const year = +date[1]!;
  const month = +date[2]!;
  const day = +date[3]!;
  if (!isValidDate(year, month, day)) return undefined;
  const time = FULL_TIME.exec(parts[1]!);
  if (time === null || time[4] === undefined) return undefined;
  const hour = +time[1]!;
  const minute = +time[2]!;
  const second = +time[3]!;
  const utc = time[4].toUpperCase() === 'Z';
  const sign = time[5] === '-' ? -1 : 1;
  const tzH = utc ? 0 : +time[6]!;
  const tzM = utc || time[7] === undefined ? 0 : +time[7];
  if (tzH > 23 || tzM > 59) return undefined;
  if (hour <= 23 && minute <= 59 && second < 60) {
    const offset = utc ? 'Z' : `${time[5]}${time[6]}:${time[7] ?? '00'}`;
    return `${parts[0]}T${time[1]}:${time[2]}:${time[3]}${offset}`;
  }
  const utcMinute = minute - tzM * sign;
  const utcHour = hour - tzH * sign - (utcMinute < 0 ? 1 : 0);
  if (!((utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61)) return undefined;
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - sign * (tzH * 60 + tzM), 59, 999);
  return instant.toISOString();
}

const DATE_TIME_RULE = 'must be an RFC 3339 date-time with offset (e.g. 2026-09-10T07:20:00Z or 2026-09-10T09:20:00+02:00)';

/** JSON Schema `format: date-time`; the output is the canonical form (see normalizeDateTime). */
export function dateTime() {
  return z.string(rule(DATE_TIME_RULE)).transform((s, ctx) => {
    const normalized = normalizeDateTime(s);
    if (normalized === undefined) {
      ctx.addIssue({ code: 'custom', message: DATE_TIME_RULE, input: s });
      return z.NEVER;
    }
    return normalized;
  });
}

/**
 * ajv-formats' `email` (mode "full"), so that both validators agree on every address; zod's own default
 * pattern is stricter (e.g. it refuses `a..b@example.org`'s cousins and some quoted forms differently).
 */
export const EMAIL_PATTERN =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
