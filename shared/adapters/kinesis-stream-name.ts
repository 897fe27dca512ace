/**
 * Kinesis names a stream by ARN in the records it delivers (`eventSourceARN`) and accepts either form in its
 * API; spendcap names a stream by its name in watermarks and claims, which the ARN ends with.
 */

/** `usage` from `arn:aws:kinesis:eu-west-3:123456789012:stream/usage`; a bare name is returned as is. */
export function streamNameOf(arnOrName: string): string {
  const slash = arnOrName.lastIndexOf('/');
  return slash >= 0 ? arnOrName.slice(slash + 1) : arnOrName;
}
