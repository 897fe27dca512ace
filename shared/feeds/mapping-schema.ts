/**
 * The declarative mapping of one usage feed (a JSON document per feed, checked into the deployment
 * configuration): how a line of the host operator's export (CSV, fixed-width or JSON Lines) becomes a
 * usage-event.v1 record. Validated with zod when the stack is synthesized and when the local replay
 * reads it, so that a mapping mistake fails before any file is read, naming the key at fault.
 *
 * docs/feeds.md describes every key with two worked examples (docs/feeds/).
 */
import * as z from 'zod';
import { formatIssues, isPlainObject, describeJsonType } from '../domain/validation.js';

/** A feed name is the S3 prefix of its files, a metric dimension and the prefix of its recordIds. */
export const FEED_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** Prefixes of the feed bucket that are not feeds. */
export const RESERVED_FEED_NAMES: ReadonlySet<string> = new Set(['quarantine', 'mappings', 'logs']);

/** A column: its header name (CSV with a header, fixed-width field name, JSON path `a.b.c`) or its 1-based position (CSV). */
const columnRef = z.union(
  [
    z.string().min(1).max(100),
    z.number().int().min(1).max(1000),
  ],
  { error: 'must be a column name (or JSON path a.b.c) or a 1-based column position' },
);

const textPart = z.union(
  [
    z.strictObject({
      column: columnRef,
      /** Left-pads the value with zeros to this length (an MNC exported as a number: 1 -> 01). */
      zeroPad: z.number().int().min(1).max(64).optional(),
    }),
    z.strictObject({ const: z.string().max(128) }),
  ],
  { error: 'must be { "column": ... } or { "const": "..." }' },
);

/** Exactly one of column / const / concat: checked with a refinement so that the message says so. */
function oneSource(value: { column?: unknown; const?: unknown; concat?: unknown; sum?: unknown }, keys: readonly string[]): boolean {
  return keys.filter((k) => (value as Record<string, unknown>)[k] !== undefined).length === 1;
}

const textMap = z.record(z.string(), z.string().max(128), { error: 'must be an object of code -> value' });

/** A text field: a column, a constant, or a concatenation of columns and constants. */
export const textFieldSchema = z
  .strictObject({
    column: columnRef.optional(),
    const: z.string().max(128).optional(),
    concat: z.array(textPart).min(1).max(16).optional(),
    /** Between the parts of a concatenation. @default "" */
    separator: z.string().max(8).optional(),
    zeroPad: z.number().int().min(1).max(64).optional(),
    /** Replaces the value by the one it maps to (e.g. a TADIG code to its MCC+MNC); a value not in the map is a bad line unless `default` is set. */
    map: textMap.optional(),
    default: z.string().max(128).optional(),
  })
  .refine((v) => oneSource(v, ['column', 'const', 'concat']), { error: 'must have exactly one of column, const, concat' });

export type TextField = z.output<typeof textFieldSchema>;

/** How a record's id is built: a column or concatenation (as a text field), or a hash of columns or of the whole line. */
export const recordIdSchema = z
  .strictObject({
    column: columnRef.optional(),
    concat: z.array(textPart).min(1).max(16).optional(),
    separator: z.string().max(8).optional(),
    /** SHA-256 of these columns' values: for exports with no key of their own. */
    hash: z.array(textPart).min(1).max(32).optional(),
    /** SHA-256 of the whole line as exported: two identical lines are then one record. */
    hashOfLine: z.literal(true).optional(),
  })
  .refine((v) => oneSource(v as Record<string, unknown>, ['column', 'concat', 'hash', 'hashOfLine']), {
    error: 'must have exactly one of column, concat, hash, hashOfLine',
  });

export type RecordIdField = z.output<typeof recordIdSchema>;

