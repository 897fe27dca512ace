import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';
import { subscriberKeyOf, type Notifier } from '../ports/notifier.js';
import { redactIdentifiers } from '../privacy/pseudonym.js';
import { messageAuditFields } from './notify.js';
import type { ReportFailureInput } from './payloads.js';

export interface ReportFailureDeps {
  readonly notifier: Notifier;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** Lambda puts `{"errorType","errorMessage","trace"}` in Cause; the local runner puts the message itself. */
export function causeMessageOf(cause: string | undefined): string {
  if (cause === undefined) return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null) {
      const message = (parsed as Record<string, unknown>).errorMessage;
      if (typeof message === 'string') return message;
    }
  } catch {
    // Not JSON: the message itself.
  }
  return cause;
}

/**
 * After the last retry: an ops alert (with the subscriber's pseudonym, never the id or the number) and, for
 * a message, a failed-notification audit entry, so the failure is visible to operations and in the
 * subscriber's trail. The state machine then fails the execution.
 */
export async function reportFailure(input: ReportFailureInput, deps: ReportFailureDeps): Promise<'FAILED'> {
  const at = deps.clock.now().toISOString();
  const origin = input.failure === 'line' ? input.request : input.message;
  // A provider's error may quote what it refused (the phone number, the address): never past this point.
  const error = redactIdentifiers(`${input.error.Error}: ${causeMessageOf(input.error.Cause)}`, {
    subscriberId: origin.subscriberId,
    others: input.failure === 'notification' ? [input.message.to] : [],
  }).slice(0, 1000);
  const subscriberKey = subscriberKeyOf(origin.subscriberId);
  if (input.failure === 'line') {
    const { request } = input;
    await deps.audit.record({
      type: 'LINE_FAILED',
      subscriberId: request.subscriberId,
      at,
      period: request.period,
      crossingId: request.crossingId,
      kind: request.kind,
      error,
    });
    await deps.notifier.alertOps({
      subject: `spendcap: line reconcile failed (${request.kind})`,
      text: [
        `Bringing the line's bars in line with the caps failed after its retries (${request.kind}); the line may not be in the state the caps require.`,
        'No bar is sent before its lift at the period end is scheduled; a command refused by the carrier left the line as it was.',
        `subscriber key: ${subscriberKey}`,
        `period: ${request.period}`,
        `request: ${request.crossingId}`,
        `error: ${error}`,
      ].join('\n'),
      at,
      subscriberKey,
    });
  } else {
    const { message } = input;
    await deps.audit.record({
      type: 'NOTIFICATION_FAILED',
      ...messageAuditFields(message, at),
      error,
    });
    await deps.notifier.alertOps({
      subject: `spendcap: ${message.kind} ${message.channel} notification failed`,
      text: [
        `The ${message.channel} notification ${message.kind} could not be sent.`,
        `subscriber key: ${subscriberKey}`,
        `period: ${message.period}`,
        `crossing: ${message.crossingId}`,
        `error: ${error}`,
      ].join('\n'),
      at,
      subscriberKey,
    });
  }
  return 'FAILED';
}
