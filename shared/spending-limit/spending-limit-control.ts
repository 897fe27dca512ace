/**
 * Spending limit control (Nchf_SpendingLimitControl): a PCF subscribes to the status of a subscriber's policy
 * counters (the caps), gets their current status at once, and is notified of every change: a bar is the
 * status `cap-reached`, sent with the pending `valid` status of the next period start; consent, a raised
 * limit or the period start is `valid`; the subscriber's removal ends the subscription.
 *
 * Notifications carry the counters' status as it is when they are delivered, not as it was when queued: a
 * notification retried late, or overtaken by a newer one, never tells the PCF an outdated status.
 */
import { randomUUID } from 'node:crypto';
import type { SpendBucketName } from '../domain/model.js';
import {
  bucketOfCounter,
  changedStatus,
  COUNTER_STATUS,
  msisdnOfGpsi,
  POLICY_COUNTER_IDS,
  statusAt,
  subscriberIdOfSupi,
  supiOf,
  type CounterStatusValue,
  type PendingStatus,
  type StoredCounterStatus,
} from '../domain/policy-counters.js';
import type { BarStore, LineState } from '../ports/bar-store.js';
import type { Clock } from '../ports/clock.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { SbiNotificationJob, SbiNotificationQueue } from '../ports/sbi-notifications.js';
import type { SpendingLimitStore, SpendingLimitSubscription } from '../ports/spending-limit-store.js';
import { jsonResponse, SbiError, type SbiResponse } from '../sbi/http.js';
import { API_ROOT_PATH, type PolicyCounterInfo, type SpendingLimitContext, type SpendingLimitStatus } from './schemas.js';

export interface SubscriberLookup {
  /** The subscriber whose profile has this E.164 number, if exactly one. */
  findByMsisdn(msisdn: string): Promise<string | undefined>;
}

export interface SpendingLimitDeps {
  readonly store: SpendingLimitStore;
  readonly profiles: Pick<ProfileStore, 'get'>;
  /** For subscriptions that name the subscriber by GPSI only. */
  readonly directory?: SubscriberLookup;
  /** Bars in force: the status of a counter no command has set yet (bars placed before the first subscription). */
  readonly bars?: Pick<BarStore, 'get'>;
  readonly queue: SbiNotificationQueue;
  readonly clock: Clock;
  /** scheme://authority in front of the service, for the Location of a new subscription. @default '' */
  readonly apiRoot?: string;
  /** @default random */
  readonly newId?: () => string;
  /** Status writes racing another command before giving up (the carrier command is then retried). @default 8 */
  readonly maxAttempts?: number;
}

const ALL_COUNTERS: readonly string[] = Object.values(POLICY_COUNTER_IDS);
const NO_BARS: LineState = { bars: {}, pending: {} };

export class SpendingLimitControl {
  private readonly deps: SpendingLimitDeps;

  constructor(deps: SpendingLimitDeps) {
    this.deps = deps;
  }

  /** POST /subscriptions: 201 with the current status of the counters and the subscription's Location. */
  async subscribe(context: SpendingLimitContext): Promise<SbiResponse> {
    if (context.notifUri === undefined) {
      throw new SbiError(400, 'MANDATORY_IE_MISSING', 'notifUri: required to subscribe (where status changes are sent)', [{ param: '/notifUri', reason: 'required' }]);
    }
    const subscriberId = await this.subscriberOf(context);
    const counters = countersOf(context.policyCounterIds);
    const id = this.deps.newId?.() ?? randomUUID().replace(/-/g, '');
    const subscription: SpendingLimitSubscription = {
      id,
      subscriberId,
      supi: context.supi ?? supiOf(subscriberId),
      notifUri: context.notifUri,
      createdAt: this.deps.clock.now().toISOString(),
      ...(context.gpsi !== undefined ? { gpsi: context.gpsi } : {}),
      ...(counters !== undefined ? { policyCounterIds: counters } : {}),
      ...(context.expiry !== undefined ? { expiry: context.expiry } : {}),
      ...(context.notifId !== undefined ? { notifId: context.notifId } : {}),
      ...(context.supportedFeatures !== undefined ? { supportedFeatures: context.supportedFeatures } : {}),
    };
    await this.deps.store.putSubscription(subscription);
    return jsonResponse(201, await this.statusOf(subscription), { location: `${this.deps.apiRoot ?? ''}${API_ROOT_PATH}/subscriptions/${id}` });
  }