export const VOLUME_UNITS = { B: 1n, kB: 1_000n, KiB: 1_024n, MB: 1_000_000n, MiB: 1_048_576n, GB: 1_000_000_000n, GiB: 1_073_741_824n } as const;
export const DURATION_UNITS = { s: 'seconds', ms: 'milliseconds', min: 'minutes', 'hh:mm:ss': 'clock' } as const;
/** Money units, as the number of micro-units in one of them. `major` is the currency unit itself (EUR 1.2345). */
export const MONEY_UNITS = { micros: 1n, milli: 1_000n, cents: 10_000n, major: 1_000_000n } as const;

const quantityBase = {
  column: columnRef.optional(),
  /** Sum of several columns (uplink + downlink bytes). */
  sum: z.array(columnRef).min(1).max(8).optional(),
  const: z.number().int().min(0).optional(),
} as const;

export const volumeFieldSchema = z
  .strictObject({
    ...quantityBase,
    unit: z.enum(Object.keys(VOLUME_UNITS) as [keyof typeof VOLUME_UNITS], { error: `must be one of ${Object.keys(VOLUME_UNITS).join(', ')}` }),
  })
  .refine((v) => oneSource(v, ['column', 'sum', 'const']), { error: 'must have exactly one of column, sum, const' });

export const durationFieldSchema = z
  .strictObject({
    ...quantityBase,
    unit: z.enum(Object.keys(DURATION_UNITS) as [keyof typeof DURATION_UNITS], { error: `must be one of ${Object.keys(DURATION_UNITS).join(', ')}` }),
  })
  .refine((v) => oneSource(v, ['column', 'sum', 'const']), { error: 'must have exactly one of column, sum, const' });

export const countFieldSchema = z
  .strictObject(quantityBase)
  .refine((v) => oneSource(v, ['column', 'sum', 'const']), { error: 'must have exactly one of column, sum, const' });

/** Time zone: IANA name (Europe/Paris), UTC, a fixed offset (+02:00), or a column holding an offset (+0200) or IANA name. */
const zoneSchema = z.union([z.string().min(1).max(64), z.strictObject({ column: columnRef })], {
  error: 'must be a time zone (Europe/Paris, UTC, +02:00) or { "column": ... }',
});

export const TIME_FORMATS_BUILT_IN = ['iso', 'epoch-s', 'epoch-ms'] as const;

/**
 * A time: a column (or concatenation, e.g. a date column and a time column) read with `format`:
 * `iso` (RFC 3339 / ISO 8601; without an offset it is read in `zone`), `epoch-s`, `epoch-ms`, or a
 * pattern of yyyy MM dd HH mm ss S (fraction) and literal characters, e.g. `dd/MM/yyyy HH:mm:ss`
 * (other Luxon tokens work too, more slowly). `plus` adds a duration (an end time from start + duration).
 */
export const timeFieldSchema = z
  .strictObject({
    column: columnRef.optional(),
    concat: z.array(textPart).min(1).max(8).optional(),
    separator: z.string().max(8).optional(),
    format: z.string().min(1).max(64),
    /** @default "UTC" */
    zone: zoneSchema.optional(),
    plus: durationFieldSchema.optional(),
  })
  .refine((v) => oneSource(v, ['column', 'concat']), { error: 'must have exactly one of column, concat' });

export type TimeField = z.output<typeof timeFieldSchema>;

export const chargeFieldSchema = z
  .strictObject({
    column: columnRef.optional(),
    sum: z.array(columnRef).min(1).max(8).optional(),
    unit: z.enum(Object.keys(MONEY_UNITS) as [keyof typeof MONEY_UNITS], { error: `must be one of ${Object.keys(MONEY_UNITS).join(', ')}` }),
  })
  .refine((v) => oneSource(v, ['column', 'sum']), { error: 'must have exactly one of column, sum' });

export type VolumeField = z.output<typeof volumeFieldSchema>;
export type DurationField = z.output<typeof durationFieldSchema>;
export type CountField = z.output<typeof countFieldSchema>;
export type ChargeField = z.output<typeof chargeFieldSchema>;

