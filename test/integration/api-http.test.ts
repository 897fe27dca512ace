/**
 * The handler mounted on node:http (shared/selfcare/http-adapter.ts), as the local runtime serves it to
 * curl (every role, no IAM): real HTTP requests in, the same answers as through API Gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/api/handler.js';
import { selfCareOnDynamo } from '../../shared/selfcare/config.js';
import { startApiServer, toApiRequest, type LocalApiServer } from '../../shared/selfcare/http-adapter.js';
import { startApiWorld, type ApiWorld } from './api-fixture.js';

const SUBSCRIBER = 'imsi-208150000000003';

describe('self-care API on node:http', () => {
  let world: ApiWorld;
  let server: LocalApiServer;

  beforeAll(async () => {
    world = await startApiWorld('2026-09-15T10:00:00Z');
    // As the local runtime mounts it: the DynamoDB wiring of production, on dynalite, with its own starter and clock.
    const selfCare = selfCareOnDynamo({ client: world.documents, tables: world.tables, workflow: world.starter, clock: world.clock, settings: world.settings });
    server = await startApiServer(createHandler(selfCare, { observer: { answered: () => undefined } }));
  });

  afterAll(async () => {
    await server.close();
    await world.stop();
  });

  it('provisions, reads usage, changes caps and consents over HTTP', async () => {
    const put = await fetch(`${server.url}/v1/subscribers/${SUBSCRIBER}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msisdn: '+33611223344', plan: { dataAllowanceBytes: 5_000_000_000 } }),
    });
    const usage = await fetch(`${server.url}/v1/self-care/subscribers/${SUBSCRIBER}/usage?period=2026-09-01`);
    const caps = await fetch(`${server.url}/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { method: 'PUT', body: JSON.stringify({ roamingCap: { limitMicros: 20_000_000 } }) });
    const consent = await fetch(`${server.url}/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { method: 'POST', body: JSON.stringify({ bucket: 'roaming' }) });

    expect(put.status).toBe(201);
    expect(put.headers.get('content-type')).toBe('application/json');
    expect(put.headers.get('etag')).toBe('"1"');
    expect(put.headers.get('location')).toBe(`/v1/subscribers/${SUBSCRIBER}`);
    expect(((await put.json()) as { subscriberId: string }).subscriberId).toBe(SUBSCRIBER);
    expect(usage.status).toBe(200);
    expect(((await usage.json()) as { period: { id: string } }).period.id).toBe('2026-09-01');
    expect(caps.status).toBe(200);
    expect(((await caps.json()) as { roamingCap: unknown }).roamingCap).toEqual({ enabled: true, limitMicros: 20_000_000 });
    expect(consent.status).toBe(200);
    expect((await world.usage.load(SUBSCRIBER, ['2026-09-01'])).counters.get('2026-09-01')?.counters.consent.roaming).toBe(true);
  });

  it('answers errors as the API does: problem details, 412 on a stale If-Match sent as a header, 404, 204 with no body', async () => {
    const invalid = await fetch(`${server.url}/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { method: 'PUT', body: '{"sms": "yes"}' });
    const stale = await fetch(`${server.url}/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { method: 'PUT', headers: { 'If-Match': '"1"' }, body: '{"sms": false}' });
    const unknown = await fetch(`${server.url}/v1/subscribers/nobody`);
    const removed = await fetch(`${server.url}/v1/subscribers/${SUBSCRIBER}`, { method: 'DELETE' });

    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toBe('application/problem+json');
    expect(await invalid.json()).toEqual({
      type: 'urn:spendcap:problem:invalid-request',
      title: 'The request is invalid',
      status: 400,
      detail: 'sms: must be true or false',
      code: 'invalid-request',
      errors: [{ path: 'sms', message: 'must be true or false' }],
    });
    expect(stale.status).toBe(412);
    expect(unknown.status).toBe(404);
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
  });

  it('turns a request line into the payload 2.0 fields the router reads', () => {
    expect(toApiRequest('get', '/v1/subscribers/a%2Fb/usage?period=2026-09-01', '', { 'If-Match': '"3"' })).toEqual({
      rawPath: '/v1/subscribers/a%2Fb/usage',
      isBase64Encoded: false,
      headers: { 'if-match': '"3"' },
      queryStringParameters: { period: '2026-09-01' },
      requestContext: { http: { method: 'GET' } },
    });
  });
});
