import { createHash } from 'node:crypto';
import { capOf } from '../domain/counters.js';
import { messageContextFor, messageSubject, renderMessage } from '../domain/messages.js';
import type { CarrierCommand, PolicySettings, SubscriberProfile } from '../domain/model.js';
import { nextPeriodStart } from '../domain/periods.js';
import { bucketOfKind, planActions } from '../domain/policy.js';
import { barEffectOf, type BarState, type BarStore } from '../ports/bar-store.js';
import { subscriberKeyOf } from '../ports/notifier.js';
import type { PolicyRequest } from '../ports/policy-workflow.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { PlannedCommand, PlannedMessage, PlannedUnbar, PolicyWorkflowPlan } from './payloads.js';
import { POLICY_ERRORS } from './workflow-states.js';

export interface PlanDeps {
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly bars: Pick<BarStore, 'get'>;
  readonly settings: PolicySettings;
  /** Where BILL_SHOCK_ALERT goes: the ops topic ARN in AWS, the outbox's name locally. */
  readonly opsAddress: string;
}

/** A request for a subscriber with no profile: nothing sensible can be sent, so the execution fails visibly. */
export class UnknownSubscriberError extends Error {
  override readonly name = POLICY_ERRORS.unknownSubscriber;
}

/** Deterministic per (subscriber, period, crossing, command): what lets the carrier drop a resend. */
export function idempotencyKeyOf(request: PolicyRequest, command: CarrierCommand): string {
  return createHash('sha256')
    .update(`${request.subscriberId}\u0000${request.period}\u0000${request.crossingId}\u0000${command}`)
    .digest('hex')
    .slice(0, 32);
}

/** The CAP_RESET that lifts, at the next period start, the bar a cap placed in `request.period`. */
export function capResetRequestOf(request: PolicyRequest, profile: SubscriberProfile, bucket: 'roaming' | 'overage'): PolicyRequest {
  return {
    kind: 'CAP_RESET',
    subscriberId: request.subscriberId,
    period: request.period,
    crossingId: `CAP_RESET#${bucket}`,
    at: nextPeriodStart(request.period, profile.plan),
    bucket,
  };
}

type CommandDecision = { readonly command?: CarrierCommand; readonly skipAll?: string; readonly note?: string };

/**
 * What the bars in force change in C's plan: the plan says what a request calls for, the bars say whether
 * the network is already there.
 * - CAP_RESET lifts only a bar placed by a cap of the request's period: with none (lifted by consent, or
 *   replaced by a newer period's bar) there is nothing to do and nothing to tell.
 * - Other un-bars (resume) are skipped when nothing is barred, the message still confirms.
 * - A bar already placed in this period is not sent again (the warning and the schedule still apply).
 */
function decideCommand(request: PolicyRequest, command: CarrierCommand | undefined, bars: BarState): CommandDecision {
  if (request.kind === 'CAP_RESET') {
    const bar = command === undefined ? undefined : bars[barEffectOf(command).bar];
    if (command === undefined || bar === undefined || bar.period !== request.period) {
      return { skipAll: `no cap bar of period ${request.period} in force` };
    }
    return { command };
  }
  if (command === undefined) return {};
  const { bar, placed } = barEffectOf(command);
  const inForce = bars[bar];
  if (!placed && inForce === undefined) return { note: `${command} skipped: no bar in force` };
  if (placed && inForce !== undefined && inForce.period === request.period) return { note: `${command} skipped: already in force` };
  return { command };
}

/**
 * "Plan actions": loads the profile and the bars in force, applies the domain's plan, renders every text in
 * the subscriber's language, and leaves out what must not happen (an opted-out cap's warnings and bar, an
 * un-bar with no bar). The rest of the workflow only executes this plan.
 */
export async function planPolicy(request: PolicyRequest, deps: PlanDeps): Promise<PolicyWorkflowPlan> {
  const profile = await deps.profiles.get(request.subscriberId);
  if (profile === undefined) {
    throw new UnknownSubscriberError(`subscriberId: unknown subscriber (key ${subscriberKeyOf(request.subscriberId)})`);
  }
  const bucket = bucketOfKind(request.kind);
  // Crossings are evaluated when usage is applied; the subscriber may have opted out since.
  if (bucket !== undefined && !capOf(profile, bucket).enabled) {
    return { request, skipped: `${bucket} cap disabled by the subscriber`, notifications: [] };
  }

  const plan = planActions(request, profile, deps.settings, deps.opsAddress);
  const decision = decideCommand(request, plan.command, await deps.bars.get(request.subscriberId));
  if (decision.skipAll !== undefined) return { request, skipped: decision.skipAll, notifications: [] };

  const origin = { subscriberId: request.subscriberId, period: request.period, crossingId: request.crossingId };
  const context = messageContextFor(request, profile, deps.settings);
  const notifications: PlannedMessage[] = plan.notifications.map((n) => ({
    ...origin,
    ...(profile.accountId !== undefined && { accountId: profile.accountId }),
    kind: n.kind,
    channel: n.channel,
    to: n.to,
    text: renderMessage(n.kind, profile.locale, context, n.channel),
    ...(n.channel !== 'sms' && { subject: messageSubject(n.kind, profile.locale) }),
  }));

  const result: { -readonly [K in keyof PolicyWorkflowPlan]: PolicyWorkflowPlan[K] } = { request, notifications };
  if (decision.note !== undefined) result.skipped = decision.note;
  if (decision.command !== undefined) {
    const command: PlannedCommand = {
      ...origin,
      command: decision.command,
      idempotencyKey: idempotencyKeyOf(request, decision.command),
      reason: request.crossingId,
    };
    result.command = command;
  }
  if (plan.scheduleUnbar !== undefined) {
    const reset = capResetRequestOf(request, profile, plan.scheduleUnbar.bucket);
    const unbar: PlannedUnbar = { ...origin, bucket: plan.scheduleUnbar.bucket, runAt: reset.at, request: reset };
    result.unbar = unbar;
  }
  return result;
}

