/**
 * The pure parts of the API: route matching and roles (the same in AWS and on the local server), the
 * preconditions, the structured field errors, and the SMS keyword rule.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { conditionsOf, etagOf, match, roleOfRoute, ROUTE_KEYS, ROUTES, routesOf } from '../../shared/selfcare/api.js';
import { fieldErrorsOf } from '../../shared/selfcare/errors.js';
import { isContinueKeyword, parseInboundSms } from '../../shared/selfcare/inbound-sms.js';

describe('route matching', () => {
  it('maps method and path to the route key and its parameters (still URL-encoded), all under /v1', () => {
    expect(match('PUT', '/v1/subscribers/abc')).toEqual({ route: 'PUT /v1/subscribers/{id}', params: { id: 'abc' } });
    expect(match('get', '/v1/self-care/subscribers/a%2Fb/usage')).toEqual({ route: 'GET /v1/self-care/subscribers/{id}/usage', params: { id: 'a%2Fb' } });
    expect(match('POST', '/v1/subscribers/x/consent/')).toEqual({ route: 'POST /v1/subscribers/{id}/consent', params: { id: 'x' } });
    expect(match('GET', '/v1/subscribers')).toEqual({ route: 'GET /v1/subscribers', params: {} });
    expect(match('GET', '/v1/pseudonyms/sub-0123456789abcdef')).toEqual({ route: 'GET /v1/pseudonyms/{pseudonym}', params: { pseudonym: 'sub-0123456789abcdef' } });
    expect(match('POST', '/v1/subscribers/x/last-message/resend')).toEqual({ route: 'POST /v1/subscribers/{id}/last-message/resend', params: { id: 'x' } });
  });

  it('tells an unknown method on a known path (with the methods it allows) from an unknown path', () => {
    expect(match('POST', '/v1/subscribers/x')).toEqual({ route: undefined, allowed: ['PUT', 'GET', 'DELETE'] });
    expect(match('GET', '/v1/subscribers/x/caps')).toEqual({ route: undefined, allowed: ['PUT'] });
    expect(match('DELETE', '/v1/self-care/subscribers/x')).toEqual({ route: undefined, allowed: ['GET'] });
    expect(match('GET', '/subscribers/x')).toEqual({ route: undefined, allowed: [] });
    expect(match('GET', '/v1/subscribers/x/y/usage')).toEqual({ route: undefined, allowed: [] });
    expect(match('GET', '/v1/subscribers//usage')).toEqual({ route: undefined, allowed: [] });
  });

  it('gives every route exactly one role, and splits them by path: self-care, operator, pseudonym lookup', () => {
    for (const { key, role } of ROUTES) {
      const path = key.split(' ')[1] ?? '';
      if (role === 'subscriber') expect(path).toMatch(/^\/v1\/self-care\/subscribers\//);
      if (role === 'operator') expect(path).toMatch(/^\/v1\/subscribers(\/|$)/);
      if (role === 'pseudonymLookup') expect(path).toMatch(/^\/v1\/pseudonyms\//);
    }
    expect(new Set(ROUTE_KEYS).size).toBe(ROUTES.length);
    expect(routesOf(['subscriber']).every((r) => roleOfRoute(r) === 'subscriber')).toBe(true);
    expect([...routesOf(['subscriber']), ...routesOf(['operator']), ...routesOf(['pseudonymLookup'])].sort()).toEqual([...ROUTE_KEYS].sort());
  });
});

describe('preconditions', () => {
  const request = (headers: Record<string, string>) => ({ rawPath: '/', headers, requestContext: { http: { method: 'PUT' } } });

  it('reads If-Match as revisions, `*` as any; weak and foreign tags match nothing', () => {
    expect(conditionsOf(request({ 'if-match': '"7"' }))).toEqual({ ifMatch: [7] });
    expect(conditionsOf(request({ 'if-match': '"7", "8"' }))).toEqual({ ifMatch: [7, 8] });
    expect(conditionsOf(request({ 'if-match': '*' }))).toEqual({ ifMatch: ['*'] });
    expect(conditionsOf(request({ 'if-match': 'W/"7"' }))).toEqual({ ifMatch: [] });
    expect(conditionsOf(request({ 'if-match': 'abc' }))).toEqual({ ifMatch: [] });
    expect(conditionsOf(request({ 'If-None-Match': '*' }))).toEqual({ ifNoneMatch: true });
    expect(conditionsOf(request({ 'spendcap-change-reason': 'ticket 4711' }))).toEqual({ changeReason: 'ticket 4711' });
    expect(conditionsOf(request({}))).toEqual({});
  });

  it('writes the subscriber`s revision as a strong ETag', () => {
    expect(etagOf(12)).toBe('"12"');
  });
});

describe('field errors', () => {
  it('names each field by its dotted path, one entry per unknown key', () => {
    const schema = z.strictObject({ cap: z.strictObject({ limit: z.number().int() }) });
    const result = schema.safeParse({ cap: { limit: 1.5, extra: 1 }, other: true });
    if (result.success) throw new Error('expected a failure');

    const fields = fieldErrorsOf(result.error);

    expect(fields.map((f) => f.path).sort()).toEqual(['cap.extra', 'cap.limit', 'other']);
    expect(fields.find((f) => f.path === 'other')?.message).toBe('not allowed');
  });
});

describe('SMS keyword', () => {
  it('accepts either locale`s keyword, whatever the case, blanks and final punctuation', () => {
    for (const body of ['CONTINUER', 'continuer', ' Continue ', 'CONTINUE.', 'continuer !', 'ＣＯＮＴＩＮＵＥ']) {
      expect(isContinueKeyword(body, DEFAULT_SETTINGS), body).toBe(true);
    }
  });

  it('refuses anything else', () => {
    for (const body of ['', 'STOP', 'CONTINUE ROAMING', 'continu', 'je veux continuer', 'CONTINUERR']) {
      expect(isContinueKeyword(body, DEFAULT_SETTINGS), body).toBe(false);
    }
  });

  it('follows the deployment`s keywords', () => {
    const settings = { continueKeyword: { fr: 'OUI', en: 'YES' } };

    expect(isContinueKeyword('oui', settings)).toBe(true);
    expect(isContinueKeyword('CONTINUER', settings)).toBe(false);
  });

  it('reads the inbound SMS document, naming a missing field', () => {
    expect(parseInboundSms(JSON.stringify({ originationNumber: '+33612345678', messageBody: 'x', extra: 1 }))).toEqual({
      ok: true,
      value: { originationNumber: '+33612345678', messageBody: 'x' },
    });
    const missing = parseInboundSms(JSON.stringify({ messageBody: 'x' }));
    expect(missing.ok).toBe(false);
    expect(missing.ok ? '' : missing.reason).toMatch(/^originationNumber: /);
  });
});