  /** PUT /subscriptions/{id}: the new context replaces the old one; 200 with the current status. */
  async modify(id: string, context: SpendingLimitContext): Promise<SbiResponse> {
    const before = await this.deps.store.getSubscription(id);
    if (before === undefined) throw new SbiError(404, 'SUBSCRIPTION_NOT_FOUND', 'no subscription with this id');
    const subscriberId = context.supi !== undefined || context.gpsi !== undefined ? await this.subscriberOf(context) : before.subscriberId;
    if (subscriberId !== before.subscriberId) {
      throw new SbiError(400, 'MANDATORY_IE_INCORRECT', 'supi/gpsi: a subscription cannot move to another subscriber', [{ param: '/supi', reason: 'differs from the subscription' }]);
    }
    const counters = countersOf(context.policyCounterIds);
    const subscription: SpendingLimitSubscription = {
      id,
      subscriberId,
      supi: context.supi ?? before.supi,
      notifUri: context.notifUri ?? before.notifUri,
      createdAt: before.createdAt,
      ...((context.gpsi ?? before.gpsi) !== undefined ? { gpsi: context.gpsi ?? before.gpsi } : {}),
      ...(counters !== undefined ? { policyCounterIds: counters } : {}),
      ...(context.expiry !== undefined ? { expiry: context.expiry } : {}),
      ...((context.notifId ?? before.notifId) !== undefined ? { notifId: context.notifId ?? before.notifId } : {}),
      ...(context.supportedFeatures !== undefined ? { supportedFeatures: context.supportedFeatures } : {}),
    };
    await this.deps.store.putSubscription(subscription);
    return jsonResponse(200, await this.statusOf(subscription));
  }

  /** DELETE /subscriptions/{id}: 204. */
  async unsubscribe(id: string): Promise<SbiResponse> {
    const removed = await this.deps.store.deleteSubscription(id);
    if (removed === undefined) throw new SbiError(404, 'SUBSCRIPTION_NOT_FOUND', 'no subscription with this id');
    return { status: 204 };
  }

  /** The SpendingLimitStatus of a subscription now: the body of the answers and of every notification. */
  async statusOf(subscription: SpendingLimitSubscription): Promise<SpendingLimitStatus> {
    const [{ statuses }, line] = await Promise.all([this.deps.store.getStatuses(subscription.subscriberId), this.deps.bars?.get(subscription.subscriberId) ?? NO_BARS]);
    const nowMs = this.deps.clock.now().getTime();
    const statusInfos: Record<string, PolicyCounterInfo> = {};
    for (const counterId of subscription.policyCounterIds ?? ALL_COUNTERS) {
      const bucket = bucketOfCounter(counterId);
      if (bucket === undefined) continue;
      const fallback: CounterStatusValue = line.bars[bucket] !== undefined ? COUNTER_STATUS.capReached : COUNTER_STATUS.valid;
      const view = statusAt(counterId, statuses[counterId], fallback, nowMs);
      statusInfos[counterId] = {
        policyCounterId: counterId,
        currentStatus: view.currentStatus,
        ...(view.pending.length > 0
          ? { penPolCounterStatuses: view.pending.map((p) => ({ policyCounterStatus: p.status, activationTime: p.activationTime })) }
          : {}),
      };
    }
    return {
      supi: subscription.supi,
      statusInfos,
      ...(subscription.notifId !== undefined ? { notifId: subscription.notifId } : {}),
      ...(subscription.expiry !== undefined ? { expiry: subscription.expiry } : {}),
    };
  }

