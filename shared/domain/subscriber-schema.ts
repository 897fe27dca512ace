/**
 * Subscriber profiles (contract subscriber.v1): the zod twin of docs/contracts/subscriber.v1.schema.json,
 * with every default of the contract applied except `homePlmn` (absent means the deployment's home PLMN).
 *
 * One check goes beyond the contract: `plan.timeZone` must be a real IANA zone name. The contract only says
 * "string", but a profile with a wrong zone would put every event in the wrong billing period.
 */
import * as z from 'zod';
import type { SubscriberProfile } from './model.js';
import { isKnownTimeZone } from './time-zones.js';
import { boundedString, describeJsonType, EMAIL_PATTERN, formatIssues, integerAtLeast, isPlainObject, rule, type ParseResult } from './validation.js';

export const DEFAULT_CAP_LIMIT_MICROS = 50_000_000;

/** Area/Location names only: Intl also takes offsets like `+02:00` on newer Node versions, which have no DST rules. */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
const knownZones = new Map<string, boolean>();

export function isIanaTimeZone(zone: string): boolean {
  const known = knownZones.get(zone);
  if (known !== undefined) return known;
  const valid = IANA_NAME.test(zone) && isKnownTimeZone(zone);
  // Profiles come from provisioning; bound the cache so odd inputs cannot grow it without limit.
  if (knownZones.size < 1_000) knownZones.set(zone, valid);
  return valid;
}

const TIME_ZONE_RULE = 'must be an IANA time zone name (e.g. Europe/Paris)';

function spendCap() {
  return z
    .strictObject(
      {
        enabled: z.boolean(rule('must be true or false')).default(true),
        limitMicros: integerAtLeast(0).default(DEFAULT_CAP_LIMIT_MICROS),
      },
      rule('must be an object'),
    )
    .prefault({});
}

export const subscriberProfileSchema = z.strictObject(
  {
    subscriberId: boundedString(1, 64, 'must be a string of 1 to 64 characters'),
    msisdn: z
      .string(rule('must be an E.164 number: + then 7 to 15 digits, the first not 0 (e.g. +33612345678)'))
      .regex(/^\+[1-9][0-9]{6,14}$/),
    email: z.email({ pattern: EMAIL_PATTERN, ...rule('must be an e-mail address') }).optional(),
    accountId: z.string(rule('must be a string')).optional(),
    locale: z.enum(['fr', 'en'], rule('must be one of fr, en')).default('fr'),
    homePlmn: z.string(rule('must be 5 or 6 digits (MCC+MNC)')).regex(/^[0-9]{5,6}$/).optional(),
    plan: z.strictObject(
      {
        name: z.string(rule('must be a string')).optional(),
        dataAllowanceBytes: integerAtLeast(0),
        monthlyFeeMicros: integerAtLeast(0).default(0),
        billingCycleDay: z.number(rule('must be an integer from 1 to 28')).int().min(1).max(28).default(1),
        timeZone: z
          .string(rule(TIME_ZONE_RULE))
          .refine(isIanaTimeZone, { error: TIME_ZONE_RULE })
          .default('Europe/Paris'),
      },
      rule('must be an object'),
    ),
    roamingCap: spendCap(),
    notifications: z
      .strictObject(
        {
          sms: z.boolean(rule('must be true or false')).default(true),
          email: z.boolean(rule('must be true or false')).default(false),
        },
        rule('must be an object'),
      )
      .prefault({}),
    overageCap: spendCap(),
  },
  { error: (issue) => `profile: must be a JSON object (got ${describeJsonType(issue.input)})` },
);

type Assignable<T extends U, U> = T;
export type ParsedSubscriberProfile = Assignable<z.output<typeof subscriberProfileSchema>, SubscriberProfile>;

export function parseSubscriberProfile(input: unknown): ParseResult<SubscriberProfile> {
  if (!isPlainObject(input)) return { ok: false, reason: `profile: must be a JSON object (got ${describeJsonType(input)})` };
  const result = subscriberProfileSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: formatIssues(result.error) };
}
