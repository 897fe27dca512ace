/**
 * Notifications to the 5G core's consumers (PCF, SMF). They are queued, then delivered by a worker that
 * retries with backoff and raises an alarm when it gives up: a PCF that is down for a while still learns
 * the status once it is back.
 */
export type SbiNotificationJob =
  /** The policy counter statuses of one subscription changed: send their current status (read at delivery). */
  | { readonly kind: 'status'; readonly subscriptionId: string; readonly subscriberId: string }
  /** The subscriber was removed: the subscription ends (its items are already gone, so the job carries what it needs). */
  | { readonly kind: 'terminate'; readonly subscriptionId: string; readonly notifUri: string; readonly supi: string }
  /** Quota may be granted again (consent, raised limit, new period): ask the SMF to re-authorise the session. */
  | { readonly kind: 'reauthorize'; readonly ref: string; readonly notifyUri: string; readonly ratingGroups: readonly number[] };

export interface SbiNotificationQueue {
  enqueue(jobs: readonly SbiNotificationJob[]): Promise<void>;
}

export interface SbiPostResult {
  readonly status: number;
  /** Location of a 307/308 redirect to another consumer instance. */
  readonly location?: string;
}

/** POSTs a JSON body to a consumer's callback URI over HTTP/2. Throws on network failure or timeout. */
export interface SbiClient {
  post(uri: string, body: unknown): Promise<SbiPostResult>;
}