  /**
   * A cap's counter changed (a bar placed or lifted): the status is stored, then every subscription that
   * watches the counter is queued for notification. A command older than the stored status changes nothing
   * (but still notifies: a retried command must not leave a PCF uninformed).
   */
  async counterChanged(
    subscriberId: string,
    bucket: SpendBucketName,
    change: { readonly status: CounterStatusValue; readonly pending: readonly PendingStatus[]; readonly at: string },
  ): Promise<void> {
    const counterId = POLICY_COUNTER_IDS[bucket];
    const maxAttempts = this.deps.maxAttempts ?? 8;
    let stored = false;
    for (let attempt = 1; attempt <= maxAttempts && !stored; attempt++) {
      const { statuses, version } = await this.deps.store.getStatuses(subscriberId);
      const next = changedStatus(statuses[counterId], change);
      if (next === undefined) break;
      const all: Record<string, StoredCounterStatus> = { ...statuses, [counterId]: next };
      stored = await this.deps.store.putStatuses(subscriberId, all, version);
      if (!stored && attempt === maxAttempts) throw new Error('policy counter status: still conflicting after retries');
    }
    const subscriptions = await this.deps.store.subscriptionsOf(subscriberId);
    const jobs: SbiNotificationJob[] = subscriptions
      .filter((s) => (s.policyCounterIds ?? ALL_COUNTERS).includes(counterId))
      .map((s) => ({ kind: 'status', subscriptionId: s.id, subscriberId }));
    if (jobs.length > 0) await this.deps.queue.enqueue(jobs);
  }

  /** The subscriber was removed: every subscription ends, each PCF is told (SubscriptionTerminationInfo). */
  async subscriberRemoved(subscriberId: string): Promise<number> {
    const subscriptions = await this.deps.store.subscriptionsOf(subscriberId);
    const jobs: SbiNotificationJob[] = [];
    for (const s of subscriptions) {
      await this.deps.store.deleteSubscription(s.id);
      jobs.push({ kind: 'terminate', subscriptionId: s.id, notifUri: s.notifUri, supi: s.supi });
    }
    if (jobs.length > 0) await this.deps.queue.enqueue(jobs);
    return jobs.length;
  }

  private async subscriberOf(context: SpendingLimitContext): Promise<string> {
    let subscriberId: string | undefined;
    if (context.supi !== undefined) {
      subscriberId = subscriberIdOfSupi(context.supi);
    } else if (context.gpsi !== undefined) {
      const msisdn = msisdnOfGpsi(context.gpsi);
      subscriberId = msisdn === undefined ? undefined : await this.deps.directory?.findByMsisdn(msisdn);
    } else {
      throw new SbiError(400, 'MANDATORY_IE_MISSING', 'supi or gpsi: required to name the subscriber', [{ param: '/supi', reason: 'required (or gpsi)' }]);
    }
    if (subscriberId === undefined || (await this.deps.profiles.get(subscriberId)) === undefined) {
      throw new SbiError(404, 'USER_UNKNOWN', 'no subscriber with this supi/gpsi');
    }
    return subscriberId;
  }
}

/** The counters a subscription watches: the known ones it names (absent = all); none known is an error. */
function countersOf(requested: readonly string[] | undefined): string[] | undefined {
  if (requested === undefined) return undefined;
  const known = [...new Set(requested.filter((id) => bucketOfCounter(id) !== undefined))];
  if (known.length === 0) {
    throw new SbiError(400, 'UNKNOWN_POLICY_COUNTERS', `policyCounterIds: none is known (known: ${ALL_COUNTERS.join(', ')})`, [
      { param: '/policyCounterIds', reason: 'no known policy counter' },
    ]);
  }
  return known;
}
