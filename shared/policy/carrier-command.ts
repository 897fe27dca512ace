import type { AuditLog } from '../ports/audit-log.js';
import { barEffectOf, type BarStore } from '../ports/bar-store.js';
import { sendCarrierCommand, type CarrierGateway } from '../ports/carrier-gateway.js';
import type { Clock } from '../ports/clock.js';
import type { CommandOutcome, PlannedCommand } from './payloads.js';

export interface CarrierCommandDeps {
  readonly carrier: CarrierGateway;
  readonly bars: BarStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/**
 * Sends one carrier command once and records the bar it places or lifts. Carrier errors propagate with
 * their names (`CarrierTransientError`, `CarrierRejectedError`): the state machine retries the first with
 * backoff and reports the rest. A crash after the carrier accepted the command but before DONE resends it
 * with the same idempotency key, which the carrier drops: the command takes effect once.
 */
export async function sendPlannedCommand(planned: PlannedCommand, deps: CarrierCommandDeps): Promise<CommandOutcome> {
  const at = deps.clock.now().toISOString();
  const key = { subscriberId: planned.subscriberId, period: planned.period, crossingId: planned.crossingId, action: planned.command };
  if ((await deps.audit.begin(key, at)) === 'DONE') return 'ALREADY_SENT';
  await sendCarrierCommand(deps.carrier, planned.command, {
    subscriberId: planned.subscriberId,
    idempotencyKey: planned.idempotencyKey,
    at,
    reason: planned.reason,
  });
  // After the carrier accepted it, before DONE: a DONE guard therefore always has its bar recorded.
  const effect = barEffectOf(planned.command);
  if (effect.placed) {
    await deps.bars.place(planned.subscriberId, effect.bar, { period: planned.period, at, reason: planned.reason });
  } else {
    await deps.bars.lift(planned.subscriberId, effect.bar);
  }
  await deps.audit.complete(key, {
    type: 'CARRIER_COMMAND',
    subscriberId: planned.subscriberId,
    at,
    period: planned.period,
    crossingId: planned.crossingId,
    command: planned.command,
    reason: planned.reason,
    idempotencyKey: planned.idempotencyKey,
    status: 'DONE',
  });
  return 'SENT';
}
