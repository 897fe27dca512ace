/**
 * The HTTP face of the self-care and operator use cases: versioned routes (`/v1`) split by role, JSON in and
 * out, ETag / If-Match on the subscriber, and every error as RFC 9457 problem details. It speaks API Gateway's
 * HTTP API payload v2 (what the Lambda receives) so that the same code serves AWS and, through
 * shared/selfcare/http-adapter.ts, a plain node:http server locally.
 *
 * Roles: the subscriber-facing self-care backend (`/v1/self-care/...`: own usage and audit trail, own limit
 * within bounds, opt-out/in with a consent statement, consent to continue, notification choices), the
 * operator side (`/v1/subscribers...`: profile lifecycle, MSISDN and e-mail changes, support on any
 * subscriber) and the pseudonym lookup (`/v1/pseudonyms/...`), which has its own permission. In AWS each role
 * has its own IAM invoke policy and the self-care routes their own function with narrower table access
 * (infra/constructs/self-care-api.ts); a function answers only the routes of the roles it serves.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { boundedString } from '../domain/validation.js';
import { pseudonymOf, redactIdentifiers } from '../privacy/pseudonym.js';
import { ApiProblemError, ConflictError, InvalidRequestError, SubscriberNotFoundError, type FieldError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemTypeOf, type ProblemCode } from './problems.js';
import type { Problem } from './schemas.js';
import type { Actor, RequestConditions, SelfCare } from './use-cases.js';

/** The part of an HTTP API (payload 2.0) event the API reads; APIGatewayProxyEventV2 fits it. */
export interface ApiRequest {
  readonly rawPath: string;
  readonly body?: string | undefined;
  readonly isBase64Encoded?: boolean;
  /** Header names in lower case, as API Gateway hands them over. */
  readonly headers?: Readonly<Record<string, string | undefined>> | undefined;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | undefined;
  readonly requestContext: {
    readonly http: { readonly method: string };
    /** IAM authorization: the signed caller (kept in the audit trail of the changes it makes). */
    readonly authorizer?: { readonly iam?: { readonly userArn?: string | undefined } | undefined } | undefined;
  };
}

export type ApiResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