const serviceValue = z.enum(['data', 'voice', 'sms', 'skip'], { error: 'must be one of data, voice, sms, skip' });

/** The service: a constant, or a column whose codes map to data / voice / sms, or `skip` (not usage: MT calls, zero-rated). */
export const serviceFieldSchema = z.union(
  [
    z.strictObject({ const: z.enum(['data', 'voice', 'sms'], { error: 'must be one of data, voice, sms' }) }),
    z.strictObject({
      column: columnRef,
      map: z.record(z.string(), serviceValue),
      /** What a code that is not in `map` means; absent: such a line is bad. */
      default: serviceValue.optional(),
    }),
  ],
  { error: 'must be { "const": "data" } or { "column": ..., "map": { code: "data" | "voice" | "sms" | "skip" } }' },
);

export type ServiceField = z.output<typeof serviceFieldSchema>;

const csvFormat = z.strictObject({
  type: z.literal('csv'),
  /** One character. @default "," */
  delimiter: z.string().length(1, { error: 'must be one character' }).default(','),
  /** Quote character (RFC 4180 doubling inside quotes), or null for none. @default "\"" */
  quote: z.union([z.string().length(1), z.null()]).default('"'),
  /** The first line names the columns. @default true */
  header: z.boolean().default(true),
  /** Column names by position, for files with no header (then fields may use these names). */
  columns: z.array(z.string().min(1).max(100)).max(1000).optional(),
});

