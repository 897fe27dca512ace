/**
 * The pure parts of the self-care API: route matching (the same in AWS and on the local server), the
 * structured field errors, and the SMS keyword rule.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { match } from '../../shared/selfcare/api.js';
import { fieldErrorsOf } from '../../shared/selfcare/errors.js';
import { isContinueKeyword, parseInboundSms } from '../../shared/selfcare/inbound-sms.js';

describe('route matching', () => {
  it('maps method and path to the route key and the decoded subscriber id', () => {
    expect(match('PUT', '/subscribers/abc')).toEqual({ route: 'PUT /subscribers/{id}', subscriberId: 'abc' });
    expect(match('get', '/subscribers/a%2Fb/usage')).toEqual({ route: 'GET /subscribers/{id}/usage', subscriberId: 'a/b' });
    expect(match('POST', '/subscribers/x/consent/')).toEqual({ route: 'POST /subscribers/{id}/consent', subscriberId: 'x' });
    expect(match('PUT', '/subscribers/x/notifications')).toEqual({ route: 'PUT /subscribers/{id}/notifications', subscriberId: 'x' });
  });

  it('tells an unknown method on a known path from an unknown path', () => {
    expect(match('POST', '/subscribers/x')).toEqual({ route: undefined, pathMatched: true });
    expect(match('GET', '/subscribers/x/caps')).toEqual({ route: undefined, pathMatched: true });
    expect(match('GET', '/subscribers')).toEqual({ route: undefined, pathMatched: false });
    expect(match('GET', '/subscribers/x/y/usage')).toEqual({ route: undefined, pathMatched: false });
    expect(match('GET', '/subscribers/%E0%A4%A')).toEqual({ route: undefined, pathMatched: false });
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
