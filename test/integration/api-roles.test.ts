/**
 * Roles, the subscriber's own choices and preconditions, through the real handlers against dynalite:
 * - each function refuses the other roles' routes (the self-care function answers no operator route, the
 *   operator function no self-care route, and the pseudonym lookup needs its role);
 * - a provisioning re-PUT of the profile it holds keeps the subscriber's opt-out and EUR 20 cap, a stale
 *   explicit value is refused, and a change on the subscriber's behalf needs a reason, kept in the audit trail;
 * - limits are bounded by the deployment's maximum; ids over the contract's length are 400;
 * - concurrent edits with a stale ETag get 412;
 * - support's routes: search by MSISDN, pseudonym lookup, resend of the last message.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler, OPERATOR_ROLES, type ApiHandler } from '../../functions/api/handler.js';
import { SELF_CARE_ROLES } from '../../functions/self-care-api/handler.js';
import { NotificationOutbox } from '../../local/outboxes.js';
import type { AuditEntry, ChoiceChangedAudit } from '../../shared/ports/audit-log.js';
import { pseudonymOf } from '../../shared/privacy/pseudonym.js';
import { ROUTES, type ApiResponse, type RouteKey } from '../../shared/selfcare/api.js';
import { startApiWorld, type ApiWorld } from './api-fixture.js';
import { expectDocumented } from './openapi-conformance.js';

const NOW = '2026-09-15T10:00:00Z';
const SUBSCRIBER = 'imsi-208150000000777';
const MSISDN = '+33677700777';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/SupportConsole/agent-42';
const CONSENT = { who: 'account holder, signed in', at: '2026-09-15T09:58:00Z', channel: 'web' };

/** What the provisioning system holds and sends again on every sync: no caps, no channels. */
const provisioned = { msisdn: MSISDN, email: 'line777@example.org', locale: 'en', plan: { name: 'Travel', dataAllowanceBytes: 5_000_000_000, monthlyFeeMicros: 15_000_000 } };

function event(method: string, path: string, options: { body?: unknown; query?: Record<string, string>; headers?: Record<string, string>; caller?: string } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query === undefined ? '' : new URLSearchParams(options.query).toString(),
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.query !== undefined && { queryStringParameters: options.query }),
    ...(options.body !== undefined && { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '15/Sep/2026:10:00:00 +0000',
      timeEpoch: Date.parse(NOW),
      ...(options.caller !== undefined && { authorizer: { iam: { userArn: options.caller } } }),
    } as APIGatewayProxyEventV2['requestContext'],
  };
}

function bodyOf(response: ApiResponse): Record<string, unknown> {
  return JSON.parse(response.body ?? 'null') as Record<string, unknown>;
}

