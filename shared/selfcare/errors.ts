/**
 * What can go wrong in a self-care request, in the API's terms: the handler maps each kind to one HTTP
 * status (400, 404, 409), so the use cases never speak HTTP and the status rules live in one place.
 */
import type { z } from 'zod';

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
 * The fields at fault in a zod error, worded like A's `formatIssues` (one entry per unknown key), but
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