export const API_ROLES = ['subscriber', 'operator', 'pseudonymLookup'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/**
 * Every route, with the role allowed to call it. The HTTP API declares exactly these (infra), the OpenAPI
 * document documents exactly these (shared/selfcare/openapi.ts), and the IAM policies of each role cover
 * exactly its own.
 */
export const ROUTES = [
  { key: 'GET /v1/self-care/subscribers/{id}', role: 'subscriber' },
  { key: 'GET /v1/self-care/subscribers/{id}/usage', role: 'subscriber' },
  { key: 'PUT /v1/self-care/subscribers/{id}/caps', role: 'subscriber' },
  { key: 'POST /v1/self-care/subscribers/{id}/consent', role: 'subscriber' },
  { key: 'PUT /v1/self-care/subscribers/{id}/notifications', role: 'subscriber' },
  { key: 'GET /v1/subscribers', role: 'operator' },
  { key: 'PUT /v1/subscribers/{id}', role: 'operator' },
  { key: 'GET /v1/subscribers/{id}', role: 'operator' },
  { key: 'DELETE /v1/subscribers/{id}', role: 'operator' },
  { key: 'GET /v1/subscribers/{id}/usage', role: 'operator' },
  { key: 'PUT /v1/subscribers/{id}/caps', role: 'operator' },
  { key: 'POST /v1/subscribers/{id}/consent', role: 'operator' },
  { key: 'PUT /v1/subscribers/{id}/notifications', role: 'operator' },
  { key: 'POST /v1/subscribers/{id}/last-message/resend', role: 'operator' },
  { key: 'GET /v1/pseudonyms/{pseudonym}', role: 'pseudonymLookup' },
] as const satisfies readonly { readonly key: string; readonly role: ApiRole }[];

export type RouteKey = (typeof ROUTES)[number]['key'];

export const ROUTE_KEYS: readonly RouteKey[] = ROUTES.map((r) => r.key);

export function roleOfRoute(route: RouteKey): ApiRole {
  const found = ROUTES.find((r) => r.key === route);
  if (found === undefined) throw new Error(`no route ${route}`);
  return found.role;
}

/** The routes of some roles (what one function serves, what one IAM policy allows). */
export function routesOf(roles: readonly ApiRole[]): RouteKey[] {
  return ROUTES.filter((r) => roles.includes(r.role)).map((r) => r.key);
}

/** Observer of each answered request: route, status and the subscriber's pseudonym only (never the id). */
export interface ApiObserver {
  answered(route: RouteKey | 'unmatched', statusCode: number, error?: unknown, subscriber?: string): void;
}

export interface ApiOptions {
  /** The roles this function serves: the routes of the others answer 403. @default every role (the local server) */
  readonly roles?: readonly ApiRole[];
  readonly observer?: ApiObserver;
}

/** Bodies above this are refused before parsing: a profile is well under 2 kB. */
const MAX_BODY_BYTES = 64 * 1024;

/** The header of a profile PUT that changes a subscriber-owned choice on their behalf. */
export const CHANGE_REASON_HEADER = 'spendcap-change-reason';

const ID_RULE = 'must be 1 to 64 characters (subscriber.v1 subscriberId), URL-encoded';
const idSchema = boundedString(1, 64, ID_RULE);

interface Template {
  readonly route: RouteKey;
  readonly method: string;
  readonly segments: readonly string[];
}

const TEMPLATES: readonly Template[] = ROUTES.map(({ key }) => {
  const [method, path] = key.split(' ') as [string, string];
  return { route: key, method, segments: path.split('/').slice(1) };
});

export type Match =
  | { readonly route: RouteKey; readonly params: Readonly<Record<string, string>> }
  | { readonly route: undefined; readonly allowed: readonly string[] };

/** Method and path to a route and its decoded parameters; else the methods the path allows (empty: no such path). */
export function match(method: string, rawPath: string): Match {
  const segments = rawPath.replace(/\/+$/, '').split('/').slice(1);
  const allowed: string[] = [];
  for (const template of TEMPLATES) {
    if (template.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const fits = template.segments.every((part, i) => {
      const actual = segments[i] ?? '';
      if (part.startsWith('{')) {
        params[part.slice(1, -1)] = actual;
        return actual !== '';
      }
      return part === actual;
    });
    if (!fits) continue;
    if (template.method === method.toUpperCase()) return { route: template.route, params };
    allowed.push(template.method);
  }
  return { route: undefined, allowed };
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function problem(code: ProblemCode, detail?: string, errors?: readonly FieldError[], headers: Record<string, string> = {}): ApiResponse {
  const { status, title } = PROBLEMS[code];
  const body: Problem = {
    type: problemTypeOf(code),
    title,
    status,
    ...(detail !== undefined && { detail }),
    code,
    ...(errors !== undefined && errors.length > 0 && { errors: [...errors] }),
  };
  return { statusCode: status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** The subscriber's ETag: its profile revision (every sub-resource of the subscriber shares it). */
export function etagOf(revision: number): string {
  return `"${revision}"`;
}

class BadRequestError extends Error {
  constructor(readonly field: FieldError) {
    super(field.message);
  }
}

function bodyOf(request: ApiRequest): unknown {
  const raw = request.body === undefined || request.body === null ? '' : request.body;
  const text = request.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new BadRequestError({ path: 'body', message: `must be at most ${MAX_BODY_BYTES} bytes` });
  if (text.trim() === '') throw new BadRequestError({ path: 'body', message: 'required: a JSON object' });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message quotes the input, which may hold a number or an address: say only what is wrong.
    throw new BadRequestError({ path: 'body', message: 'not valid JSON' });
  }
}

function headerOf(request: ApiRequest, name: string): string | undefined {
  const headers = request.headers ?? {};
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * If-Match / If-None-Match (RFC 9110) against the subscriber's revision. Weak tags never match an If-Match
 * (strong comparison), and a tag that is not one of ours matches nothing.
 */
export function conditionsOf(request: ApiRequest): RequestConditions {
  const ifMatch = headerOf(request, 'if-match');
  const ifNoneMatch = headerOf(request, 'if-none-match');
  const reason = headerOf(request, CHANGE_REASON_HEADER);
  const tags =
    ifMatch === undefined
      ? undefined
      : ifMatch.split(',').flatMap((tag): (number | '*')[] => {
          const t = tag.trim();
          if (t === '*') return ['*'];
          const found = /^"(\d{1,15})"$/.exec(t);
          return found === null ? [] : [Number(found[1])];
        });
  return {
    ...(tags !== undefined && { ifMatch: tags }),
    ...(ifNoneMatch === '*' && { ifNoneMatch: true }),
    ...(reason !== undefined && { changeReason: reason }),
  };
}

function checkReason(conditions: RequestConditions): void {
  const reason = conditions.changeReason;
  if (reason !== undefined && (reason.length < 3 || reason.length > 500)) {
    throw new BadRequestError({ path: 'Spendcap-Change-Reason', message: 'must be 3 to 500 characters: why the subscriber`s choice is changed' });
  }
}

/** The decoded, contract-checked subscriber id of the path (ids over the contract's 64 characters are 400). */
function subscriberIdOf(params: Readonly<Record<string, string>>): string {
  const raw = params.id ?? '';
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new BadRequestError({ path: 'id', message: `not valid URL encoding; ${ID_RULE}` });
  }
  if (!idSchema.safeParse(id).success) throw new BadRequestError({ path: 'id', message: ID_RULE });
  return id;
}

function callerOf(request: ApiRequest): string | undefined {
  return request.requestContext.authorizer?.iam?.userArn ?? undefined;
}

async function dispatch(selfCare: SelfCare, route: RouteKey, params: Readonly<Record<string, string>>, request: ApiRequest, seen: { subscriberId?: string }): Promise<ApiResponse> {
  const caller = callerOf(request);
  const actor = (role: Actor['role']): Actor => ({ role, ...(caller !== undefined && { caller }) });
  const conditions = conditionsOf(request);
  const id = (): string => {
    const subscriberId = subscriberIdOf(params);
    seen.subscriberId = subscriberId;
    return subscriberId;
  };
  const revised = <T>(status: number, result: { value: T; revision: number }): ApiResponse => json(status, result.value, { etag: etagOf(result.revision) });
  switch (route) {
    case 'GET /v1/self-care/subscribers/{id}':
    case 'GET /v1/subscribers/{id}':
      return revised(200, await selfCare.getProfile(id()));
    case 'GET /v1/self-care/subscribers/{id}/usage':
    case 'GET /v1/subscribers/{id}/usage':
      return json(200, await selfCare.usage(id(), request.queryStringParameters?.period));
    case 'PUT /v1/self-care/subscribers/{id}/caps':
      return revised(200, await selfCare.putCaps(id(), bodyOf(request), actor('subscriber'), conditions));
    case 'PUT /v1/subscribers/{id}/caps':
      return revised(200, await selfCare.putCaps(id(), bodyOf(request), actor('operator'), conditions));
    case 'POST /v1/self-care/subscribers/{id}/consent':
      return revised(200, await selfCare.consentFromBody(id(), bodyOf(request), actor('subscriber'), conditions));
    case 'POST /v1/subscribers/{id}/consent':
      return revised(200, await selfCare.consentFromBody(id(), bodyOf(request), actor('operator'), conditions));
    case 'PUT /v1/self-care/subscribers/{id}/notifications':
      return revised(200, await selfCare.putNotifications(id(), bodyOf(request), actor('subscriber'), conditions));
    case 'PUT /v1/subscribers/{id}/notifications':
      return revised(200, await selfCare.putNotifications(id(), bodyOf(request), actor('operator'), conditions));
    case 'GET /v1/subscribers':
      return json(200, await selfCare.searchByMsisdn(request.queryStringParameters?.msisdn));
    case 'PUT /v1/subscribers/{id}': {
      const subscriberId = id();
      checkReason(conditions);
      const { created, profile, revision } = await selfCare.putProfile(subscriberId, bodyOf(request), conditions, actor('operator'));
      return json(created ? 201 : 200, profile, {
        etag: etagOf(revision),
        ...(created && { location: `/v1/subscribers/${encodeURIComponent(subscriberId)}` }),
      });
    }
    case 'DELETE /v1/subscribers/{id}':
      await selfCare.deleteProfile(id(), conditions);
      return { statusCode: 204 };
    case 'POST /v1/subscribers/{id}/last-message/resend':
      return json(200, await selfCare.resendLastMessage(id(), bodyOf(request), actor('operator')));
    case 'GET /v1/pseudonyms/{pseudonym}': {
      const found = await selfCare.lookupPseudonym(params.pseudonym ?? '');
      return json(200, found);
    }
  }
}

/** An error safe to log: its name, and its message with the subscriber's id replaced by its pseudonym. */
function loggable(e: unknown, subscriberId: string | undefined): Error {
  const name = e instanceof Error ? e.name : 'Error';
  const message = redactIdentifiers(e instanceof Error ? e.message : String(e), { subscriberId });
  return Object.assign(new Error(message), { name });
}

/**
 * Answers one request. Expected failures become problem details (400, 403, 404, 405, 409, 412); anything else
 * is a 500 whose body says nothing about the cause (the observer gets the error, the subscriber id in it
 * replaced by the pseudonym, to log it).
 */
export async function handleApiRequest(selfCare: SelfCare, request: ApiRequest, options: ApiOptions = {}): Promise<ApiResponse> {
  const { observer } = options;
  const roles = options.roles ?? API_ROLES;
  const matched = match(request.requestContext.http.method, request.rawPath);
  if (matched.route === undefined) {
    const response =
      matched.allowed.length > 0
        ? problem('method-not-allowed', `this route answers ${matched.allowed.join(', ')}`, undefined, { allow: matched.allowed.join(', ') })
        : problem('no-such-route', 'see docs/openapi.json for the routes (all under /v1)');
    observer?.answered('unmatched', response.statusCode);
    return response;
  }
  const role = roleOfRoute(matched.route);
  if (!roles.includes(role)) {
    const response = problem('wrong-role', `this function serves the ${roles.join(', ')} routes; this one is a ${role} route`);
    observer?.answered(matched.route, response.statusCode);
    return response;
  }
  let response: ApiResponse;
  let failure: unknown;
  const seen: { subscriberId?: string } = {};
  try {
    response = await dispatch(selfCare, matched.route, matched.params, request, seen);
  } catch (e: unknown) {
    if (e instanceof BadRequestError) {
      response = problem('invalid-request', `${e.field.path}: ${e.field.message}`, [e.field]);
    } else if (e instanceof InvalidRequestError) {
      response = problem('invalid-request', e.fields.map((f) => `${f.path}: ${f.message}`).join('; '), e.fields);
    } else if (e instanceof ApiProblemError) {
      response = problem(e.code, e.message, e.fields);
    } else if (e instanceof SubscriberNotFoundError) {
      response = problem('unknown-subscriber', 'no profile with this subscriber id');
    } else if (e instanceof ConflictError) {
      response = problem('concurrent-change', e.message);
    } else {
      failure = loggable(e, seen.subscriberId);
      response = problem('internal-error', 'the function log has the error (without personal data)');
    }
  }
  observer?.answered(matched.route, response.statusCode, failure, seen.subscriberId === undefined ? undefined : pseudonymOf(seen.subscriberId));
  return response;
}
