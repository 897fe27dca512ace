/**
 * The notification queue of the local runtime: what SQS and the nchf-notify function do in AWS, in process.
 * Each job is delivered by the same `deliver` as in AWS; a `retry` outcome is tried again after the same
 * exponential backoff (scaled down: 10 ms instead of 10 s by default, so a local run is not held up), and a
 * job that keeps failing is dead-lettered (listed, and reported to `onDeadLetter`) as the DLQ would hold it.
 */
import type { SbiNotificationJob, SbiNotificationQueue } from '../shared/ports/sbi-notifications.js';
import { backoffSeconds, type DeliveryOutcome } from '../shared/spending-limit/deliver.js';

export interface LocalNotificationQueueOptions {
  readonly deliver: (job: SbiNotificationJob) => Promise<DeliveryOutcome>;
  /** Milliseconds per second of the AWS backoff. @default 1 */
  readonly backoffScaleMs?: number;
  /** Deliveries before a job is dead-lettered (the DLQ's maxReceiveCount in AWS). @default 8 */
  readonly maxAttempts?: number;
  readonly onDeadLetter?: (job: SbiNotificationJob, reason: string) => void;
  readonly onOutcome?: (job: SbiNotificationJob, outcome: DeliveryOutcome) => void;
}

export class LocalNotificationQueue implements SbiNotificationQueue {
  readonly deadLetters: Array<{ readonly job: SbiNotificationJob; readonly reason: string }> = [];
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly options: LocalNotificationQueueOptions) {}

  async enqueue(jobs: readonly SbiNotificationJob[]): Promise<void> {
    for (const job of jobs) {
      this.inFlight += 1;
      // Not awaited: the producer (a carrier command, an API call) does not wait for the consumer, as with SQS.
      void this.attempt(job, 1);
    }
  }

  /** Resolves once every queued job is delivered, refused or dead-lettered. */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
  }

  private async attempt(job: SbiNotificationJob, attempt: number): Promise<void> {
    const outcome = await this.options.deliver(job).catch((e: unknown): DeliveryOutcome => ({ outcome: 'retry', reason: e instanceof Error ? e.message : 'error' }));
    this.options.onOutcome?.(job, outcome);
    if (outcome.outcome === 'retry' && !this.stopped) {
      if (attempt >= (this.options.maxAttempts ?? 8)) {
        this.deadLetters.push({ job, reason: outcome.reason });
        this.options.onDeadLetter?.(job, outcome.reason);
      } else {
        const delay = backoffSeconds(attempt) * (this.options.backoffScaleMs ?? 1);
        setTimeout(() => void this.attempt(job, attempt + 1), delay).unref();
        return;
      }
    }
    this.inFlight -= 1;
    if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
