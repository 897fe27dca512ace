import { describe, expect, it } from 'vitest';
import { ApiError, createClient, eur, microsOf, previousPeriod, ROUTES } from '../../local/console/api.js';
import { roleOfRoute, ROUTE_KEYS, type RouteKey } from '../../shared/selfcare/api.js';

type Call = { url: string; method?: string; headers?: Record<string, string>; body?: string };

function fakeFetch(answer: (call: Call) => { status: number; body?: unknown; etag?: string }) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const call = { url, ...init };
    calls.push(call);
    const a = answer(call);
    return {
      ok: a.status < 400,
      status: a.status,
      text: async () => (a.body === undefined ? '' : JSON.stringify(a.body)),
      headers: { get: (name: string) => (name === 'etag' ? (a.etag ?? null) : null) },
    };
  };
  return { calls, fetch };
}

describe('the support console client', () => {
  it('keeps every route in one table, all operator routes under /v1', () => {
    expect(Object.keys(ROUTES).sort()).toEqual(['caps', 'consent', 'profile', 'resend', 'search', 'usage']);
    // Each one is a route the API declares, on the operator side (the console is a support tool).
    for (const route of Object.values(ROUTES)) {
      const key = `${route.method} ${route.path}`;
      expect(ROUTE_KEYS).toContain(key);
      expect(roleOfRoute(key as RouteKey)).toBe('operator');
    }
  });

  it('changes a limit on the operator caps route with the reason, sending the ETag', async () => {
    const { calls, fetch } = fakeFetch(() => ({ status: 200, body: {}, etag: '"9"' }));
    const client = createClient('http://api', fetch);
    const answer = await client.changeLimit('S1', { bucket: 'overage', limitMicros: 20_000_000, reason: 'asked by phone' }, '"8"');
    expect(answer).toEqual({ body: {}, etag: '"9"' });
    expect(calls[0]).toMatchObject({ url: 'http://api/v1/subscribers/S1/caps', method: 'PUT', headers: { 'if-match': '"8"' } });
    expect(JSON.parse(calls[0]!.body!)).toEqual({ overageCap: { limitMicros: 20_000_000 }, reason: 'asked by phone' });
  });

  it('searches by phone number and records consent with who, how and why, sending the ETag', async () => {
    const { calls, fetch } = fakeFetch((c) => (c.url.includes('msisdn') ? { status: 200, body: { subscribers: [{ subscriberId: 'S1' }] } } : { status: 200, body: {}, etag: '"8"' }));
    const client = createClient('http://api', fetch);
    expect(await client.searchByPhone('+33650000001')).toEqual([{ subscriberId: 'S1' }]);
    expect(calls[0]!.url).toBe('http://api/v1/subscribers?msisdn=%2B33650000001');
    await client.recordConsent('S 1', { bucket: 'roaming', who: 'caller verified', channel: 'voice', reason: 'ticket 1' }, '"7"');
    const consent = calls[1]!;
    expect(consent.url).toBe('http://api/v1/subscribers/S%201/consent');
    expect(consent.method).toBe('POST');
    expect(consent.headers?.['if-match']).toBe('"7"');
    expect(JSON.parse(consent.body!)).toMatchObject({ bucket: 'roaming', consent: { who: 'caller verified', channel: 'voice' }, reason: 'ticket 1' });
  });

  it('turns problem details into one readable error', async () => {
    const client = createClient('', fakeFetch(() => ({ status: 400, body: { type: 'https://spendcap.dev/problems/invalid-request', title: 'The request is invalid', status: 400, code: 'invalid-request', errors: [{ path: 'roamingCap.limitMicros', message: 'must be at most 500000000' }] } })).fetch);
    const error = await client.changeLimit('S1', { bucket: 'roaming', limitMicros: 600_000_000, reason: 'asked' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('The request is invalid: roamingCap.limitMicros: must be at most 500000000');
  });

  it('reads and writes euros as integer micros', () => {
    expect(microsOf('20')).toBe(20_000_000);
    expect(microsOf('20,5')).toBe(20_500_000);
    expect(microsOf('0.07')).toBe(70_000);
    expect(microsOf('-1')).toBeUndefined();
    expect(microsOf('1e3')).toBeUndefined();
    expect(eur(50_000_000)).toBe('50.00');
    expect(eur(1_234_567)).toBe('1.23');
  });

  it('finds the previous billing period, clamping the cycle day to short months', () => {
    expect(previousPeriod('2026-09-01', 1)).toBe('2026-08-01');
    expect(previousPeriod('2026-01-15', 15)).toBe('2025-12-15');
    expect(previousPeriod('2026-03-31', 31)).toBe('2026-02-28');
  });
});
