/**
 * Request and response bodies of the self-care and operator API, in zod: the handler validates with them and
 * the OpenAPI document (docs/openapi.json) is generated from them, so the two cannot drift apart.
 *
 * Profiles reuse the contract schema (subscriber.v1); the other bodies reuse its rule texts (`integerAtLeast`,
 * `rule`) so that an error reads the same whichever endpoint it comes from. Examples given with `.meta` end up
 * in the OpenAPI document, where the linter checks them against their schema.
 */
import * as z from 'zod';
import { CARRIER_COMMANDS, CHANNELS, NOTIFICATION_KINDS, POLICY_KINDS } from '../domain/model.js';
import { subscriberProfileSchema } from '../domain/subscriber-schema.js';
import { boundedString, integerAtLeast, rule } from '../domain/validation.js';
import type { AuditEntry, ConsentStatement } from '../ports/audit-log.js';
import { PSEUDONYM_PATTERN } from '../privacy/pseudonym.js';
import { PROBLEM_CODES } from './problems.js';

const EXAMPLE_ID = 'imsi-208150000000001';
const EXAMPLE_MSISDN = '+33612345678';

export const fieldErrorSchema = z.object({
  path: z.string().meta({ description: 'Dotted path of the field at fault, e.g. `roamingCap.limitMicros`; `body` for the whole body, `id` for the path.' }),
  message: z.string().meta({ description: 'The rule the field breaks, e.g. `must be an integer >= 0`.' }),
});

/** RFC 9457 problem details: every error of the API, with a stable `type` per kind of problem. */
export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'Stable URI of the kind of problem: `urn:spendcap:problem:<code>`.', format: 'uri' }),
    title: z.string().meta({ description: 'Short summary of the kind of problem (the same for every occurrence).' }),
    status: z.number().int().meta({ description: 'The HTTP status code.' }),
    detail: z.string().optional().meta({ description: 'What went wrong this time (never an identifier of the subscriber).' }),
    code: z.enum(PROBLEM_CODES).meta({ description: 'The last part of `type`, for clients that switch on a string.' }),
    errors: z.array(fieldErrorSchema).optional().meta({ description: 'On `invalid-request` and `consent-required`: every field at fault.' }),
  })
  .meta({
    description: 'Problem details (RFC 9457), served as application/problem+json.',
    examples: [
      {
        type: 'urn:spendcap:problem:invalid-request',
        title: 'The request is invalid',
        status: 400,
        detail: 'roamingCap.limitMicros: must be at most 1000000000 (the deployment maximum)',
        code: 'invalid-request',
        errors: [{ path: 'roamingCap.limitMicros', message: 'must be at most 1000000000 (the deployment maximum)' }],
      },
    ],
  });

export const bucketSchema = z.enum(['roaming', 'overage'], rule('must be one of roaming, overage')).meta({
  description: '`roaming`: charges on foreign networks, against roamingCap; `overage`: out-of-bundle charges at home, against overageCap.',
});

export const CONSENT_CHANNELS = ['web', 'app', 'sms', 'voice', 'store', 'email', 'letter'] as const;

/** Who consented, when, through which channel: an opt-out (and an operator-recorded consent) is refused without it. */
export const consentStatementSchema = z
  .strictObject(
    {
      who: boundedString(1, 200, 'must be a string of 1 to 200 characters').meta({
        description: 'Who gave the consent, as the channel identified them (e.g. `account holder, signed in`, `caller verified by PIN`).',
      }),
      at: z.iso.datetime({ offset: true, ...rule('must be a date-time with offset, e.g. 2026-09-15T10:00:00Z') }).meta({
        description: 'When it was given (RFC 3339); not in the future.',
      }),
      channel: z.enum(CONSENT_CHANNELS, rule(`must be one of ${CONSENT_CHANNELS.join(', ')}`)).meta({ description: 'How it was given.' }),
      text: boundedString(1, 2000, 'must be a string of 1 to 2000 characters').optional().meta({
        description: 'The words the subscriber agreed to, when the channel showed them.',
      }),
    },
    rule('must be an object { who, at, channel }'),
  )
  .meta({
    description: "The subscriber's consent statement, kept in the audit trail.",
    examples: [{ who: 'account holder, signed in', at: '2026-09-15T09:58:00Z', channel: 'web', text: 'I understand that my roaming spend will no longer be capped.' }],
  });

