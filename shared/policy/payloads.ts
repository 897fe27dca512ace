/**
 * What flows between the states of the policy workflow (JSON in the execution, parsed by each handler).
 * Every task input is validated: a definition and a handler that drifted apart fail loudly, naming the field.
 */
import * as z from 'zod';
import type { LineOutcome } from '../domain/caps.js';
import { CHANNELS, NOTIFICATION_KINDS, POLICY_KINDS, SPEND_BUCKETS as BUCKETS, type PolicyRequest } from '../domain/model.js';

const isoDateTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an RFC 3339 date-time' });
const periodId = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' });
const text = z.string().min(1);

export const policyRequestSchema = z.object({
  kind: z.enum(POLICY_KINDS),
  subscriberId: z.string().min(1).max(64),
  period: periodId,
  crossingId: text,
  at: isoDateTime,
  bucket: z.enum(BUCKETS).optional(),
  barId: text.optional(),
  servingPlmn: z.string().regex(/^[0-9]{5,6}$/).optional(),
  spentMicros: z.number().int().min(0).optional(),
  cause: z.object({ shardId: text, sequenceNumber: text }).optional(),
}) satisfies z.ZodType<PolicyRequest>;

const barSchema = z.object({
  id: text,
  bucket: z.enum(BUCKETS),
  period: periodId,
  placedAt: isoDateTime,
  until: isoDateTime,
  reason: text,
});

/** Output of "Reconcile line" (absent buckets: the request changes no bar). */
export const lineOutcomeSchema = z.object({
  at: isoDateTime,
  period: periodId,
  buckets: z.array(
    z.object({
      bucket: z.enum(BUCKETS),
      change: z.enum(['PLACED', 'LIFTED', 'KEPT', 'NONE']),
      bar: barSchema.optional(),
    }),
  ),
});

/** Input of "Plan notifications": the request, with what "Reconcile line" did to the line. */
export const planInputSchema = policyRequestSchema.extend({ line: lineOutcomeSchema }) satisfies z.ZodType<PlanInput>;
export type PlanInput = PolicyRequest & { readonly line: LineOutcome };

/** One side effect's identity: the subscriber, the period and the request that caused it. */
const origin = {
  subscriberId: z.string().min(1),
  period: periodId,
  crossingId: text,
};

export const plannedMessageSchema = z.object({
  ...origin,
  accountId: z.string().optional(),
  kind: z.enum(NOTIFICATION_KINDS),
  channel: z.enum(CHANNELS),
  to: text,
  text,
  subject: z.string().optional(),
});
export type PlannedMessage = z.infer<typeof plannedMessageSchema>;

/** Output of "Plan notifications": the messages the Map sends. */
export interface NotificationPlan {
  /** Why the request leads to no message (or to fewer than its kind would), for the execution output. */
  readonly skipped?: string;
  readonly notifications: PlannedMessage[];
}

/** What a Catch puts at its ResultPath. `Cause` is the error message (locally) or Lambda's JSON error (in AWS). */
const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const reportFailureInputSchema = z.discriminatedUnion('failure', [
  z.object({ failure: z.literal('line'), request: policyRequestSchema, error: caughtErrorSchema }),
  z.object({ failure: z.literal('notification'), message: plannedMessageSchema, error: caughtErrorSchema }),
]);
export type ReportFailureInput = z.infer<typeof reportFailureInputSchema>;

/** Task results that the Map aggregates: the definition looks for FAILED among them. */
export type NotificationOutcome = 'SENT' | 'ALREADY_SENT' | 'FAILED';

/** Parses a task input, naming every field at fault. */
export function parseTaskInput<T>(schema: z.ZodType<T>, input: unknown, task: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  throw new TypeError(`${task}: invalid input: ${issues}`);
}
