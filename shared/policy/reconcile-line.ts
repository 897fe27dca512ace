/**
 * "Reconcile the line": brings the carrier bars of a subscriber in line with what the counters, the caps
 * and the consent require now (`mustBar`, shared/domain/caps.ts). Every request that can change one of
 * those inputs runs it: a cap crossing (ingest), a caps or consent change (self-care, provisioning), the
 * end of a bar's period (the scheduled CAP_RESET, or the sweep that finds an overdue bar).
 *
 * Why it is right whatever the order of events:
 * - Decisions are serialized per subscriber by a lease on the line: read the inputs, send the command,
 *   record the bar, in that order, one holder at a time. Every change of an input is followed by its own
 *   reconcile that reads after the change, so the last reconcile sees the last inputs.
 * - A bar has an identity (period, request, bucket). A CAP_RESET lifts only the bar it was scheduled for;
 *   a bar is never replaced by one of an earlier period.
 * - The lift of a bar is scheduled before the bar is sent: no bar goes out without its end.
 * - A command is written as pending before it is sent and cleared when its outcome is recorded; whoever
 *   holds the lease next finishes a pending command first (the carrier may have accepted it). Commands
 *   carry an idempotency key per bar, and an audit guard per bar and command, so a resend acts once.
 */
import { createHash } from 'node:crypto';
import { barIdOf, CAPS, capOfKind, mustBar, type BucketOutcome, type LineBars, type LineOutcome } from '../domain/caps.js';
import { emptyCounters } from '../domain/counters.js';
import type { Bar, CarrierCommand, PolicyRequest, SpendBucketName } from '../domain/model.js';
import { SPEND_BUCKETS } from '../domain/model.js';
import { billingPeriodOf } from '../domain/periods.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { BarStore, LineState, PendingCommand } from '../ports/bar-store.js';
import { CARRIER_REJECTED_ERROR, type CarrierGateway } from '../ports/carrier-gateway.js';
import type { Clock } from '../ports/clock.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { UnbarScheduler } from '../ports/unbar-scheduler.js';
import type { UsageStore } from '../ports/usage-store.js';
import { keyedDigest } from '../privacy/pseudonym.js';
import { POLICY_ERRORS } from './workflow-states.js';

export interface ReconcileDeps {
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly usage: Pick<UsageStore, 'load'>;
  readonly line: BarStore;
  readonly carrier: CarrierGateway;
  readonly scheduler: UnbarScheduler;
  readonly audit: AuditLog;
  /** The domain's time: what "now" and "the current period" are (virtual in the replay). */
  readonly clock: Clock;
  /** Wall clock (epoch ms) of the lease, a matter of crashed processes, not of the domain's time. */
  readonly wallClockMs?: () => number;
  /**
   * How long a lease holds before another workflow may take it over (a holder that crashed).
   * Longer than one reconcile (task timeout), short enough that a crash delays the next one little.
   * @default 90_000
   */
  readonly leaseMs?: number;
}

/** Another workflow holds the line (or took it over): the state machine retries with backoff. */
export class LineBusyError extends Error {
  override readonly name = POLICY_ERRORS.lineBusy;
}

/** A request for a subscriber with no profile: nothing sensible can be decided, so the execution fails visibly. */
export class UnknownSubscriberError extends Error {
  override readonly name = POLICY_ERRORS.unknownSubscriber;
}

/** The buckets whose bars a request may change: none for welcomes, warnings and alerts. */
export function bucketsToReconcile(request: PolicyRequest): SpendBucketName[] {
  if (request.kind === 'CAP_RESET') return request.bucket === undefined ? [] : [request.bucket];
  if (request.kind === 'CAPS_CHANGED') return request.bucket === undefined ? [...SPEND_BUCKETS] : [request.bucket];
  const cap = capOfKind(request.kind);
  return cap !== undefined && cap.capKind === request.kind ? [cap.bucket] : [];
}

/**
 * Deterministic per subscriber, bar and command: what lets the carrier drop a resend. Keyed (the carrier's
 * logs and the audit trail keep it), so that it cannot be traced back to the subscriber id by trying ids.
 */
export function idempotencyKeyOf(subscriberId: string, barId: string, command: CarrierCommand): string {
  return keyedDigest([subscriberId, barId, command], 32);
}

/** The lease owner of a request: one per workflow execution (the execution name is made of the same parts). */
function ownerOf(request: PolicyRequest): string {
  return createHash('sha256').update(`${request.kind}\u0000${request.period}\u0000${request.crossingId}`).digest('hex').slice(0, 24);
}

/** The request that lifts `bar` at the end of its period. */
export function capResetOf(subscriberId: string, bar: Bar): PolicyRequest {
  return { kind: 'CAP_RESET', subscriberId, period: bar.period, crossingId: `CAP_RESET#${bar.id}`, at: bar.until, bucket: bar.bucket, barId: bar.id };
}

