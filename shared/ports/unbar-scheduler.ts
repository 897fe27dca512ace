import type { PolicyRequest } from './policy-workflow.js';

/**
 * Runs a CAP_RESET request at a future time (the next period start). Idempotent per request: scheduling the
 * same un-bar twice keeps one schedule and answers `ALREADY_SCHEDULED`.
 */
export interface UnbarScheduler {
  schedule(runAt: string, request: PolicyRequest): Promise<{ readonly outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; readonly name: string }>;
}
