/**
 * Who may call the charging function. In a deployment the load balancer authenticates every caller before
 * the function runs: with mutual TLS (client certificates of the operator's SMFs and PCFs, verified against
 * its trust store) or with OAuth2 access tokens (JWTs from the operator's NRF, signature, issuer and expiry
 * verified by the load balancer). What the load balancer cannot check is that a token grants this service:
 * its `scope` claim must name the service (TS 33.501 13.4.1, the scopes of TS 29.510: e.g.
 * `nchf-convergedcharging`). That check is here; the token is not verified again.
 */
import type { SbiAuthMode } from '../config/realtime-settings.js';
import { SbiError, type SbiRequest } from './http.js';

export function claimsOf(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks a request for a service (`nchf-convergedcharging`, `nchf-spendinglimitcontrol`) under the deployment's mode. */
export function authorize(request: SbiRequest, mode: SbiAuthMode, serviceScope: string): void {
  if (mode !== 'oauth2') return;
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length).trim() : undefined;
  if (token === undefined || token === '') throw new SbiError(401, 'UNAUTHORIZED', 'an access token (Authorization: Bearer) is required');
  const claims = claimsOf(token);
  const scope = claims?.scope;
  const scopes = typeof scope === 'string' ? scope.split(' ') : Array.isArray(scope) ? scope.map(String) : [];
  if (!scopes.includes(serviceScope)) throw new SbiError(403, 'INSUFFICIENT_SCOPE', `the access token does not grant ${serviceScope}`);
}

/** RFC 6750 challenge for 401/403 answers in oauth2 mode. */
export function bearerChallenge(status: number, serviceScope: string): Record<string, string> {
  if (status === 401) return { 'www-authenticate': `Bearer scope="${serviceScope}"` };
  if (status === 403) return { 'www-authenticate': `Bearer error="insufficient_scope", scope="${serviceScope}"` };
  return {};
}
