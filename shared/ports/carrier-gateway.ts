import type { CarrierCommand } from '../domain/model.js';

/** One command to the host network. The idempotency key is deterministic per bar and command. */
export interface CarrierCommandRequest {
  readonly subscriberId: string;
  /** The carrier must treat two requests with the same key as one (the workflow may resend after a crash). */
  readonly idempotencyKey: string;
  /** When the command is issued (the Clock's time). The simulated network enforces it from then. */
  readonly at: string;
  /** Why, for the carrier's records (e.g. `ROAMING_CAP_REACHED@50000000`). No personal data. */
  readonly reason: string;
  /** For a bar: when its billing period ends and it will be lifted unless something lifts it before (ISO UTC). */
  readonly barEndsAt?: string;
}

/**
 * Bars and un-bars data through the host operator. Retries are the state machine's job, not the
 * adapter's: an adapter throws `CarrierTransientError` when a retry may succeed (timeouts, 429, 5xx,
 * network) and `CarrierRejectedError` when it cannot (the carrier refused the command).
 */
export interface CarrierGateway {
  send(command: CarrierCommand, request: CarrierCommandRequest): Promise<void>;
}

/** Error names are what the state machine's Retry/Catch match on: keep them stable. */
export const CARRIER_TRANSIENT_ERROR = 'CarrierTransientError';
export const CARRIER_REJECTED_ERROR = 'CarrierRejectedError';

export class CarrierTransientError extends Error {
  override readonly name = CARRIER_TRANSIENT_ERROR;
}

export class CarrierRejectedError extends Error {
  override readonly name = CARRIER_REJECTED_ERROR;
}
