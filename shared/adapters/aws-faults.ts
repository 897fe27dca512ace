import { PolicyTransientError } from '../ports/policy-errors.js';

/**
 * How AWS SDK errors are told apart, in one place for every adapter and handler.
 *
 * Whether an AWS SDK error may succeed on retry: throttling, server faults, timeouts and network errors.
 * The SDK has already retried a few times by then; the state machine's Retry adds the long backoff.
 */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalErrorException',
  'InternalServerException',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
]);

export function isTransientAwsError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(e.name)) return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_NAMES.has(code)) return true;
  const fault = (e as { $fault?: unknown }).$fault;
  if (fault === 'server') return true;
  const retryable = (e as { $retryable?: unknown }).$retryable;
  if (typeof retryable === 'object' && retryable !== null) return true;
  const status = (e as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/** The error's name only: provider messages may quote the phone number, address or subscriber id. */
export function errorNameOf(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

/** Runs a task, turning transient AWS errors into PolicyTransientError; every other error keeps its name. */
export async function withTransientErrors<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (e: unknown) {
    if (isTransientAwsError(e)) throw new PolicyTransientError(`transient service error (${errorNameOf(e)})`);
    throw e;
  }
}
