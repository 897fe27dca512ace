import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import type { ALBEvent } from 'aws-lambda';
import { createHandler } from '../../functions/nchf-charging/handler.js';
import { jsonResponse, parseBody, requestOfAlbEvent, albResultOf, type SbiRequest } from '../../shared/sbi/http.js';
import { claimsOf } from '../../shared/sbi/authorization.js';
import { sbiService } from '../../shared/sbi/service.js';
import { z } from 'zod';

function token(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

function albEvent(overrides: Partial<ALBEvent> = {}): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/x/1' } },
    httpMethod: 'POST',
    path: '/nchf-convergedcharging/v3/chargingdata',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
    isBase64Encoded: false,
    ...overrides,
  };
}

describe('the load balancer event and result', () => {
  it('reads a base64 body and lower-cases header names', () => {
    const request = requestOfAlbEvent(albEvent({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true, headers: { Authorization: 'Bearer x' } }));
    expect(request).toEqual({ method: 'POST', path: '/nchf-convergedcharging/v3/chargingdata', headers: { authorization: 'Bearer x' }, body: '{"a":1}' });
  });

  it('answers JSON with a status description, and 204 without a body', () => {
    expect(albResultOf(jsonResponse(201, { ok: true }, { location: '/x' }))).toEqual({
      statusCode: 201,
      statusDescription: '201 OK',
      headers: { 'content-type': 'application/json', location: '/x' },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
    expect(albResultOf({ status: 204 }).body).toBe('');
  });

  it('maps an unexpected failure to 500 SYSTEM_FAILURE problem details, without its text', async () => {
    // Arrange
    const handler = createHandler({
      charging: { create: async () => Promise.reject(new Error('secret internals')), update: vi.fn(), release: vi.fn() },
      auth: 'mtls',
    });

    // Act
    const result = await handler(
      albEvent({ body: JSON.stringify({ nfConsumerIdentification: { nodeFunctionality: 'SMF' }, invocationTimeStamp: '2026-09-10T07:00:00Z', invocationSequenceNumber: 0 }) }),
    );

    // Assert
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(result.body ?? '')).toMatchObject({ status: 500, cause: 'SYSTEM_FAILURE' });
    expect(result.body).not.toContain('secret');
  });
});

describe('bodies', () => {
  const schema = z.object({ a: z.number() });
  const request = (body: string, type = 'application/json'): SbiRequest => ({ method: 'POST', path: '/', headers: { 'content-type': type }, body });

  it('refuses another media type (415) and an oversized body (413)', () => {
    expect(() => parseBody(request('{}', 'text/plain'), schema)).toThrow(expect.objectContaining({ status: 415, problemCause: 'UNSUPPORTED_MEDIA_TYPE' }));
    expect(() => parseBody(request(`{"a":"${'x'.repeat(300_000)}"}`), schema)).toThrow(expect.objectContaining({ status: 413 }));
  });

  it('accepts problem+json and other +json types', () => {
    expect(parseBody(request('{"a":1}', 'application/merge-patch+json; charset=utf-8'), schema)).toEqual({ a: 1 });
  });
});

describe('oauth2 mode: the service scope of the access token', () => {
  const service = sbiService([{ method: 'POST', pattern: /^\/x$/, handle: async () => jsonResponse(200, { ok: true }) }], { auth: 'oauth2', scope: 'nchf-convergedcharging' });
  const call = (authorization?: string) => service({ method: 'POST', path: '/x', headers: authorization === undefined ? {} : { authorization } });

  it('asks for a token (401 with a Bearer challenge)', async () => {
    const response = await call();
    expect(response.status).toBe(401);
    expect(response.headers?.['www-authenticate']).toBe('Bearer scope="nchf-convergedcharging"');
  });

  it('refuses a token for another service (403 insufficient_scope)', async () => {
    const response = await call(`Bearer ${token({ iss: 'https://nrf', scope: 'nchf-spendinglimitcontrol', exp: 2e9 })}`);
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ cause: 'INSUFFICIENT_SCOPE' });
    expect(response.headers?.['www-authenticate']).toContain('insufficient_scope');
  });

  it('lets a token with the service scope through', async () => {
    const response = await call(`Bearer ${token({ scope: 'nnrf-disc nchf-convergedcharging' })}`);
    expect(response.status).toBe(200);
  });

  it('reads no claims from something that is not a JWT', () => {
    expect(claimsOf('abc')).toBeUndefined();
    expect(claimsOf('a.!!!.c')).toBeUndefined();
  });

  it('checks nothing in mtls mode (the load balancer verified the certificate)', async () => {
    const mtls = sbiService([{ method: 'POST', pattern: /^\/x$/, handle: async () => jsonResponse(200, {}) }], { auth: 'mtls', scope: 's' });
    expect((await mtls({ method: 'POST', path: '/x', headers: {} })).status).toBe(200);
  });
});
