import { createHash } from 'node:crypto';
import type { PolicyKind, SpendBucketName } from '../domain/model.js';

/**
 * The input of the "apply cap policy" state machine: one threshold crossing, welcome, reset or resume.
 * `crossingId` is unique per (subscriber, period, kind[, limit]) and makes every start idempotent.
 */
export interface PolicyRequest {
  readonly kind: PolicyKind;
  readonly subscriberId: string;
  /** Billing period the request belongs to (YYYY-MM-DD). */
  readonly period: string;
  /** E.g. `ROAMING_CAP_REACHED@50000000`, `ROAMING_WELCOME#<eventKey>`, `CAP_RESET#roaming`. */
  readonly crossingId: string;
  /** When it happened (RFC 3339): the crossing event's time, or the scheduled time. */
  readonly at: string;
  /** Which cap a CAP_RESET / resume concerns. */
  readonly bucket?: SpendBucketName;
  /** Serving network when it happened (welcome message, price per MB in the cap message). */
  readonly servingPlmn?: string;
  /** Spend in the bucket when it happened (quoted in the 80% messages). */
  readonly spentMicros?: number;
}

/** Starts the policy workflow. At least once per request; the deterministic name makes it exactly once. */
export interface PolicyWorkflowStarter {
  start(requests: readonly PolicyRequest[]): Promise<void>;
}

/**
 * Deterministic execution name (Step Functions: at most 80 characters of [A-Za-z0-9-_]). The subscriber id
 * (often an IMSI, personal data) is hashed so that it never appears in the console or in logs.
 */
export function executionNameOf(request: PolicyRequest): string {
  const digest = createHash('sha256')
    .update(`${request.subscriberId}\u0000${request.period}\u0000${request.crossingId}`)
    .digest('hex')
    .slice(0, 40);
  const kind = request.kind.replace(/[^A-Za-z0-9_-]/g, '');
  return `${kind}-${request.period}-${digest}`.slice(0, 80);
}
