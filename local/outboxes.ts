/**
 * Outbox adapters for the local runtime and the tests: they implement the notifier, carrier gateway and
 * un-bar scheduler ports by recording what would have been sent, in order. The carrier and notification
 * outboxes can be told to fail their next calls, transiently or permanently, to exercise the state
 * machine's Retry and Catch.
 */
import type { Bar, CarrierCommand, Channel, NotificationKind, PolicyRequest } from '../shared/domain/model.js';
import { unbarScheduleNameOf } from '../shared/adapters/scheduler-unbar.js';
import {
  CarrierRejectedError,
  CarrierTransientError,
  type CarrierCommandRequest,
  type CarrierGateway,
} from '../shared/ports/carrier-gateway.js';
import {
  NotificationRejectedError,
  NotificationTransientError,
  type Notifier,
  type OpsAlert,
  type OutboundNotification,
  type SentNotification,
} from '../shared/ports/notifier.js';
import type { UnbarScheduler } from '../shared/ports/unbar-scheduler.js';

export type FailureMode = 'transient' | 'permanent';

/** What the replay report lists under `notifications` (plus the e-mail subject and the account). */
export interface RecordedNotification {
  readonly subscriberId: string;
  readonly kind: NotificationKind;
  readonly channel: Channel;
  readonly to: string;
  readonly text: string;
  readonly at: string;
  readonly subject?: string;
  readonly accountId?: string;
}

export interface RecordedOpsAlert {
  readonly subject: string;
  readonly text: string;
  readonly at: string;
  readonly subscriberKey?: string;
}

/** What the replay report lists under `carrierCommands` (plus the idempotency key). */
export interface RecordedCommand {
  readonly subscriberId: string;
  readonly command: CarrierCommand;
  readonly at: string;
  readonly reason: string;
  readonly idempotencyKey: string;
  /** For a bar: the end of its period. */
  readonly barEndsAt?: string;
}

/** Planned failures of the next calls, consumed one per call. */
class FailurePlan {
  private queue: FailureMode[] = [];

  add(count: number, mode: FailureMode): void {
    for (let i = 0; i < count; i++) this.queue.push(mode);
  }

  next(): FailureMode | undefined {
    return this.queue.shift();
  }

  clear(): void {
    this.queue = [];
  }
}

type Listener<T> = (item: T) => void;

export class NotificationOutbox implements Notifier {
  private readonly sent: RecordedNotification[] = [];
  private readonly alerts: RecordedOpsAlert[] = [];
  private readonly listeners: Listener<RecordedNotification>[] = [];
  private readonly failures = new FailurePlan();
  private sequence = 0;

  /** The next `count` sends (not ops alerts) fail: `transient` is retried by the state machine, `permanent` is not. */
  failNext(count: number, mode: FailureMode = 'transient'): void {
    this.failures.add(count, mode);
  }

  onNotification(listener: Listener<RecordedNotification>): void {
    this.listeners.push(listener);
  }

  async send(notification: OutboundNotification): Promise<SentNotification> {
    const failure = this.failures.next();
    if (failure === 'transient') throw new NotificationTransientError('outbox: planned transient failure');
    if (failure === 'permanent') throw new NotificationRejectedError('outbox: planned permanent failure');
    const recorded: RecordedNotification = {
      subscriberId: notification.subscriberId,
      kind: notification.kind,
      channel: notification.channel,
      to: notification.to,
      text: notification.text,
      at: notification.at,
      ...(notification.subject !== undefined && { subject: notification.subject }),
      ...(notification.accountId !== undefined && { accountId: notification.accountId }),
    };
    this.sent.push(recorded);
    for (const listener of this.listeners) listener(recorded);
    return { messageId: `local-${++this.sequence}` };
  }

  async alertOps(alert: OpsAlert): Promise<SentNotification> {
    this.alerts.push({ subject: alert.subject, text: alert.text, at: alert.at, ...(alert.subscriberKey !== undefined && { subscriberKey: alert.subscriberKey }) });
    return { messageId: `local-${++this.sequence}` };
  }

  /** Every notification sent, in order. */
  all(): readonly RecordedNotification[] {
    return [...this.sent];
  }

  of(subscriberId: string): RecordedNotification[] {
    return this.sent.filter((n) => n.subscriberId === subscriberId);
  }

  /** Alerts to operations about failures (not subscriber notifications; BILL_SHOCK_ALERT is a notification). */
  opsAlerts(): readonly RecordedOpsAlert[] {
    return [...this.alerts];
  }
}

export class CarrierOutbox implements CarrierGateway {
  private readonly accepted: RecordedCommand[] = [];
  private readonly listeners: Listener<RecordedCommand>[] = [];
  private readonly failures = new FailurePlan();
  private attemptCount = 0;

