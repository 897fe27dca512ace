/**
 * Delivers one queued notification to a 5G core consumer: the status of a subscription's counters (to
 * `{notifUri}/notify`), the end of a subscription (`{notifUri}/terminate`), or a re-authorisation request to
 * an SMF (its notifyUri). The queue's worker retries a `retry` outcome with backoff and gives up to its
 * dead-letter queue (alarmed); `rejected` is final (the consumer refused the content: retrying cannot help).
 */
import type { ChargingNotifyRequest } from '../charging/schemas.js';
import type { SbiClient, SbiNotificationJob, SbiPostResult } from '../ports/sbi-notifications.js';
import type { SpendingLimitStore } from '../ports/spending-limit-store.js';
import type { SpendingLimitStatus, SubscriptionTerminationInfo } from './schemas.js';
import type { SpendingLimitSubscription } from '../ports/spending-limit-store.js';

export type DeliveryOutcome =
  | { readonly outcome: 'delivered'; readonly status: number }
  /** Nothing to send any more (the subscription was removed meanwhile). */
  | { readonly outcome: 'gone' }
  | { readonly outcome: 'rejected'; readonly status: number }
  | { readonly outcome: 'retry'; readonly reason: string };

export interface DeliveryDeps {
  readonly client: SbiClient;
  readonly store: Pick<SpendingLimitStore, 'getSubscription'>;
  /** The subscription's current status (SpendingLimitControl.statusOf). */
  readonly statusOf: (subscription: SpendingLimitSubscription) => Promise<SpendingLimitStatus>;
}

/** `{notifUri}/notify` as TS 29.594 builds the callback URI (no doubled slash). */
export function callbackUri(base: string, suffix: 'notify' | 'terminate'): string {
  return `${base.replace(/\/+$/, '')}/${suffix}`;
}

export async function deliver(job: SbiNotificationJob, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  let uri: string;
  let body: unknown;
  switch (job.kind) {
    case 'status': {
      const subscription = await deps.store.getSubscription(job.subscriptionId);
      if (subscription === undefined) return { outcome: 'gone' };
      uri = callbackUri(subscription.notifUri, 'notify');
      body = await deps.statusOf(subscription);
      break;
    }
    case 'terminate': {
      uri = callbackUri(job.notifUri, 'terminate');
      const info: SubscriptionTerminationInfo = { supi: job.supi, termCause: 'REMOVED_SUBSCRIBER' };
      body = info;
      break;
    }
    case 'reauthorize': {
      uri = job.notifyUri;
      const request: ChargingNotifyRequest = {
        notificationType: 'REAUTHORIZATION',
        ...(job.ratingGroups.length > 0 ? { reauthorizationDetails: job.ratingGroups.map((ratingGroup) => ({ ratingGroup })) } : {}),
      };
      body = request;
      break;
    }
  }
  let result: SbiPostResult;
  try {
    result = await deps.client.post(uri, body);
    // One redirect to another instance of the consumer (TS 29.500 5.2.7.2: 307/308 with Location).
    if ((result.status === 307 || result.status === 308) && result.location !== undefined) {
      result = await deps.client.post(result.location, body);
    }
  } catch (e: unknown) {
    return { outcome: 'retry', reason: `unreachable (${e instanceof Error ? e.name : 'error'})` };
  }
  if (result.status >= 200 && result.status < 300) return { outcome: 'delivered', status: result.status };
  if (result.status === 408 || result.status === 429 || result.status >= 500 || result.status === 307 || result.status === 308) {
    return { outcome: 'retry', reason: `answered ${result.status}` };
  }
  return { outcome: 'rejected', status: result.status };
}

/** Exponential backoff of the n-th failed attempt (1-based), capped: 10 s, 20 s, 40 s ... 15 minutes. */
export function backoffSeconds(attempt: number, baseSeconds = 10, maxSeconds = 900): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
}