export async function reconcileLine(request: PolicyRequest, deps: ReconcileDeps): Promise<LineOutcome> {
  const buckets = bucketsToReconcile(request);
  const at = deps.clock.now().toISOString();
  if (buckets.length === 0) return { at, period: request.period, buckets: [] };

  const { subscriberId } = request;
  const owner = ownerOf(request);
  const wallNow = (deps.wallClockMs ?? Date.now)();
  const acquired = await deps.line.acquire(subscriberId, owner, wallNow, wallNow + (deps.leaseMs ?? 90_000));
  if (acquired === undefined) throw new LineBusyError('another workflow holds the line; retried');
  let committed = false;
  // The bars as far as the carrier has accepted commands: what is recorded if a command is refused.
  const bars: { [B in SpendBucketName]?: Bar } = { ...acquired.bars };
  try {
    await finishPending(subscriberId, owner, acquired, bars, deps);
    const profile = await deps.profiles.get(subscriberId);
    if (profile === undefined) throw new UnknownSubscriberError('subscriberId: unknown subscriber (no profile)');
    const current = billingPeriodOf(at, profile.plan);
    const counters = (await deps.usage.load(subscriberId, [current.id])).counters.get(current.id)?.counters ?? emptyCounters(subscriberId, current.id);

    const outcomes: BucketOutcome[] = [];
    for (const bucket of buckets) {
      const inForce = bars[bucket];
      if (request.kind === 'CAP_RESET' && inForce?.id !== request.barId) {
        // Its bar was lifted already (consent, a raised limit, an earlier reset) or replaced: not its business.
        outcomes.push({ bucket, change: 'NONE' });
        continue;
      }
      if (mustBar(profile, counters, bucket)) {
        // A bar of this period (or, with a clock behind the record, of a later one) stays as it is.
        if (inForce !== undefined && inForce.period >= current.id) {
          outcomes.push({ bucket, change: 'KEPT', bar: inForce });
          continue;
        }
        const bar: Bar = {
          id: barIdOf(current.id, request.crossingId, bucket),
          bucket,
          period: current.id,
          placedAt: at,
          until: current.end,
          reason: request.crossingId,
        };
        await scheduleLift(subscriberId, bar, at, deps);
        await send(subscriberId, owner, { command: CAPS[bucket].barCommand, bar, reason: request.crossingId }, at, deps);
        bars[bucket] = bar;
        outcomes.push({ bucket, change: 'PLACED', bar });
      } else if (inForce !== undefined && inForce.period <= current.id) {
        await send(subscriberId, owner, { command: CAPS[bucket].unbarCommand, bar: inForce, reason: request.crossingId }, at, deps);
        delete bars[bucket];
        outcomes.push({ bucket, change: 'LIFTED', bar: inForce });
      } else {
        outcomes.push(inForce === undefined ? { bucket, change: 'NONE' } : { bucket, change: 'KEPT', bar: inForce });
      }
    }
    if (!(await deps.line.commit(subscriberId, owner, bars))) throw new LineBusyError('the line lease was lost before the outcome was recorded; retried');
    committed = true;
    return { at, period: current.id, buckets: outcomes };
  } catch (e: unknown) {
    // A refused command did not change the line: record what did, so that its pending mark does not
    // make every later decision send it again. The execution still fails, and operations are alerted.
    if (e instanceof Error && e.name === CARRIER_REJECTED_ERROR) committed = await deps.line.commit(subscriberId, owner, bars).catch(() => false);
    throw e;
  } finally {
    if (!committed) await deps.line.release(subscriberId, owner).catch(() => undefined);
  }
}

/**
 * Commands left pending by a holder that crashed after writing them: sent again (the carrier drops a
 * repeat by its key, the audit guard records it once), then taken as done in `bars`.
 */
async function finishPending(
  subscriberId: string,
  owner: string,
  state: LineState,
  bars: { [B in SpendBucketName]?: Bar },
  deps: ReconcileDeps,
): Promise<void> {
  const at = deps.clock.now().toISOString();
  for (const bucket of SPEND_BUCKETS) {
    const pending = state.pending[bucket];
    if (pending === undefined) continue;
    await send(subscriberId, owner, pending, at, deps);
    if (pending.command === CAPS[bucket].barCommand) bars[bucket] = pending.bar;
    else if (bars[bucket]?.id === pending.bar.id) delete bars[bucket];
  }
}

async function scheduleLift(subscriberId: string, bar: Bar, at: string, deps: ReconcileDeps): Promise<void> {
  const key = { subscriberId, period: bar.period, crossingId: bar.id, action: 'schedule-lift' };
  if ((await deps.audit.begin(key, at)) === 'DONE') return;
  const reset = capResetOf(subscriberId, bar);
  const { name } = await deps.scheduler.schedule(bar, reset);
  await deps.audit.complete(key, {
    type: 'UNBAR_SCHEDULED',
    subscriberId,
    at,
    period: bar.period,
    crossingId: bar.reason,
    bucket: bar.bucket,
    barId: bar.id,
    runAt: bar.until,
    scheduleName: name,
  });
}

/** Sends one command once: pending on the line first, then the carrier, then its audit entry. */
async function send(subscriberId: string, owner: string, pending: PendingCommand, at: string, deps: ReconcileDeps): Promise<void> {
  const { command, bar, reason } = pending;
  if (!(await deps.line.markPending(subscriberId, owner, bar.bucket, pending))) {
    throw new LineBusyError('the line lease was lost before the command was sent; retried');
  }
  const key = { subscriberId, period: bar.period, crossingId: bar.id, action: command };
  if ((await deps.audit.begin(key, at)) === 'DONE') return;
  const idempotencyKey = idempotencyKeyOf(subscriberId, bar.id, command);
  const places = command === CAPS[bar.bucket].barCommand;
  await deps.carrier.send(command, {
    subscriberId,
    idempotencyKey,
    at,
    reason,
    ...(places && { barEndsAt: bar.until }),
  });
  await deps.audit.complete(key, {
    type: 'CARRIER_COMMAND',
    subscriberId,
    at,
    period: bar.period,
    crossingId: reason,
    command,
    barId: bar.id,
    reason,
    idempotencyKey,
    status: 'DONE',
  });
}

/** Bars in force after an outcome (for callers that display it). */
export function barsAfter(outcome: LineOutcome): LineBars {
  const bars: { [B in SpendBucketName]?: Bar } = {};
  for (const o of outcome.buckets) if ((o.change === 'PLACED' || o.change === 'KEPT') && o.bar !== undefined) bars[o.bucket] = o.bar;
  return bars;
}