  /** The next `count` commands fail: `transient` -> CarrierTransientError (retried), `permanent` -> CarrierRejectedError. */
  failNext(count: number, mode: FailureMode = 'transient'): void {
    this.failures.add(count, mode);
  }

  onCommand(listener: Listener<RecordedCommand>): void {
    this.listeners.push(listener);
  }

  /** Calls received, failed ones included. */
  get attempts(): number {
    return this.attemptCount;
  }

  send(command: CarrierCommand, request: CarrierCommandRequest): Promise<void> {
    return this.receive(command, request);
  }

  /** Every command the carrier accepted, in order (a repeat with the same key is recorded again: no hiding). */
  all(): readonly RecordedCommand[] {
    return [...this.accepted];
  }

  of(subscriberId: string): RecordedCommand[] {
    return this.accepted.filter((c) => c.subscriberId === subscriberId);
  }

  private async receive(command: CarrierCommand, request: CarrierCommandRequest): Promise<void> {
    this.attemptCount++;
    const failure = this.failures.next();
    if (failure === 'transient') throw new CarrierTransientError(`${command}: outbox: planned transient failure`);
    if (failure === 'permanent') throw new CarrierRejectedError(`${command}: outbox: planned permanent failure`);
    const recorded: RecordedCommand = {
      subscriberId: request.subscriberId,
      command,
      at: request.at,
      reason: request.reason,
      idempotencyKey: request.idempotencyKey,
      ...(request.barEndsAt !== undefined && { barEndsAt: request.barEndsAt }),
    };
    this.accepted.push(recorded);
    for (const listener of this.listeners) listener(recorded);
  }
}

/** A CAP_RESET waiting for its time (the local runtime's virtual clock runs it). */
export interface ScheduledUnbar {
  readonly name: string;
  /** ISO UTC: the end of the bar's period. */
  readonly at: string;
  readonly request: PolicyRequest;
}

/**
 * The local EventBridge Scheduler: one entry per deterministic schedule name (a second one is
 * ALREADY_SCHEDULED, like Scheduler's ConflictException). Nothing runs by itself: the runtime takes the
 * due entries when its virtual clock passes them and starts their requests.
 */
export class ScheduleOutbox implements UnbarScheduler {
  private readonly pendingByName = new Map<string, ScheduledUnbar>();
  private readonly history: ScheduledUnbar[] = [];
  private readonly names = new Set<string>();

  private readonly listeners: Listener<ScheduledUnbar>[] = [];
  private readonly failures = new FailurePlan();

  /** The next `count` schedule creations fail (the reconcile must then send no bar). */
  failNext(count: number, mode: FailureMode = 'transient'): void {
    this.failures.add(count, mode);
  }

  /** Sees each schedule created (the local agenda queues its lift). */
  onSchedule(listener: Listener<ScheduledUnbar>): void {
    this.listeners.push(listener);
  }

  /** Forgets a schedule, as if it had been deleted by hand (tests of the sweep). */
  lose(name: string): void {
    this.pendingByName.delete(name);
  }

  async schedule(bar: Bar, request: PolicyRequest): Promise<{ outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; name: string }> {
    const runAt = bar.until;
    if (Number.isNaN(Date.parse(runAt))) throw new Error(`runAt: not a date-time (${runAt})`);
    const failure = this.failures.next();
    if (failure !== undefined) throw Object.assign(new Error(`schedule outbox: planned ${failure} failure`), { name: failure === 'transient' ? 'ThrottlingException' : 'ValidationException' });
    const name = unbarScheduleNameOf(request.subscriberId, bar);
    if (this.names.has(name)) return { outcome: 'ALREADY_SCHEDULED', name };
    const entry: ScheduledUnbar = { name, at: runAt, request };
    this.names.add(name);
    this.pendingByName.set(name, entry);
    this.history.push(entry);
    for (const listener of this.listeners) listener(entry);
    return { outcome: 'SCHEDULED', name };
  }

  /** Not yet taken, earliest first. */
  pending(): ScheduledUnbar[] {
    return [...this.pendingByName.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  /** Every schedule ever created, in creation order. */
  all(): readonly ScheduledUnbar[] {
    return [...this.history];
  }

  /** Time (ms) of the earliest pending schedule. */
  nextDueMs(): number | undefined {
    const first = this.pending()[0];
    return first === undefined ? undefined : Date.parse(first.at);
  }

  /** Removes and returns the earliest schedule due at or before `untilMs` (like Scheduler's ActionAfterCompletion DELETE). */
  takeDue(untilMs: number): ScheduledUnbar | undefined {
    const first = this.pending()[0];
    if (first === undefined || Date.parse(first.at) > untilMs) return undefined;
    this.pendingByName.delete(first.name);
    return first;
  }
}
