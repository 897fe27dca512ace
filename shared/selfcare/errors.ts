/**
 * What can go wrong in a self-care or operator request, in the API's terms: the handler maps each kind to
 * one problem type (shared/selfcare/problems.ts), so the use cases never speak HTTP and the status rules live
 * in one place. No message here holds a subscriber id, number or address: messages end up in logs.
 */
import type { z } from 'zod';
import type { ProblemCode } from './problems.js';

/** One field at fault: a dotted path into the request (`roamingCap.limitMicros`, `period`) and the rule it breaks. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export class InvalidRequestError extends Error {
  readonly fields: readonly FieldError[];
  constructor(fields: readonly FieldError[], message = 'invalid request') {
    super(`${message}: ${fields.map((f) => (f.path === '' ? f.message : `${f.path}: ${f.message}`)).join('; ')}`);
    this.name = 'InvalidRequestError';
    this.fields = fields;
  }
}

export class SubscriberNotFoundError extends Error {
  constructor() {
    // No subscriber id in the message: it is often an IMSI, and messages end up in logs.
    super('unknown subscriber');
    this.name = 'SubscriberNotFoundError';
  }
}

/**
 * A problem with its own type: an opt-out without consent, a change that would overwrite a subscriber's
 * choice, an If-Match that no longer matches, nothing to send again...
 */
export class ApiProblemError extends Error {
  readonly code: ProblemCode;
  readonly fields: readonly FieldError[];
  constructor(code: ProblemCode, detail: string, fields: readonly FieldError[] = []) {
    super(detail);
    this.name = 'ApiProblemError';
    this.code = code;
    this.fields = fields;
  }
}

/** The If-Match ETag is not the subscriber's current one (another change came first). */
export class PreconditionFailedError extends ApiProblemError {
  constructor() {
    super('precondition-failed', 'the subscriber changed since that ETag: GET it again, then retry with the new ETag');
  }
}

/** A concurrent writer (usually ingest) kept changing the same record; the client may retry. */
export class ConflictError extends Error {
  constructor(message = 'the record changed concurrently; retry the request') {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Most clients need only the first few; a body with hundreds of unknown keys must not produce a huge answer. */
const MAX_FIELDS = 20;

/**
 * The fields at fault in a zod error, worded like `formatIssues` (shared/domain/validation.ts) (one entry per unknown key), but
 * structured so that a portal can put each message beside its input.
 */
export function fieldErrorsOf(error: z.ZodError, prefix = ''): FieldError[] {
  const fields: FieldError[] = [];
  const join = (parts: readonly PropertyKey[]): string => [prefix, ...parts.map(String)].filter((p) => p !== '').join('.');
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields.push({ path: join([...issue.path, key]), message: 'not allowed' });
    } else {
      fields.push({ path: join(issue.path), message: issue.message });
    }
  }
  return fields.slice(0, MAX_FIELDS);
}
