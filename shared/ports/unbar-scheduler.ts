import type { Bar, PolicyRequest } from '../domain/model.js';

/**
 * Runs the CAP_RESET of one bar at the end of its period (`bar.until`). Idempotent per bar: scheduling the
 * same bar twice keeps one schedule and answers `ALREADY_SCHEDULED`.
 */
export interface UnbarScheduler {
  schedule(bar: Bar, reset: PolicyRequest): Promise<{ readonly outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; readonly name: string }>;
}
