/**
 * The TS 29.571 common data types that the charging function's APIs use, as zod schemas, written from the
 * OpenAPI definition of TS 29.571 V17.1.0 (TS29571_CommonData.yaml, API version 1.3.0-alpha.1). Each keeps
 * the definition's type, pattern and range; docs/realtime.md has the conformance table.
 *
 * Objects accept attributes they do not list (OpenAPI objects allow additional properties unless told
 * otherwise): they are dropped, not refused, so a newer release's optional attributes do not fail a request.
 */
import * as z from 'zod';
import { normalizeDateTime } from '../domain/validation.js';

/** Uint32: integer 0 .. 2^32-1. */
export const uint32 = z.number({ error: 'must be an integer from 0 to 4294967295' }).int({ error: 'must be an integer from 0 to 4294967295' }).min(0).max(4_294_967_295);

/**
 * Uint64: integer 0 .. 2^64-1 in the definition. A JSON number above 2^53 cannot be read exactly in
 * JavaScript, so volumes are accepted up to Number.MAX_SAFE_INTEGER (9 PB), far above any real report.
 */
export const uint64 = z
  .number({ error: 'must be an integer from 0 to 9007199254740991' })
  .int({ error: 'must be an integer from 0 to 9007199254740991' })
  .min(0)
  .max(Number.MAX_SAFE_INTEGER);

/** DurationSec: integer seconds. */
export const durationSec = z.number({ error: 'must be an integer number of seconds' }).int({ error: 'must be an integer number of seconds' });

/** DateTime: RFC 3339 `format: date-time`, returned in canonical form. */
export const dateTime = z.string({ error: 'must be an RFC 3339 date-time' }).transform((s, ctx) => {
  const normalized = normalizeDateTime(s);
  if (normalized === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 date-time', input: s });
    return z.NEVER;
  }
  return normalized;
});

/** Uri: a string (the definition sets no format). */
export const uri = z.string({ error: 'must be a URI' });

/** SupportedFeatures: hexadecimal string. */
export const supportedFeatures = z.string({ error: 'must be a hexadecimal string' }).regex(/^[A-Fa-f0-9]*$/, { error: 'must be a hexadecimal string' });

/** Supi: `imsi-<5..15 digits>`, `nai-...`, `gci-...`, `gli-...` or any other string (the `.+` branch). */
export const supi = z.string({ error: 'must be a SUPI (e.g. imsi-208011234567890)' }).regex(/^(imsi-[0-9]{5,15}|nai-.+|gci-.+|gli-.+|.+)$/, {
  error: 'must be a SUPI (e.g. imsi-208011234567890)',
});

/** Gpsi: `msisdn-<5..15 digits>`, `extid-<id>@<domain>` or any other string. */
export const gpsi = z.string({ error: 'must be a GPSI (e.g. msisdn-33612345678)' }).regex(/^(msisdn-[0-9]{5,15}|extid-[^@]+@[^@]+|.+)$/, {
  error: 'must be a GPSI (e.g. msisdn-33612345678)',
});

/** NfInstanceId: a UUID. */
export const nfInstanceId = z.string({ error: 'must be a UUID' }).regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
  error: 'must be a UUID',
});

export const ipv4Addr = z
  .string({ error: 'must be a dotted IPv4 address' })
  .regex(/^(([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\.){3}([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$/, { error: 'must be a dotted IPv4 address' });

/** Ipv6Addr: the definition's second pattern (shape of groups); the first one only narrows leading zeros. */
export const ipv6Addr = z.string({ error: 'must be an IPv6 address' }).regex(/^((([^:]+:){7}([^:]+))|((([^:]+:)*[^:]+)?::(([^:]+:)*[^:]+)?))$/, {
  error: 'must be an IPv6 address',
});

export const mcc = z.string({ error: 'must be 3 digits' }).regex(/^\d{3}$/, { error: 'must be 3 digits' });
export const mnc = z.string({ error: 'must be 2 or 3 digits' }).regex(/^\d{2,3}$/, { error: 'must be 2 or 3 digits' });

/** PlmnId: { mcc, mnc }, both required. */
export const plmnId = z.object({ mcc, mnc }, { error: 'must be an object { mcc, mnc }' });
export type PlmnId = z.output<typeof plmnId>;

/** PLMN as the usage-event contract writes it: MCC followed by MNC. */
export function plmnText(id: PlmnId): string {
  return `${id.mcc}${id.mnc}`;
}

const tac = z.string({ error: 'must be 4 or 6 hexadecimal digits' }).regex(/(^[A-Fa-f0-9]{4}$)|(^[A-Fa-f0-9]{6}$)/, { error: 'must be 4 or 6 hexadecimal digits' });
const nid = z.string({ error: 'must be 11 hexadecimal digits' }).regex(/^[A-Fa-f0-9]{11}$/, { error: 'must be 11 hexadecimal digits' });

/** Tai: { plmnId, tac } required, nid optional. */
export const tai = z.object({ plmnId, tac, nid: nid.optional() });

const ecgi = z.object({
  plmnId,
  eutraCellId: z.string({ error: 'must be 7 hexadecimal digits' }).regex(/^[A-Fa-f0-9]{7}$/, { error: 'must be 7 hexadecimal digits' }),
  nid: nid.optional(),
});
const ncgi = z.object({
  plmnId,
  nrCellId: z.string({ error: 'must be 9 hexadecimal digits' }).regex(/^[A-Fa-f0-9]{9}$/, { error: 'must be 9 hexadecimal digits' }),
  nid: nid.optional(),
});

/** EutraLocation and NrLocation: tai and the cell id required; the other attributes are not read. */
export const userLocation = z.object({
  eutraLocation: z.object({ tai, ecgi }).optional(),
  nrLocation: z.object({ tai, ncgi }).optional(),
  n3gaLocation: z.object({ n3gppTai: tai.optional() }).optional(),
});
export type UserLocation = z.output<typeof userLocation>;

/** RatingGroup, ChargingId, ServiceId: Uint32. */
export const ratingGroup = uint32;
export const chargingId = uint32;
export const serviceId = uint32;

/**
 * An enumeration with the definition's `anyOf: [enum, string]` extensibility: any string is accepted
 * (a newer release may add values); the known values are listed for readers and types.
 */
export function extensibleEnum<const T extends readonly [string, ...string[]]>(_values: T): z.ZodType<T[number] | (string & {}), string> {
  return z.string({ error: 'must be a string' });
}
