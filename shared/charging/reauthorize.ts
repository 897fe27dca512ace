/**
 * After consent to continue, a raised limit or a new period, sessions that were refused quota (or given
 * their final units) may be granted again: each one that gave a notifyUri is asked to re-authorise
 * (ChargingNotifyRequest REAUTHORIZATION), so the SMF asks at once instead of at the end of its validity time.
 */
import { billingPeriodOf } from '../domain/periods.js';
import type { ChargingStore } from '../ports/charging-store.js';
import type { Clock } from '../ports/clock.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { SbiNotificationJob, SbiNotificationQueue } from '../ports/sbi-notifications.js';

export interface ReauthorizationDeps {
  readonly store: Pick<ChargingStore, 'getBudget'>;
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly queue: SbiNotificationQueue;
  readonly clock: Clock;
}

export class ChargingReauthorization {
  constructor(private readonly deps: ReauthorizationDeps) {}

  /** Queues a re-authorisation for each session of the subscriber refused quota in the current period. Returns how many. */
  async reauthorize(subscriberId: string): Promise<number> {
    const profile = await this.deps.profiles.get(subscriberId);
    if (profile === undefined) return 0;
    const period = billingPeriodOf(this.deps.clock.now(), profile.plan).id;
    const { budget } = await this.deps.store.getBudget(subscriberId, period);
    const jobs: SbiNotificationJob[] = [];
    for (const [ref, notifyUri] of Object.entries(budget.denied)) {
      if (notifyUri === '') continue;
      const prefix = `${ref}/`;
      const ratingGroups = Object.entries(budget.reservations)
        .filter(([key, r]) => key.startsWith(prefix) && (r.bytes === 0 || r.finalUnit))
        .map(([key]) => Number(key.slice(prefix.length)))
        .sort((a, b) => a - b);
      jobs.push({ kind: 'reauthorize', ref, notifyUri, ratingGroups });
    }
    if (jobs.length > 0) await this.deps.queue.enqueue(jobs);
    return jobs.length;
  }
}
