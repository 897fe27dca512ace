import { messageContextFor, messageSubject, renderMessage, type MessageRequest } from '../domain/messages.js';
import type { PolicySettings } from '../domain/model.js';
import { noticesOf, recipientsOf } from '../domain/policy.js';
import type { Clock } from '../ports/clock.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { UsageStore } from '../ports/usage-store.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import type { NotificationPlan, PlanInput, PlannedMessage } from './payloads.js';
import { UnknownSubscriberError } from './reconcile-line.js';

export interface PlanDeps {
  readonly profiles: Pick<ProfileStore, 'get'>;
  /** Where the subscriber is, for the price in a roaming cap message that no usage event caused. */
  readonly usage: Pick<UsageStore, 'load'>;
  readonly settings: PolicySettings;
  /** Where BILL_SHOCK_ALERT goes: the ops topic ARN in AWS, the outbox's name locally. */
  readonly opsAddress: string;
  readonly clock: Clock;
}

/**
 * "Plan notifications": after the line is reconciled, which messages the request calls for (the domain's
 * `noticesOf`), to whom (the subscriber's channels), with every text rendered in the subscriber's language.
 * The rest of the workflow only sends them.
 */
export async function planNotifications(input: PlanInput, deps: PlanDeps): Promise<NotificationPlan> {
  const { line, ...request } = input;
  const profile = await deps.profiles.get(request.subscriberId);
  if (profile === undefined) throw new UnknownSubscriberError('subscriberId: unknown subscriber (no profile)');
  const { notices, skipped } = noticesOf(request, line, profile, deps.clock.now().getTime());
  let servingMcc: string | undefined;
  if (request.servingPlmn === undefined && notices.some((n) => n.bucket === 'roaming')) {
    servingMcc = (await deps.usage.load(request.subscriberId, [])).state.servingMcc;
  }
  const origin = { subscriberId: request.subscriberId, period: request.period, crossingId: request.crossingId };
  const notifications: PlannedMessage[] = [];
  for (const notice of notices) {
    const about: MessageRequest = { ...request, kind: notice.kind, ...(notice.bucket !== undefined && { bucket: notice.bucket }) };
    // Ops messages name the subscriber by its pseudonym: they leave the account by e-mail or chat.
    const context = messageContextFor(about, profile, deps.settings, servingMcc, pseudonymOf(profile.subscriberId));
    for (const to of recipientsOf(notice.kind, profile, deps.opsAddress)) {
      notifications.push({
        ...origin,
        ...(profile.accountId !== undefined && { accountId: profile.accountId }),
        kind: to.kind,
        channel: to.channel,
        to: to.to,
        text: renderMessage(to.kind, profile.locale, context, to.channel),
        ...(to.channel !== 'sms' && { subject: messageSubject(to.kind, profile.locale) }),
      });
    }
  }
  return { ...(skipped !== undefined && { skipped }), notifications };
}
