/**
 * The HTTP face of the self-care use cases: routing, JSON in and out, and the mapping of errors to status
 * codes. It speaks API Gateway's HTTP API payload v2 (what the Lambda receives) so that the same function
 * serves AWS and, through shared/selfcare/http-adapter.ts, a plain node:http server locally.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConflictError, InvalidRequestError, SubscriberNotFoundError } from './errors.js';
import type { ErrorResponse } from './schemas.js';
import type { SelfCare } from './use-cases.js';

/** The part of an HTTP API (payload 2.0) event the API reads; APIGatewayProxyEventV2 fits it. */
export interface ApiRequest {
  readonly rawPath: string;
  readonly body?: string | undefined;
  readonly isBase64Encoded?: boolean;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | undefined;
  readonly requestContext: { readonly http: { readonly method: string } };
}

export type ApiResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

/** Route keys, as declared on the HTTP API (infra/constructs/self-care-api.ts) and in docs/openapi.json. */
export const ROUTE_KEYS = [
  'PUT /subscribers/{id}',
  'GET /subscribers/{id}',
  'DELETE /subscribers/{id}',
  'GET /subscribers/{id}/usage',
  'PUT /subscribers/{id}/caps',
  'POST /subscribers/{id}/consent',
  'PUT /subscribers/{id}/notifications',
] as const;

export type RouteKey = (typeof ROUTE_KEYS)[number];

/** Observer of each answered request: route and status only (the path holds the subscriber id, personal data). */
export interface ApiObserver {
  answered(route: RouteKey | 'unmatched', statusCode: number, error?: unknown): void;
}

const PATH = /^\/subscribers\/([^/]+)(?:\/(usage|caps|consent|notifications))?\/?$/;

/** Bodies above this are refused before parsing: a profile is well under 2 kB. */
const MAX_BODY_BYTES = 64 * 1024;

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

function error(statusCode: number, body: ErrorResponse): ApiResponse {
  return json(statusCode, body);
}

class BadJsonError extends Error {}

function bodyOf(request: ApiRequest): unknown {
  const raw = request.body === undefined || request.body === null ? '' : request.body;
  const text = request.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new BadJsonError(`must be at most ${MAX_BODY_BYTES} bytes`);
  if (text.trim() === '') throw new BadJsonError('required: a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (e: unknown) {
    throw new BadJsonError(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function match(method: string, rawPath: string): { route: RouteKey; subscriberId: string } | { route: undefined; pathMatched: boolean } {
  const found = PATH.exec(rawPath);
  if (found === null) return { route: undefined, pathMatched: false };
  let subscriberId: string;
  try {
    subscriberId = decodeURIComponent(found[1]!);
  } catch {
    return { route: undefined, pathMatched: false };
  }
  const route = `${method.toUpperCase()} /subscribers/{id}${found[2] === undefined ? '' : `/${found[2]}`}`;
  return (ROUTE_KEYS as readonly string[]).includes(route)
    ? { route: route as RouteKey, subscriberId }
    : { route: undefined, pathMatched: true };
}

async function dispatch(selfCare: SelfCare, route: RouteKey, subscriberId: string, request: ApiRequest): Promise<ApiResponse> {
  switch (route) {
    case 'PUT /subscribers/{id}': {
      const { created, profile } = await selfCare.putProfile(subscriberId, bodyOf(request));
      return json(created ? 201 : 200, profile);
    }
    case 'GET /subscribers/{id}':
      return json(200, await selfCare.getProfile(subscriberId));
    case 'DELETE /subscribers/{id}':
      await selfCare.deleteProfile(subscriberId);
      return { statusCode: 204 };
    case 'GET /subscribers/{id}/usage':
      return json(200, await selfCare.usage(subscriberId, request.queryStringParameters?.period));
    case 'PUT /subscribers/{id}/caps':
      return json(200, await selfCare.putCaps(subscriberId, bodyOf(request)));
    case 'POST /subscribers/{id}/consent':
      return json(200, await selfCare.consentFromBody(subscriberId, bodyOf(request)));
    case 'PUT /subscribers/{id}/notifications':
      return json(200, await selfCare.putNotifications(subscriberId, bodyOf(request)));
  }
}

/**
 * Answers one request. Expected failures become 400 / 404 / 409 with a JSON body; anything else is a
 * 500 whose body says nothing about the cause (the observer gets the error to log it without personal data).
 */
export async function handleApiRequest(selfCare: SelfCare, request: ApiRequest, observer?: ApiObserver): Promise<ApiResponse> {
  const matched = match(request.requestContext.http.method, request.rawPath);
  if (matched.route === undefined) {
    const response = matched.pathMatched ? error(405, { error: 'method not allowed' }) : error(404, { error: 'no such route' });
    observer?.answered('unmatched', response.statusCode);
    return response;
  }
  let response: ApiResponse;
  let failure: unknown;
  try {
    response = await dispatch(selfCare, matched.route, matched.subscriberId, request);
  } catch (e: unknown) {
    if (e instanceof BadJsonError) {
      response = error(400, { error: 'invalid request', fields: [{ path: 'body', message: e.message }] });
    } else if (e instanceof InvalidRequestError) {
      response = error(400, { error: 'invalid request', fields: [...e.fields] });
    } else if (e instanceof SubscriberNotFoundError) {
      response = error(404, { error: 'unknown subscriber' });
    } else if (e instanceof ConflictError) {
      response = error(409, { error: e.message });
    } else {
      failure = e;
      response = error(500, { error: 'internal error' });
    }
  }
  observer?.answered(matched.route, response.statusCode, failure);
  return response;
}