const REASON_RULE = "must be a string of 3 to 500 characters: why the subscriber's choice is changed (kept in the audit trail)";
const reasonSchema = boundedString(3, 500, REASON_RULE).meta({
  description: "Why an operator changes a subscriber's choice: kept in the audit trail with the change.",
  examples: ['subscriber called support (ticket 4711) and asked for a EUR 20 limit'],
});

/** A profile as stored and returned: subscriber.v1 with every default applied. */
export const subscriberProfileResponseSchema = subscriberProfileSchema.meta({
  description: 'Subscriber profile (contract subscriber.v1) with every default applied.',
  examples: [
    {
      subscriberId: EXAMPLE_ID,
      msisdn: EXAMPLE_MSISDN,
      locale: 'fr',
      plan: { name: 'Travel 10 GB', dataAllowanceBytes: 10_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
      roamingCap: { enabled: true, limitMicros: 50_000_000 },
      notifications: { sms: true, email: false },
      overageCap: { enabled: true, limitMicros: 50_000_000 },
    },
  ],
});

const capPatchSchema = z
  .strictObject(
    {
      enabled: z.boolean(rule('must be true or false')).optional().meta({
        description: 'false opts out of the cut-off (and of the warnings about it): needs the subscriber`s consent statement.',
      }),
      limitMicros: integerAtLeast(0).optional().meta({
        description: "Spend limit per billing period, integer micro-units, excluding VAT; at most the deployment's maximum (`maxCapLimitMicros`).",
      }),
    },
    rule('must be an object'),
  )
  .meta({ description: 'Fields left out keep their current value.' });

const notificationsPatchSchema = z.strictObject(
  {
    sms: z.boolean(rule('must be true or false')).optional(),
    email: z.boolean(rule('must be true or false')).optional(),
  },
  rule('must be an object'),
);

/**
 * PUT body of the provisioning system: subscriber.v1, where `subscriberId` may be left out (the path names the
 * subscriber) and the subscriber-owned choices (caps, notification channels) may be left out, which keeps
 * them as the subscriber set them.
 */
export const subscriberProfileRequestSchema = subscriberProfileSchema
  .extend({
    subscriberId: subscriberProfileSchema.shape.subscriberId.optional(),
    roamingCap: capPatchSchema.optional(),
    overageCap: capPatchSchema.optional(),
    notifications: notificationsPatchSchema.optional(),
  })
  .meta({
    description:
      'Subscriber profile (contract subscriber.v1). `subscriberId` may be omitted; when present it must equal the id in the path. `roamingCap`, `overageCap` and `notifications` belong to the subscriber: left out, the stored ones are kept (the contract defaults for a new profile); a value that differs from the stored one needs the `Spendcap-Change-Reason` header, and an opt-out is refused here (PUT .../caps with a consent statement).',
    examples: [
      {
        msisdn: EXAMPLE_MSISDN,
        email: 'line@example.org',
        locale: 'fr',
        plan: { name: 'Travel 10 GB', dataAllowanceBytes: 10_000_000_000, monthlyFeeMicros: 20_000_000 },
      },
    ],
  });

/** Self-care: the subscriber changes their own caps. */
export const capsRequestSchema = z
  .strictObject(
    {
      roamingCap: capPatchSchema.optional(),
      overageCap: capPatchSchema.optional(),
      consent: consentStatementSchema.optional().meta({ description: 'Required whenever a cap is set to `enabled: false` (an opt-out).' }),
    },
    rule('must be a JSON object'),
  )
  .meta({
    description: 'Fields left out keep their current value. Takes effect at once on the current billing period.',
    examples: [
      { roamingCap: { limitMicros: 20_000_000 } },
      { roamingCap: { enabled: false }, consent: { who: 'account holder, signed in', at: '2026-09-15T09:58:00Z', channel: 'web' } },
    ],
  });

/** Operator: a subscriber's caps changed on their behalf, with the reason. */
export const operatorCapsRequestSchema = capsRequestSchema.extend({ reason: reasonSchema }).meta({
  description: 'As the self-care change, with the reason (required) kept in the audit trail.',
  examples: [{ roamingCap: { limitMicros: 20_000_000 }, reason: 'subscriber called support (ticket 4711) and asked for a EUR 20 limit' }],
});

export const capSchema = z.object({ enabled: z.boolean(), limitMicros: z.number().int().min(0) });

export const capEffectSchema = z
  .object({
    bucket: bucketSchema,
    effect: z.enum(['bar', 'unbar']),
    reason: z.string(),
  })
  .meta({ description: 'A carrier command the change started through the policy workflow.' });

export const capsResponseSchema = z
  .object({
    subscriberId: z.string(),
    period: z.string().meta({ description: 'Current billing period (YYYY-MM-DD, its start date).' }),
    roamingCap: capSchema,
    overageCap: capSchema,
    effects: z.array(capEffectSchema),
  })
  .meta({
    examples: [
      {
        subscriberId: EXAMPLE_ID,
        period: '2026-09-01',
        roamingCap: { enabled: true, limitMicros: 20_000_000 },
        overageCap: { enabled: true, limitMicros: 50_000_000 },
        effects: [{ bucket: 'roaming', effect: 'bar', reason: 'CAPS_CHANGED#r7' }],
      },
    ],
  });

export const consentRequestSchema = z
  .strictObject(
    {
      bucket: bucketSchema,
      consent: consentStatementSchema.optional().meta({ description: 'How the subscriber consented, when the portal records it.' }),
    },
    rule('must be a JSON object'),
  )
  .meta({ description: 'Continue past the cap of this bucket for the rest of the current billing period.', examples: [{ bucket: 'roaming' }] });

export const operatorConsentRequestSchema = z
  .strictObject(
    {
      bucket: bucketSchema,
      consent: consentStatementSchema.meta({ description: "The subscriber's consent as support took it (required)." }),
      reason: reasonSchema,
    },
    rule('must be a JSON object'),
  )
  .meta({
    description: "The subscriber's consent to continue, recorded by support on their behalf.",
    examples: [{ bucket: 'roaming', consent: { who: 'caller verified by PIN', at: '2026-09-15T09:58:00Z', channel: 'voice' }, reason: 'ticket 4712' }],
  });

export const consentResponseSchema = z
  .object({
    subscriberId: z.string(),
    period: z.string(),
    bucket: bucketSchema,
    consent: z.literal(true),
    effects: z.array(capEffectSchema),
  })
  .meta({
    examples: [{ subscriberId: EXAMPLE_ID, period: '2026-09-01', bucket: 'roaming', consent: true, effects: [{ bucket: 'roaming', effect: 'unbar', reason: 'CAPS_CHANGED#consent-roaming' }] }],
  });

export const notificationsRequestSchema = notificationsPatchSchema.meta({ description: 'Channels left out keep their current value.', examples: [{ email: true }] });

export const operatorNotificationsRequestSchema = notificationsPatchSchema.extend({ reason: reasonSchema }).meta({
  description: 'As the self-care change, with the reason (required) kept in the audit trail.',
  examples: [{ sms: false, reason: 'subscriber asked by letter for e-mail only' }],
});

export const notificationsResponseSchema = z
  .object({ subscriberId: z.string(), sms: z.boolean(), email: z.boolean() })
  .meta({ examples: [{ subscriberId: EXAMPLE_ID, sms: true, email: true }] });

export const periodQuerySchema = z
  .string(rule('must be a date YYYY-MM-DD'))
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .meta({ description: "Billing period id: its start date (YYYY-MM-DD, on the plan's billing cycle day). Default: the current period." });

export const msisdnQuerySchema = z
  .string(rule('must be an E.164 number: + then 7 to 15 digits, the first not 0 (e.g. +33612345678)'))
  .regex(/^\+[1-9][0-9]{6,14}$/)
  .meta({ description: 'The E.164 number to look for (URL-encode the `+` as `%2B`).' });

export const pseudonymParameterSchema = z
  .string(rule('must be a pseudonym: sub- and 16 hex digits'))
  .regex(PSEUDONYM_PATTERN)
  .meta({ description: 'A subscriber pseudonym as logs, alerts and execution names show it.' });

export const subscriberSearchResponseSchema = z
  .object({
    subscribers: z.array(subscriberProfileSchema).meta({ description: 'Usually one; two while a number moves to a new line.' }),
  })
  .meta({ description: 'The subscribers whose profile has this MSISDN.' });

export const pseudonymLookupResponseSchema = z
  .object({
    pseudonym: z.string(),
    subscriberIds: z.array(z.string()).meta({ description: 'Usually one (a 64-bit pseudonym almost never collides).' }),
  })
  .meta({ examples: [{ pseudonym: 'sub-3f9a0c5e1b2d4c6f', subscriberIds: [EXAMPLE_ID] }] });

export const resendRequestSchema = z
  .strictObject(
    {
      channel: z.enum(['sms', 'email'], rule('must be one of sms, email')).optional().meta({ description: 'Which channel`s last message. Default: the last message on any channel.' }),
      reason: reasonSchema,
    },
    rule('must be a JSON object'),
  )
  .meta({ description: 'Sends the last message of the current billing period again, to the address now in the profile.', examples: [{ channel: 'sms', reason: 'subscriber says the cap SMS never arrived' }] });

const bucketUsageSchema = z.object({
  chargeMicros: z.number().int().meta({ description: 'Charges accrued by usage that reached the network.' }),
  billableMicros: z.number().int().meta({ description: 'What may be billed: never above the limit without consent or opt-out.' }),
  writtenOffMicros: z.number().int().meta({ description: 'chargeMicros - billableMicros: never billed.' }),
  cap: capSchema,
  consent: z.boolean().meta({ description: 'The subscriber consented to continue past the cap for this period.' }),
  bar: z
    .object({
      at: z.string().meta({ description: 'When it was placed (ISO UTC).' }),
      until: z.string().meta({ description: 'When it is lifted at the latest: the end of its billing period (ISO UTC).' }),
      period: z.string().meta({ description: 'The billing period whose cap placed it.' }),
      reason: z.string(),
    })
    .nullable()
    .meta({ description: 'The data bar in force on this kind of usage, if any.' }),
  late: z
    .object({
      events: z.number().int(),
      writtenOffMicros: z.number().int().meta({ description: 'Charges above the cap from records that arrived after the period had ended: never billed.' }),
    })
    .meta({ description: 'Usage reported after the period ended (roaming files days late): counted and capped, but too late to warn or bar.' }),
});

const auditBase = {
  subscriberId: z.string(),
  at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  period: z.string(),
  crossingId: z.string().meta({ description: 'The policy request it answered, e.g. ROAMING_CAP_REACHED@50000000.' }),
};
const notificationKindSchema = z.enum(NOTIFICATION_KINDS);
const channelSchema = z.enum(CHANNELS);

/** The audit trail as the policy workflow and the API record it (shared/ports/audit-log.ts `AuditEntry`). */
export const auditEntrySchema = z
  .discriminatedUnion('type', [
    z.object({
      ...auditBase,
      type: z.literal('NOTIFICATION'),
      kind: notificationKindSchema,
      channel: channelSchema,
      to: z.string(),
      text: z.string().meta({ description: 'The message as sent.' }),
      messageId: z.string().optional(),
      resend: z
        .object({ of: z.string(), reason: z.string(), caller: z.string().optional() })
        .optional()
        .meta({ description: 'Sent again by support: when the message it repeats was first sent, and why.' }),
    }),
    z.object({
      ...auditBase,
      type: z.literal('CARRIER_COMMAND'),
      command: z.enum(CARRIER_COMMANDS),
      barId: z.string().optional().meta({ description: 'The bar placed or lifted.' }),
      reason: z.string(),
      idempotencyKey: z.string(),
      status: z.enum(['DONE', 'FAILED']),
      error: z.string().optional(),
    }),
    z.object({
      ...auditBase,
      type: z.literal('UNBAR_SCHEDULED'),
      bucket: bucketSchema,
      barId: z.string(),
      runAt: z.string(),
      scheduleName: z.string(),
    }),
    z.object({
      ...auditBase,
      type: z.literal('NOTIFICATION_FAILED'),
      kind: notificationKindSchema,
      channel: channelSchema,
      error: z.string(),
    }),
    z.object({
      ...auditBase,
      type: z.literal('LINE_FAILED'),
      kind: z.enum(POLICY_KINDS),
      error: z.string(),
    }),
    z.object({
      ...auditBase,
      type: z.literal('CHOICE_CHANGED'),
      by: z.enum(['subscriber', 'operator']),
      changes: z
        .array(z.object({ field: z.string(), from: z.union([z.boolean(), z.number()]), to: z.union([z.boolean(), z.number()]) }))
        .readonly()
        .meta({ description: 'E.g. `{"field": "roamingCap.limitMicros", "from": 50000000, "to": 20000000}`.' }),
      reason: z.string().optional().meta({ description: 'Why an operator changed it.' }),
      consent: z
        .object({ who: z.string(), at: z.string(), channel: z.enum(CONSENT_CHANNELS), text: z.string().optional() })
        .optional()
        .meta({ description: "The subscriber's consent statement (opt-out, consent to continue)." }),
      caller: z.string().optional().meta({ description: 'The IAM principal that called the API, when known.' }),
    }),
  ])
  .meta({
    description:
      'One notification sent (or failed), carrier command issued, un-bar scheduled, line reconcile failed, or subscriber choice changed (by whom, why, with which consent).',
  });

export const usageResponseSchema = z
  .object({
    subscriberId: z.string(),
    period: z.object({ id: z.string(), start: z.string(), end: z.string() }).meta({ description: 'start inclusive, end exclusive (ISO UTC).' }),
    current: z.boolean().meta({ description: 'Whether this is the billing period in progress.' }),
    data: z.object({
      dataBytes: z.number().int(),
      roamingDataBytes: z.number().int(),
      allowanceBytes: z.number().int().meta({ description: 'Data that consumed the plan allowance (home and roam-like-at-home).' }),
      dataAllowanceBytes: z.number().int(),
    }),
    voiceSeconds: z.number().int(),
    smsCount: z.number().int(),
    eventsApplied: z.number().int(),
    roaming: bucketUsageSchema,
    overage: bucketUsageSchema,
    thresholds: z
      .array(z.object({ id: z.string(), at: z.string() }))
      .meta({ description: 'Thresholds that fired in the period, e.g. ROAMING_SPEND_80@50000000.' }),
    audit: z.array(auditEntrySchema).meta({ description: 'Notifications sent, carrier commands issued and choices changed in the period (re-consultable).' }),
  })
  .meta({ description: 'Spend against the caps, bars and audit trail of one billing period.' });

export const resendResponseSchema = z
  .object({
    subscriberId: z.string(),
    notification: auditEntrySchema.meta({ description: 'The NOTIFICATION entry of the message sent again.' }),
  })
  .meta({ description: 'The message sent again, as the audit trail keeps it.' });

export type CapsRequest = z.output<typeof capsRequestSchema>;
export type OperatorCapsRequest = z.output<typeof operatorCapsRequestSchema>;
export type CapsResponse = z.output<typeof capsResponseSchema>;
export type CapEffect = z.output<typeof capEffectSchema>;
export type ConsentResponse = z.output<typeof consentResponseSchema>;
export type NotificationsRequest = z.output<typeof notificationsRequestSchema>;
export type NotificationsResponse = z.output<typeof notificationsResponseSchema>;
export type UsageResponse = z.output<typeof usageResponseSchema>;
export type Problem = z.output<typeof problemSchema>;
export type SubscriberSearchResponse = z.output<typeof subscriberSearchResponseSchema>;
export type PseudonymLookupResponse = z.output<typeof pseudonymLookupResponseSchema>;
export type ResendResponse = z.output<typeof resendResponseSchema>;
export type ProfileRequest = z.output<typeof subscriberProfileRequestSchema>;

/** Request bodies by component name (OpenAPI `components.schemas`), rendered as clients send them (defaults optional). */
export const REQUEST_COMPONENTS = {
  SubscriberProfileInput: subscriberProfileRequestSchema,
  CapsChange: capsRequestSchema,
  OperatorCapsChange: operatorCapsRequestSchema,
  ConsentToContinue: consentRequestSchema,
  OperatorConsentToContinue: operatorConsentRequestSchema,
  NotificationChannelsChange: notificationsRequestSchema,
  OperatorNotificationChannelsChange: operatorNotificationsRequestSchema,
  ResendLastMessage: resendRequestSchema,
  ConsentStatement: consentStatementSchema,
} as const;

/** Response bodies (and their named parts) by component name, rendered as the API sends them (defaults applied). */
export const RESPONSE_COMPONENTS = {
  SubscriberProfile: subscriberProfileResponseSchema,
  SubscriberSearch: subscriberSearchResponseSchema,
  Caps: capsResponseSchema,
  SpendCap: capSchema,
  CapEffect: capEffectSchema,
  Consent: consentResponseSchema,
  NotificationChannels: notificationsResponseSchema,
  Usage: usageResponseSchema,
  AuditEntry: auditEntrySchema,
  PseudonymLookup: pseudonymLookupResponseSchema,
  Resent: resendResponseSchema,
  Problem: problemSchema,
  FieldError: fieldErrorSchema,
  SpendBucket: bucketSchema,
} as const;

// The audit trail is returned as the workflow recorded it: a compile error here means the port changed.
type Assignable<T extends U, U> = T;
export type AuditEntriesMatchPort = Assignable<AuditEntry, z.output<typeof auditEntrySchema>>;
export type ConsentStatementMatchesPort = Assignable<z.output<typeof consentStatementSchema>, ConsentStatement>;
