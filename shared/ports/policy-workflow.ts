import type { PolicyRequest } from '../domain/model.js';

/** Starts the policy workflow. At least once per request; a deterministic execution name makes it exactly once. */
export interface PolicyWorkflowStarter {
  start(requests: readonly PolicyRequest[]): Promise<void>;
}
