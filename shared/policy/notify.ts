import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';
import type { Notifier } from '../ports/notifier.js';
import type { NotificationOutcome, PlannedMessage } from './payloads.js';

export interface NotifyDeps {
  readonly notifier: Notifier;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/**
 * Sends one planned notification once. The guard (PENDING before, DONE after) makes a second delivery of
 * the same request, or a retried task, a no-op once the first one completed. What is left at least once:
 * a crash between the provider accepting the message and DONE being written sends it again on retry
 * (SNS has no idempotency key for SMS); that window is one Lambda invocation wide.
 */
/** What names a planned message in the audit trail, sent or failed. */
export function messageAuditFields(message: PlannedMessage, at: string) {
  return { subscriberId: message.subscriberId, at, period: message.period, crossingId: message.crossingId, kind: message.kind, channel: message.channel };
}

export async function sendPlannedNotification(message: PlannedMessage, deps: NotifyDeps): Promise<NotificationOutcome> {
  const at = deps.clock.now().toISOString();
  const key = { subscriberId: message.subscriberId, period: message.period, crossingId: message.crossingId, action: `notify-${message.kind}-${message.channel}` };
  if ((await deps.audit.begin(key, at)) === 'DONE') return 'ALREADY_SENT';
  const sent = await deps.notifier.send({
    subscriberId: message.subscriberId,
    ...(message.accountId !== undefined && { accountId: message.accountId }),
    kind: message.kind,
    channel: message.channel,
    to: message.to,
    text: message.text,
    ...(message.subject !== undefined && { subject: message.subject }),
    at,
  });
  await deps.audit.complete(key, {
    type: 'NOTIFICATION',
    ...messageAuditFields(message, at),
    to: message.to,
    text: message.text,
    ...(sent.messageId !== undefined && { messageId: sent.messageId }),
  });
  return 'SENT';
}