/** A request to any route, with a well-formed body for it (what the role check must refuse before reading). */
function sample(route: RouteKey): APIGatewayProxyEventV2 {
  const [method, template] = route.split(' ') as [string, string];
  const path = template.replace('{id}', SUBSCRIBER).replace('{pseudonym}', pseudonymOf(SUBSCRIBER));
  return event(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
}

describe('API roles, subscriber-owned choices and preconditions', () => {
  let world: ApiWorld;
  let all: ApiHandler;
  let selfCare: ApiHandler;
  let operator: ApiHandler;
  let outbox: NotificationOutbox;
  // The handlers' own log observer: their log lines are scanned for raw identifiers (test/support/identifier-scan-setup.ts).

  beforeAll(async () => {
    world = await startApiWorld(NOW);
    outbox = new NotificationOutbox();
    const deps = { ...world.deps(), notifier: outbox };
    all = createHandler(deps);
    selfCare = createHandler(deps, { roles: SELF_CARE_ROLES });
    operator = createHandler(deps, { roles: OPERATOR_ROLES });
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(async () => {
    world.starter.started.length = 0;
    world.clock.set(NOW);
    await world.profiles.delete(SUBSCRIBER);
    const created = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: provisioned }));
    expect(created.statusCode).toBe(201);
  });

  async function choicesInTrail(): Promise<ChoiceChangedAudit[]> {
    return (await world.audit.list(SUBSCRIBER)).filter((e): e is ChoiceChangedAudit => e.type === 'CHOICE_CHANGED');
  }

  describe('each role is refused on the other roles` routes', () => {
    it('the self-care function answers 403 wrong-role to every operator and lookup route, and the operator function to every self-care route', async () => {
      for (const { key, role } of ROUTES) {
        const bySelfCare = await selfCare(sample(key));
        const byOperator = await operator(sample(key));

        if (role === 'subscriber') {
          expect(byOperator.statusCode, key).toBe(403);
          expect(bodyOf(byOperator), key).toMatchObject({ code: 'wrong-role', type: 'urn:spendcap:problem:wrong-role' });
          expect(bySelfCare.statusCode, key).not.toBe(403);
        } else {
          expect(bySelfCare.statusCode, key).toBe(403);
          expect(bodyOf(bySelfCare), key).toMatchObject({ code: 'wrong-role' });
          expect(byOperator.statusCode, key).not.toBe(403);
        }
      }
    });

    it('the pseudonym lookup needs its own role: an operator-only function refuses it', async () => {
      const operatorOnly = createHandler(world.deps(), { roles: ['operator'] });

      const refused = await operatorOnly(event('GET', `/v1/pseudonyms/${pseudonymOf(SUBSCRIBER)}`));
      const allowed = await operator(event('GET', `/v1/pseudonyms/${pseudonymOf(SUBSCRIBER)}`));

      expect(refused.statusCode).toBe(403);
      expect(allowed.statusCode).toBe(200);
    });

    it('an operator change of a subscriber`s choice needs a reason; the subscriber`s own needs none', async () => {
      const withoutReason = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { limitMicros: 20_000_000 } } }));
      const bySubscriber = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { limitMicros: 20_000_000 } } }));

      expect(withoutReason.statusCode).toBe(400);
      expect(bodyOf(withoutReason).errors).toEqual([{ path: 'reason', message: 'required' }]);
      expect(bySubscriber.statusCode).toBe(200);
    });
  });

  describe('a provisioning re-PUT keeps what the subscriber chose', () => {
    it('keeps the subscriber`s opt-out and EUR 20 cap when the provisioning system re-PUTs the profile it holds', async () => {
      const optOut = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { enabled: false }, consent: CONSENT } }));
      const cap20 = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { overageCap: { limitMicros: 20_000_000 } } }));
      const channels = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { body: { email: true } }));
      expect([optOut.statusCode, cap20.statusCode, channels.statusCode]).toEqual([200, 200, 200]);

      const resync = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: { ...provisioned, plan: { ...provisioned.plan, name: 'Travel Plus' } } }));

      expect(resync.statusCode).toBe(200);
      const stored = await world.profiles.get(SUBSCRIBER);
      expect(stored?.roamingCap).toEqual({ enabled: false, limitMicros: 50_000_000 });
      expect(stored?.overageCap).toEqual({ enabled: true, limitMicros: 20_000_000 });
      expect(stored?.notifications).toEqual({ sms: true, email: true });
      expect(stored?.plan.name).toBe('Travel Plus');
      expect(bodyOf(resync)).toMatchObject({ roamingCap: { enabled: false }, overageCap: { limitMicros: 20_000_000 } });
    });

    it('refuses a re-PUT that carries the stale defaults (409 subscriber-choice, naming each choice), and changes nothing', async () => {
      await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { overageCap: { limitMicros: 20_000_000 } } }));
      const before = await world.profiles.getVersioned(SUBSCRIBER);

      const stale = await operator(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: { ...provisioned, roamingCap: { enabled: true, limitMicros: 50_000_000 }, overageCap: { enabled: true, limitMicros: 50_000_000 } } }),
      );

      expect(stale.statusCode).toBe(409);
      expect(bodyOf(stale)).toMatchObject({ code: 'subscriber-choice', type: 'urn:spendcap:problem:subscriber-choice' });
      expect(bodyOf(stale).errors).toEqual([
        { path: 'overageCap.limitMicros', message: "the subscriber's choice is 20000000; leave it out to keep it, or give Spendcap-Change-Reason to change it" },
      ]);
      expectDocumented('Problem', bodyOf(stale));
      expect(await world.profiles.getVersioned(SUBSCRIBER)).toEqual(before);
    });

    it('changes a choice on the subscriber`s behalf with Spendcap-Change-Reason, keeping the reason and the caller in the audit trail', async () => {
      const response = await operator(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}`, {
          body: { ...provisioned, overageCap: { limitMicros: 30_000_000 } },
          headers: { 'spendcap-change-reason': 'subscriber asked by letter (ref 88)' },
          caller: CALLER,
        }),
      );

      expect(response.statusCode).toBe(200);
      expect((await world.profiles.get(SUBSCRIBER))?.overageCap.limitMicros).toBe(30_000_000);
      // (Every test's entries are at the same instant: found by their reason, not their place in the trail.)
      const entry = (await choicesInTrail()).find((e) => e.reason === 'subscriber asked by letter (ref 88)');
      expect(entry).toMatchObject({
        by: 'operator',
        reason: 'subscriber asked by letter (ref 88)',
        caller: CALLER,
        changes: [{ field: 'overageCap.limitMicros', from: 50_000_000, to: 30_000_000 }],
      });
    });

    it('never opts out through a profile PUT, even with a reason: the subscriber`s consent statement goes through .../caps', async () => {
      const response = await operator(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: { ...provisioned, roamingCap: { enabled: false } }, headers: { 'spendcap-change-reason': 'asked by phone' } }),
      );

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toMatchObject({ code: 'consent-required' });
      expect((await world.profiles.get(SUBSCRIBER))?.roamingCap.enabled).toBe(true);
    });

    it('records every choice change with who made it: the subscriber`s opt-out with its consent statement, support`s consent to continue with its reason', async () => {
      await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { enabled: false }, consent: CONSENT } }));
      const consent = await operator(
        event('POST', `/v1/subscribers/${SUBSCRIBER}/consent`, {
          body: { bucket: 'overage', consent: { who: 'caller verified by PIN', at: '2026-09-15T09:59:00Z', channel: 'voice' }, reason: 'ticket 4712' },
          caller: CALLER,
        }),
      );
      const noStatement = await operator(event('POST', `/v1/subscribers/${SUBSCRIBER}/consent`, { body: { bucket: 'roaming', reason: 'ticket 4713' } }));

      expect(consent.statusCode).toBe(200);
      expect(noStatement.statusCode).toBe(400);
      expect(bodyOf(noStatement).errors).toEqual([{ path: 'consent', message: 'required' }]);
      const trail = await choicesInTrail();
      expect(trail.find((e) => e.by === 'subscriber' && e.consent !== undefined)).toMatchObject({ consent: CONSENT, changes: [{ field: 'roamingCap.enabled', from: true, to: false }] });
      expect(trail.find((e) => e.crossingId === 'CAPS_CHANGED#consent-overage')).toMatchObject({
        by: 'operator',
        reason: 'ticket 4712',
        caller: CALLER,
        consent: { who: 'caller verified by PIN', channel: 'voice' },
        changes: [{ field: 'consent.overage', from: false, to: true }],
        crossingId: 'CAPS_CHANGED#consent-overage',
      });
      const usage = bodyOf(await selfCare(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}/usage`)));
      expectDocumented('Usage', usage);
      expect((usage.audit as AuditEntry[]).filter((e) => e.type === 'CHOICE_CHANGED').length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('bounds', () => {
    it('refuses a limit above the deployment`s maximum, on every route that sets one', async () => {
      const max = world.settings.maxCapLimitMicros ?? 0;
      const huge = { roamingCap: { limitMicros: 9_007_199_254_740_991 } };

      const bySubscriber = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: huge }));
      const byOperator = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}/caps`, { body: { ...huge, reason: 'test' } }));
      const byProfile = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: { ...provisioned, ...huge }, headers: { 'spendcap-change-reason': 'test' } }));
      const atMax = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { limitMicros: max } } }));

      for (const response of [bySubscriber, byOperator, byProfile]) {
        expect(response.statusCode).toBe(400);
        expect(bodyOf(response).errors).toEqual([{ path: 'roamingCap.limitMicros', message: `must be at most ${max} (the deployment maximum)` }]);
      }
      expect(max).toBe(1_000_000_000);
      expect(atMax.statusCode).toBe(200);
    });

    it('answers 400 naming `id` for an id over the contract`s 64 characters, on every route that takes one', async () => {
      const long = 'x'.repeat(3000);
      for (const { key } of ROUTES.filter((r) => r.key.includes('{id}'))) {
        const [method, template] = key.split(' ') as [string, string];
        const response = await all(event(method, template.replace('{id}', long), method === 'GET' || method === 'DELETE' ? {} : { body: {} }));

        expect(response.statusCode, key).toBe(400);
        expect(bodyOf(response).errors, key).toEqual([{ path: 'id', message: 'must be 1 to 64 characters (subscriber.v1 subscriberId), URL-encoded' }]);
        expect(response.body, key).not.toContain(long);
      }
      expect((await all(event('GET', `/v1/subscribers/${'y'.repeat(64)}`))).statusCode).toBe(404);
    });
  });

  describe('ETag / If-Match', () => {
    it('gives the subscriber`s revision as ETag on reads and changes', async () => {
      const read = await operator(event('GET', `/v1/subscribers/${SUBSCRIBER}`));
      const own = await selfCare(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}`));
      const changed = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { body: { email: true } }));

      const revision = (await world.profiles.getVersioned(SUBSCRIBER))?.revision ?? 0;
      expect(read.headers?.etag).toBe(`"${revision - 1}"`);
      expect(own.headers?.etag).toBe(read.headers?.etag);
      expect(changed.headers?.etag).toBe(`"${revision}"`);
    });

    it('concurrent edits: the second change made with the same (now stale) ETag gets 412 and changes nothing', async () => {
      const etag = String((await selfCare(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}`))).headers?.etag);

      const first = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { limitMicros: 20_000_000 } }, headers: { 'if-match': etag } }));
      const second = await operator(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}/caps`, { body: { roamingCap: { limitMicros: 80_000_000 }, reason: 'support console, stale page' }, headers: { 'if-match': etag } }),
      );

      expect(first.statusCode).toBe(200);
      expect(first.headers?.etag).not.toBe(etag);
      expect(second.statusCode).toBe(412);
      expect(bodyOf(second)).toMatchObject({ code: 'precondition-failed', status: 412 });
      expectDocumented('Problem', bodyOf(second));
      expect((await world.profiles.get(SUBSCRIBER))?.roamingCap.limitMicros).toBe(20_000_000);
    });

    it('checks If-Match on every change of the subscriber: profile PUT, DELETE, channels, consent; If-None-Match: * creates only', async () => {
      const stale = { 'if-match': '"999"' };

      const put = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: provisioned, headers: stale }));
      const remove = await operator(event('DELETE', `/v1/subscribers/${SUBSCRIBER}`, { headers: stale }));
      const channels = await selfCare(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { body: { sms: false }, headers: stale }));
      const consent = await selfCare(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { body: { bucket: 'roaming' }, headers: stale }));
      const createOnly = await operator(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, { body: provisioned, headers: { 'if-none-match': '*' } }));
      const current = String((await operator(event('GET', `/v1/subscribers/${SUBSCRIBER}`))).headers?.etag);
      const removed = await operator(event('DELETE', `/v1/subscribers/${SUBSCRIBER}`, { headers: { 'if-match': current } }));

      expect([put.statusCode, remove.statusCode, channels.statusCode, consent.statusCode, createOnly.statusCode]).toEqual([412, 412, 412, 412, 412]);
      expect(removed.statusCode).toBe(204);
      expect(world.starter.started.filter((r) => r.crossingId.startsWith('CAPS_CHANGED#consent'))).toEqual([]);
    });
  });

  describe('support (operator) routes', () => {
    it('finds subscribers by MSISDN (GET /v1/subscribers?msisdn=), and refuses a search without a valid number', async () => {
      const found = await operator(event('GET', '/v1/subscribers', { query: { msisdn: MSISDN } }));
      const none = await operator(event('GET', '/v1/subscribers', { query: { msisdn: '+33600000001' } }));
      const missing = await operator(event('GET', '/v1/subscribers'));
      const invalid = await operator(event('GET', '/v1/subscribers', { query: { msisdn: '0677700777' } }));

      expect(found.statusCode).toBe(200);
      expectDocumented('SubscriberSearch', bodyOf(found));
      expect((bodyOf(found).subscribers as Array<{ subscriberId: string }>).map((s) => s.subscriberId)).toEqual([SUBSCRIBER]);
      expect(bodyOf(none)).toEqual({ subscribers: [] });
      expect(missing.statusCode).toBe(400);
      expect(invalid.statusCode).toBe(400);
      expect((bodyOf(invalid).errors as Array<{ path: string }>)[0]?.path).toBe('msisdn');
    });

    it('goes back from a pseudonym to the subscriber (and only from a well-formed, known one)', async () => {
      const found = await operator(event('GET', `/v1/pseudonyms/${pseudonymOf(SUBSCRIBER)}`));
      const unknown = await operator(event('GET', `/v1/pseudonyms/${pseudonymOf('nobody-at-all')}`));
      const invalid = await operator(event('GET', '/v1/pseudonyms/208150000000777'));

      expect(found.statusCode).toBe(200);
      expectDocumented('PseudonymLookup', bodyOf(found));
      expect(bodyOf(found)).toEqual({ pseudonym: pseudonymOf(SUBSCRIBER), subscriberIds: [SUBSCRIBER] });
      expect(unknown.statusCode).toBe(404);
      expect(bodyOf(unknown)).toMatchObject({ code: 'unknown-pseudonym' });
      expect(invalid.statusCode).toBe(400);
    });

    it('sends the last message again to the number now in the profile, and keeps it in the audit trail as a resend', async () => {
      const first = {
        type: 'NOTIFICATION' as const,
        subscriberId: SUBSCRIBER,
        at: '2026-09-14T08:00:00.000Z',
        period: '2026-09-01',
        crossingId: 'ROAMING_CAP_REACHED@50000000',
        kind: 'ROAMING_CAP_REACHED' as const,
        channel: 'sms' as const,
        to: '+33600000009',
        text: 'Limit reached: ...',
      };
      await world.audit.record(first);
      const sentBefore = outbox.all().length;

      const response = await operator(event('POST', `/v1/subscribers/${SUBSCRIBER}/last-message/resend`, { body: { reason: 'subscriber says the SMS never came' }, caller: CALLER }));

      expect(response.statusCode).toBe(200);
      expectDocumented('Resent', bodyOf(response));
      expect(outbox.all().slice(sentBefore)).toMatchObject([{ subscriberId: SUBSCRIBER, channel: 'sms', to: MSISDN, text: first.text, kind: 'ROAMING_CAP_REACHED' }]);
      const trail = await world.audit.list(SUBSCRIBER, '2026-09-15T00:00:00Z');
      expect(trail).toContainEqual(
        expect.objectContaining({ type: 'NOTIFICATION', to: MSISDN, resend: { of: first.at, reason: 'subscriber says the SMS never came', caller: CALLER } }),
      );
    });

    it('answers no-message when nothing was sent in the period, and channel-off when the channel is off', async () => {
      const other = 'imsi-208150000000778';
      await world.profiles.delete(other);
      await operator(event('PUT', `/v1/subscribers/${other}`, { body: { ...provisioned, msisdn: '+33677700778' } }));
      const nothing = await operator(event('POST', `/v1/subscribers/${other}/last-message/resend`, { body: { reason: 'check' } }));
      await world.audit.record({ type: 'NOTIFICATION', subscriberId: other, at: '2026-09-14T09:00:00.000Z', period: '2026-09-01', crossingId: 'c', kind: 'DATA_ALLOWANCE_80', channel: 'email', to: 'x@example.org', text: 't' });
      const off = await operator(event('POST', `/v1/subscribers/${other}/last-message/resend`, { body: { channel: 'email', reason: 'check' } }));

      expect(nothing.statusCode).toBe(404);
      expect(bodyOf(nothing)).toMatchObject({ code: 'no-message' });
      expect(off.statusCode).toBe(409);
      expect(bodyOf(off)).toMatchObject({ code: 'channel-off' });
    });
  });
});
