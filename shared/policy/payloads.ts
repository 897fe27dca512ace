/**
 * What flows between the states of the policy workflow (JSON in the execution, parsed by each handler).
 * Every task input is validated: a definition and a handler that drifted apart fail loudly, naming the field.
 */
import { z } from 'zod';
import { CARRIER_COMMANDS as COMMANDS, CHANNELS, NOTIFICATION_KINDS, SPEND_BUCKETS as BUCKETS } from '../domain/model.js';
import type { PolicyRequest } from '../ports/policy-workflow.js';

// Every policy kind is also a notification kind: the workflow accepts exactly the report's kinds.
const POLICY_KINDS = NOTIFICATION_KINDS satisfies readonly PolicyRequest['kind'][];

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
  servingPlmn: z.string().regex(/^[0-9]{5,6}$/).optional(),
  spentMicros: z.number().int().min(0).optional(),
});

/** One side effect's identity: the subscriber, the period and the crossing that caused it. */
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

export const plannedCommandSchema = z.object({
  ...origin,
  command: z.enum(COMMANDS),
  /** Deterministic: the carrier drops a repeat of the same command for the same crossing. */
  idempotencyKey: text,
  reason: text,
});
export type PlannedCommand = z.infer<typeof plannedCommandSchema>;

export const plannedUnbarSchema = z.object({
  ...origin,
  bucket: z.enum(BUCKETS),
  /** The next period start (ISO UTC). */
  runAt: isoDateTime,
  /** The CAP_RESET request the schedule starts. */
  request: policyRequestSchema,
});
export type PlannedUnbar = z.infer<typeof plannedUnbarSchema>;

/** Output of "Plan actions": the state the rest of the workflow reads. Absent keys drive the Choices. */
export interface PolicyWorkflowPlan {
  readonly request: PolicyRequest;
  /** Why the request leads to nothing (or to less than its kind would), for the execution output. */
  readonly skipped?: string;
  readonly command?: PlannedCommand;
  readonly unbar?: PlannedUnbar;
  readonly notifications: PlannedMessage[];
}

export const scheduleUnbarInputSchema = z.object({
  unbar: plannedUnbarSchema,
  /** `$$.StateMachine.Id`: passed by the definition, not by configuration (that would be a dependency cycle). */
  stateMachineArn: text,
});
export type ScheduleUnbarInput = z.infer<typeof scheduleUnbarInputSchema>;

/** What a Catch puts at its ResultPath. `Cause` is the error message (locally) or Lambda's JSON error (in AWS). */
const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const reportFailureInputSchema = z.discriminatedUnion('failure', [
  z.object({ failure: z.literal('carrier'), command: plannedCommandSchema, error: caughtErrorSchema }),
  z.object({ failure: z.literal('notification'), message: plannedMessageSchema, error: caughtErrorSchema }),
]);
export type ReportFailureInput = z.infer<typeof reportFailureInputSchema>;

/** Task results that the Map aggregates: the definition looks for FAILED among them. */
export type NotificationOutcome = 'SENT' | 'ALREADY_SENT' | 'FAILED';
export type CommandOutcome = 'SENT' | 'ALREADY_SENT';

/** Parses a task input, naming every field at fault. */
export function parseTaskInput<T>(schema: z.ZodType<T>, input: unknown, task: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  throw new TypeError(`${task}: invalid input: ${issues}`);
}
