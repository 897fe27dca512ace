/**
 * The service-based interface as the charging function's handlers see it, whatever carries it (an
 * Application Load Balancer in front of Lambda in AWS, an h2c server locally): a request with a path and a
 * JSON body, a response with a status and a JSON body, and errors as problem details (RFC 7807, with the
 * 3GPP `cause` and `invalidParams` of TS 29.571 ProblemDetails).
 */
import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { z } from 'zod';

export interface SbiRequest {
  readonly method: string;
  /** Path only, no query string. */
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SbiResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON (problem+json for errors); absent for 204. */
  readonly body?: unknown;
}

/** TS 29.571 InvalidParam: `param` is a JSON pointer to the attribute. */
export interface InvalidParam {
  readonly param: string;
  readonly reason?: string;
}

export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly cause?: string;
  readonly invalidParams?: readonly InvalidParam[];
}

/** A failure the client should see as problem details; `cause` is the 3GPP application or protocol error. */
export class SbiError extends Error {
  override readonly name = 'SbiError';
  constructor(
    readonly status: number,
    /** The 3GPP cause (TS 29.500 protocol error or the service's application error). */
    readonly problemCause: string,
    readonly detail: string,
    readonly invalidParams?: readonly InvalidParam[],
  ) {
    super(detail);
  }
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_JSON = 'application/problem+json';
export const JSON_TYPE = 'application/json';

export function problemResponse(error: SbiError, extraHeaders: Readonly<Record<string, string>> = {}): SbiResponse {
  const body: ProblemDetails = {
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.detail,
    cause: error.problemCause,
    ...(error.invalidParams !== undefined && error.invalidParams.length > 0 ? { invalidParams: error.invalidParams } : {}),
  };
  return { status: error.status, headers: { 'content-type': PROBLEM_JSON, ...extraHeaders }, body };
}

export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): SbiResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body };
}

/** The largest body accepted (a ChargingDataRequest is a few kB; TS 29.500 413 beyond). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The request's JSON body validated with `schema`. Not JSON: 400 INVALID_MSG_FORMAT. Schema failure: 400
 * MANDATORY_IE_MISSING when a required attribute is absent, else MANDATORY_IE_INCORRECT, with one
 * invalidParams entry (a JSON pointer) per attribute at fault.
 */
export function parseBody<T extends z.ZodType>(request: SbiRequest, schema: T): z.output<T> {
  const type = request.headers['content-type'];
  if (type !== undefined && !/^application\/(json|[a-z0-9.+-]*\+json)\b/i.test(type)) {
    throw new SbiError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json (got ${type.slice(0, 60)})`);
  }
  const text = request.body ?? '';
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new SbiError(413, 'INVALID_MSG_FORMAT', `body larger than ${MAX_BODY_BYTES} bytes`);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new SbiError(400, 'INVALID_MSG_FORMAT', 'body: not valid JSON');
  }
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const invalidParams = result.error.issues.slice(0, 20).map((issue) => ({
    param: `/${issue.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
    reason: issue.message,
  }));
  const missing = result.error.issues.some((issue) => issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined);
  throw new SbiError(
    400,
    missing ? 'MANDATORY_IE_MISSING' : 'MANDATORY_IE_INCORRECT',
    invalidParams.map((p) => `${p.param}: ${p.reason}`).join('; '),
    invalidParams,
  );
}

export interface Route {
  readonly method: string;
  /** Matched against the whole path; named groups are the path parameters. */
  readonly pattern: RegExp;
  readonly handle: (request: SbiRequest, params: Readonly<Record<string, string>>) => Promise<SbiResponse>;
}

export interface SbiLog {
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Routes a request and maps every failure to problem details: an SbiError as it says, anything else as 500
 * SYSTEM_FAILURE (its text stays in the logs: it may name internals).
 */
export async function dispatch(routes: readonly Route[], request: SbiRequest, log?: SbiLog): Promise<SbiResponse> {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(request.path);
    if (match === null) continue;
    pathMatched = true;
    if (route.method !== request.method.toUpperCase()) continue;
    try {
      return await route.handle(request, decodeParams(match.groups ?? {}));
    } catch (e: unknown) {
      if (e instanceof SbiError) return problemResponse(e);
      log?.error('request failed', { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      return problemResponse(new SbiError(500, 'SYSTEM_FAILURE', 'the request could not be processed; retry'));
    }
  }
  return pathMatched
    ? problemResponse(new SbiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on this resource`))
    : problemResponse(new SbiError(404, 'RESOURCE_URI_STRUCTURE_NOT_FOUND', 'no such resource'));
}

function decodeParams(groups: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(groups)) {
    if (value === undefined) continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** The SBI request an Application Load Balancer hands a Lambda target. */
export function requestOfAlbEvent(event: ALBEvent): SbiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    const first = values?.[0];
    if (first !== undefined) headers[name.toLowerCase()] ??= first;
  }
  const body = event.body === null || event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: event.httpMethod, path: event.path, headers, ...(body === undefined || body === '' ? {} : { body }) };
}

/** The Lambda result the load balancer turns into the HTTP response. */
export function albResultOf(response: SbiResponse): ALBResult {
  const headers: Record<string, string> = { ...response.headers };
  const hasBody = response.body !== undefined && response.status !== 204;
  return {
    statusCode: response.status,
    statusDescription: `${response.status} ${TITLES[response.status] ?? (response.status < 300 ? 'OK' : 'Error')}`,
    headers,
    body: hasBody ? JSON.stringify(response.body) : '',
    isBase64Encoded: false,
  };
}
