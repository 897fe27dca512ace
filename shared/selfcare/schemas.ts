/**
 * Request and response bodies of the self-care and admin API, in zod: the handler validates with them and
 * the OpenAPI document (docs/openapi.json) is generated from them, so the two cannot drift apart.
 *
 * Profiles reuse the contract schema (subscriber.v1) as it is; the other bodies reuse its rule texts
 * (`integerAtLeast`, `rule`) so that an error reads the same whichever endpoint it comes from.
 */
import * as z from 'zod';
import { CARRIER_COMMANDS, CHANNELS, NOTIFICATION_KINDS, POLICY_KINDS } from '../domain/model.js';
import { subscriberProfileSchema } from '../domain/subscriber-schema.js';
import { integerAtLeast, rule } from '../domain/validation.js';
import type { AuditEntry } from '../ports/audit-log.js';

export const fieldErrorSchema = z
  .object({
    path: z.string().meta({ description: 'Dotted path of the field at fault, e.g. `roamingCap.limitMicros`; `body` for the whole body.' }),
    message: z.string().meta({ description: 'The rule the field breaks, e.g. `must be an integer >= 0`.' }),
  })
  ;

export const errorResponseSchema = z
  .object({
    error: z.string(),
    fields: z.array(fieldErrorSchema).optional().meta({ description: 'Present on 400: every field at fault.' }),
  })
  ;

export const bucketSchema = z.enum(['roaming', 'overage'], rule('must be one of roaming, overage')).meta({
  description: '`roaming`: charges on foreign networks, against roamingCap; `overage`: out-of-bundle charges at home, against overageCap.',
});

/** A profile as stored and returned: subscriber.v1 with every default applied. */
export const subscriberProfileResponseSchema = subscriberProfileSchema.meta({
  description: 'Subscriber profile (contract subscriber.v1) with every default applied.',
});

/** PUT body: subscriber.v1, where `subscriberId` may be left out (the path names the subscriber). */
export const subscriberProfileRequestSchema = subscriberProfileSchema
  .extend({ subscriberId: subscriberProfileSchema.shape.subscriberId.optional() })
  .meta({
    description:
      'Subscriber profile (contract subscriber.v1). `subscriberId` may be omitted; when present it must equal the id in the path.',
  });

const capChangeSchema = z.strictObject(
  {
    enabled: z.boolean(rule('must be true or false')).optional().meta({
      description: 'false opts out of the cut-off (and of the warnings about it); needs `optOutConsent: true`.',
    }),
    limitMicros: integerAtLeast(0).optional().meta({ description: 'Spend limit per billing period, integer micro-units, excluding VAT.' }),
  },
  rule('must be an object'),
);

export const capsRequestSchema = z
  .strictObject(
    {
      roamingCap: capChangeSchema.optional(),
      overageCap: capChangeSchema.optional(),
      optOutConsent: z.boolean(rule('must be true or false')).optional().meta({
        description: "The subscriber's explicit consent to opt out of a cap; required (true) whenever a cap is set to enabled: false.",
      }),
    },
    rule('must be a JSON object'),
  )
  .meta({
    description: 'Fields left out keep their current value. Takes effect at once on the current billing period.',
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
  ;

export const consentRequestSchema = z
  .strictObject({ bucket: bucketSchema }, rule('must be a JSON object'))
  .meta({ description: 'Continue past the cap of this bucket for the rest of the current billing period.' });

export const consentResponseSchema = z
  .object({
    subscriberId: z.string(),
    period: z.string(),
    bucket: bucketSchema,
    consent: z.literal(true),
    effects: z.array(capEffectSchema),
  })
  ;

export const notificationsRequestSchema = z
  .strictObject(
    {
      sms: z.boolean(rule('must be true or false')).optional(),
      email: z.boolean(rule('must be true or false')).optional(),
    },
    rule('must be a JSON object'),
  )
  .meta({ description: 'Channels left out keep their current value.' });

export const notificationsResponseSchema = z
  .object({ subscriberId: z.string(), sms: z.boolean(), email: z.boolean() })
  ;

export const periodQuerySchema = z
  .string(rule('must be a date YYYY-MM-DD'))
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .meta({ description: "Billing period id: its start date (YYYY-MM-DD, on the plan's billing cycle day). Default: the current period." });

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

/** The audit trail as the policy workflow records it (shared/ports/audit-log.ts `AuditEntry`). */
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
  ])
  .meta({ description: 'One notification sent (or failed), carrier command issued, un-bar scheduled, or line reconcile failed.' });

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
    audit: z.array(auditEntrySchema).meta({ description: 'Notifications sent and carrier commands issued in the period (re-consultable).' }),
  })
  ;

export type CapsRequest = z.output<typeof capsRequestSchema>;
export type CapsResponse = z.output<typeof capsResponseSchema>;
export type CapEffect = z.output<typeof capEffectSchema>;
export type ConsentResponse = z.output<typeof consentResponseSchema>;
export type NotificationsRequest = z.output<typeof notificationsRequestSchema>;
export type NotificationsResponse = z.output<typeof notificationsResponseSchema>;
export type UsageResponse = z.output<typeof usageResponseSchema>;
export type ErrorResponse = z.output<typeof errorResponseSchema>;

/** Request bodies by component name (OpenAPI `components.schemas`), rendered as clients send them (defaults optional). */
export const REQUEST_COMPONENTS = {
  SubscriberProfileInput: subscriberProfileRequestSchema,
  CapsChange: capsRequestSchema,
  ConsentToContinue: consentRequestSchema,
  NotificationChannelsChange: notificationsRequestSchema,
} as const;

/** Response bodies (and their named parts) by component name, rendered as the API sends them (defaults applied). */
export const RESPONSE_COMPONENTS = {
  SubscriberProfile: subscriberProfileResponseSchema,
  Caps: capsResponseSchema,
  SpendCap: capSchema,
  CapEffect: capEffectSchema,
  Consent: consentResponseSchema,
  NotificationChannels: notificationsResponseSchema,
  Usage: usageResponseSchema,
  AuditEntry: auditEntrySchema,
  Error: errorResponseSchema,
  FieldError: fieldErrorSchema,
  SpendBucket: bucketSchema,
} as const;

// The audit trail is returned as the workflow recorded it: a compile error here means the port changed.
type Assignable<T extends U, U> = T;
export type AuditEntriesMatchPort = Assignable<AuditEntry, z.output<typeof auditEntrySchema>>;