const fixedFormat = z.strictObject({
  type: z.literal('fixed'),
  /** Named fields by 1-based character position and length; values are trimmed. */
  fields: z
    .array(z.strictObject({ name: z.string().min(1).max(100), start: z.number().int().min(1), length: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(1000),
});

const jsonlFormat = z.strictObject({
  type: z.literal('jsonl'),
});

const common = {
  /** `utf8` (invalid bytes make a bad line) or `latin1` (ISO-8859-1, common in older exports). @default "utf8" */
  encoding: z.enum(['utf8', 'latin1'], { error: 'must be utf8 or latin1' }).default('utf8'),
  /** Decimal separator of numbers in the file. @default "." */
  decimalSeparator: z.enum(['.', ','], { error: 'must be "." or ","' }).default('.'),
  /** Lines starting with one of these are neither records nor bad lines (banners, trailers, comments). */
  ignoreLinesStartingWith: z.array(z.string().min(1).max(32)).max(16).default([]),
};

export const formatSchema = z.discriminatedUnion(
  'type',
  [csvFormat.extend(common), fixedFormat.extend(common), jsonlFormat.extend(common)],
  { error: 'must be { "type": "csv" | "fixed" | "jsonl", ... }' },
);

export type FeedFormat = z.output<typeof formatSchema>;

/** When a whole file is refused instead of its bad lines: it is probably not what the mapping says. */
const limitsSchema = z
  .strictObject({
    /** More bad lines than this in one file: the file is quarantined whole. @default 10000 */
    maxBadLines: z.number().int().min(0).max(1_000_000).default(10_000),
    /** A larger share of bad lines than this (0 to 1) in one file: the file is quarantined whole. @default 0.5 */
    maxBadShare: z.number().min(0).max(1).default(0.5),
    /** A longer line means the file is not line-oriented (binary, wrong format): the file is quarantined whole. @default 65536 */
    maxLineBytes: z.number().int().min(256).max(1_048_576).default(65_536),
  })
  .default({ maxBadLines: 10_000, maxBadShare: 0.5, maxLineBytes: 65_536 });

export const feedMappingSchema = z
  .strictObject({
    mappingVersion: z.literal(1, { error: 'must be 1' }),
    /** The feed: its S3 prefix, metric dimension and recordId prefix. */
    feed: z
      .string({ error: 'must be a feed name' })
      .regex(FEED_NAME_PATTERN, { error: 'must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter or digit' })
      .refine((name) => !RESERVED_FEED_NAMES.has(name), { error: `must not be one of ${[...RESERVED_FEED_NAMES].join(', ')}` }),
    description: z.string().max(1000).optional(),
    format: formatSchema,
    /**
     * Prepended to every recordId, so that two feeds that number their records alike never collide
     * (a collision would drop usage as a duplicate). @default "<feed>:"
     */
    recordIdPrefix: z.string().max(48).optional(),
    /** Lines whose column equals one of the values are not usage (skipped, not bad). */
    skip: z.array(z.strictObject({ column: columnRef, equals: z.array(z.string()).min(1).max(100) })).max(16).default([]),
    fields: z.strictObject({
      recordId: recordIdSchema,
      subscriberId: textFieldSchema,
      /** End of the usage interval (decides the billing period). */
      eventTime: timeFieldSchema,
      startTime: timeFieldSchema.optional(),
      service: serviceFieldSchema,
      volumeBytes: volumeFieldSchema.optional(),
      durationSeconds: durationFieldSchema.optional(),
      count: countFieldSchema.optional(),
      servingPlmn: textFieldSchema,
      chargeMicros: chargeFieldSchema.optional(),
      currency: textFieldSchema.optional(),
    }),
    limits: limitsSchema,
  })
  .superRefine((mapping, ctx) => {
    // Positions only make sense in a CSV file; names need a header, declared columns, fixed fields or JSON.
    const { format } = mapping;
    const names =
      format.type === 'csv' ? (format.columns ?? []) : format.type === 'fixed' ? format.fields.map((f) => f.name) : undefined;
    for (const { path, ref } of columnRefsOf(mapping)) {
      if (typeof ref === 'number' && format.type !== 'csv') {
        ctx.addIssue({ code: 'custom', path, message: 'a column position needs format.type "csv"' });
      }
      if (typeof ref === 'string' && names !== undefined && !(format.type === 'csv' && format.header) && !names.includes(ref)) {
        const where = format.type === 'fixed' ? 'format.fields' : 'format.columns (the file has no header)';
        ctx.addIssue({ code: 'custom', path, message: `column "${ref}" is not in ${where}` });
      }
    }
  });

export type FeedMapping = z.output<typeof feedMappingSchema>;

/** Every column a mapping reads, with the path of the key that names it (for error messages and header checks). */
export function columnRefsOf(mapping: Pick<FeedMapping, 'fields' | 'skip'>): Array<{ path: Array<string | number>; ref: string | number }> {
  const refs: Array<{ path: Array<string | number>; ref: string | number }> = [];
  const walk = (value: unknown, path: Array<string | number>): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...path, i]));
      return;
    }
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'map') continue;
      if (key === 'column' && (typeof child === 'string' || typeof child === 'number')) refs.push({ path: [...path, key], ref: child });
      else if (key === 'sum' && Array.isArray(child)) child.forEach((ref, i) => refs.push({ path: [...path, key, i], ref: ref as string | number }));
      else walk(child, [...path, key]);
    }
  };
  walk(mapping.fields, ['fields']);
  walk(mapping.skip, ['skip']);
  return refs;
}

/** A mapping mistake: the message names each key at fault, e.g. `fields.eventTime.format: required`. */
export class FeedMappingError extends Error {
  override readonly name = 'FeedMappingError';
}

/** Validates a mapping document (parsed JSON). Throws FeedMappingError naming every key at fault. */
export function parseFeedMapping(input: unknown): FeedMapping {
  if (!isPlainObject(input)) throw new FeedMappingError(`must be a JSON object (got ${describeJsonType(input)})`);
  const result = feedMappingSchema.safeParse(input);
  if (!result.success) throw new FeedMappingError(formatIssues(result.error));
  return result.data;
}

/** Validates a mapping from its JSON text. */
export function parseFeedMappingJson(text: string): FeedMapping {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e: unknown) {
    throw new FeedMappingError(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseFeedMapping(input);
}
