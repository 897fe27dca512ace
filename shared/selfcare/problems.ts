/**
 * Every error the API answers, as RFC 9457 problem details: one stable `type` URI (and `code`) per kind of
 * problem, with its HTTP status and title. Clients switch on `code` (or `type`); the `detail` says what went
 * wrong this time, and never holds an identifier of the subscriber.
 */

export const PROBLEMS = {
  'invalid-request': { status: 400, title: 'The request is invalid' },
  'consent-required': { status: 400, title: "The subscriber's consent statement is required" },
  'wrong-role': { status: 403, title: 'This route belongs to another role of the API' },
  'unknown-subscriber': { status: 404, title: 'Unknown subscriber' },
  'unknown-pseudonym': { status: 404, title: 'No subscriber has this pseudonym' },
  'no-message': { status: 404, title: 'No message to send again in the current billing period' },
  'no-such-route': { status: 404, title: 'No such route' },
  'method-not-allowed': { status: 405, title: 'Method not allowed on this route' },
  'concurrent-change': { status: 409, title: 'The record changed concurrently; retry the request' },
  'subscriber-choice': { status: 409, title: "The change would overwrite the subscriber's own choice" },
  'channel-off': { status: 409, title: 'The subscriber switched this channel off' },
  'precondition-failed': { status: 412, title: 'The subscriber changed since the ETag given in If-Match' },
  'internal-error': { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemTypeOf(code: ProblemCode): string {
  return `urn:spendcap:problem:${code}`;
}
