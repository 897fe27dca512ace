/**
 * A store or service error (DynamoDB throttling, a 5xx) that outlasted the SDK's own retries. Named so that
 * the state machine's Retry can back off and try the task again: every task is idempotent (guards).
 */
export class PolicyTransientError extends Error {
  override readonly name = 'PolicyTransientError';
}

