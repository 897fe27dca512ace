/**
 * The API through the real handler (functions/api/handler.ts createHandler, every role, as the local server
 * mounts it) against dynalite: every endpoint's happy path, the 400s naming the fields at fault, 404 for an
 * unknown subscriber, the cap changes that bar or lift at once, consent, 409 under a concurrent writer,
 * idempotent PUTs; and every response body checked against its schema in docs/openapi.json. Roles, owned
 * choices, ETags and the operator's routes: test/integration/api-roles.test.ts.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler, type ApiHandler } from '../../functions/api/handler.js';
import { applyRated, emptyCounters } from '../../shared/domain/counters.js';
import type { PeriodCounters, SubscriberProfile } from '../../shared/domain/model.js';
import { billingPeriodById } from '../../shared/domain/periods.js';
import { subscriberProfileSchema } from '../../shared/domain/subscriber-schema.js';
import type { RatedUsage } from '../../shared/domain/rating.js';
import { barOf, setBars } from '../support/bars.js';
import type { AuditEntry } from '../../shared/ports/audit-log.js';
import type { SelfCareDeps } from '../../shared/selfcare/use-cases.js';
import type { ApiObserver, ApiResponse } from '../../shared/selfcare/api.js';
import { pseudonymOf } from '../../shared/privacy/pseudonym.js';
import { startApiWorld, type ApiWorld } from './api-fixture.js';
import { expectDocumented } from './openapi-conformance.js';

const NOW = '2026-09-15T10:00:00Z';
const PERIOD = '2026-09-01';
const SUBSCRIBER = 'imsi-208150000000001';
const MSISDN = '+33612345678';

/** A consent statement as the self-care portal records it. */
const CONSENT = { who: 'account holder, signed in', at: '2026-09-15T09:58:00Z', channel: 'web' as const };

const profileBody = (overrides: Record<string, unknown> = {}) => ({
  subscriberId: SUBSCRIBER,
  msisdn: MSISDN,
  locale: 'fr',
  plan: { name: 'Travel 10 GB', dataAllowanceBytes: 10_000_000_000, monthlyFeeMicros: 20_000_000 },
  ...overrides,
});

function event(method: string, path: string, body?: unknown, query?: Record<string, string>, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const rawQueryString = query === undefined ? '' : new URLSearchParams(query).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: { 'content-type': 'application/json', ...headers },
    ...(query !== undefined && { queryStringParameters: query }),
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
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
    },
  };
}

function bodyOf(response: ApiResponse): Record<string, unknown> {
  return JSON.parse(response.body ?? 'null') as Record<string, unknown>;
}

/** A roaming data charge as rating produces it (Switzerland: outside roam-like-at-home). */
function roamingCharge(chargeMicros: number): RatedUsage {
  return { zone: { kind: 'world', mcc: '228', zone: 'restOfWorld' }, roaming: true, bucket: 'roaming', dataBytes: 1_000_000, allowanceBytes: 0, voiceSeconds: 0, smsCount: 0, chargeMicros };
}

function overageCharge(chargeMicros: number): RatedUsage {
  return { zone: { kind: 'home' }, roaming: false, bucket: 'overage', dataBytes: 1_000_000, allowanceBytes: 1_000_000, voiceSeconds: 0, smsCount: 0, chargeMicros };
}

describe('self-care API against dynalite', () => {
  let world: ApiWorld;
  let api: ApiHandler;
  const answered: Array<{ route: string; statusCode: number; subscriber?: string }> = [];
  const observer: ApiObserver = { answered: (route, statusCode, _error, subscriber) => answered.push({ route, statusCode, ...(subscriber !== undefined && { subscriber }) }) };

  beforeAll(async () => {
    world = await startApiWorld(NOW);
    api = createHandler(world.deps(), { observer });
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(async () => {
    world.starter.started.length = 0;
    world.clock.set(NOW);
    // Each test starts from the same provisioned subscriber, no usage, no bar.
    await world.profiles.delete(SUBSCRIBER);
    await world.usage.load(SUBSCRIBER, [PERIOD]).then(async ({ counters }) => {
      const stored = counters.get(PERIOD);
      if (stored !== undefined) {
        await world.usage.saveCounters({ counters: emptyCounters(SUBSCRIBER, PERIOD), expectedVersion: stored.version, applied: {}, pending: [] });
      }
    });
    await setBars(world.bars, SUBSCRIBER, {});
  });

  /** Provisions the subscriber (its CAPS_CHANGED start is forgotten: each test looks at what follows). */
  async function provision(overrides: Record<string, unknown> = {}): Promise<SubscriberProfile> {
    const response = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody(overrides)));
    expect(response.statusCode).toBe(201);
    world.starter.started.length = 0;
    return bodyOf(response) as unknown as SubscriberProfile;
  }

  /** The revision of the stored profile: what names the line's reconcile after a change. */
  async function revision(): Promise<number> {
    return (await world.profiles.getVersioned(SUBSCRIBER))?.revision ?? 0;
  }

  const roamingBar = barOf('roaming', PERIOD, '2026-09-30T22:00:00Z', 'ROAMING_CAP_REACHED@10000000');

  /** What ingest would have written: the counters after these rated events, under the version condition. */
  async function spend(...charges: RatedUsage[]): Promise<PeriodCounters> {
    const profile = await world.profiles.get(SUBSCRIBER);
    if (profile === undefined) throw new Error('provision first');
    const { counters } = await world.usage.load(SUBSCRIBER, [PERIOD]);
    const stored = counters.get(PERIOD);
    let next = stored?.counters ?? emptyCounters(SUBSCRIBER, PERIOD);
    for (const charge of charges) next = applyRated(next, charge, profile);
    const { saved } = await world.usage.saveCounters({ counters: next, expectedVersion: stored?.version ?? 0, applied: stored?.applied ?? {}, pending: stored?.pending ?? [] });
    expect(saved).toBe(true);
    return next;
  }

  async function countersNow(): Promise<PeriodCounters> {
    const { counters } = await world.usage.load(SUBSCRIBER, [PERIOD]);
    return counters.get(PERIOD)?.counters ?? emptyCounters(SUBSCRIBER, PERIOD);
  }

  describe('PUT/GET/DELETE /subscribers/{id}', () => {
    it('creates a profile with the contract defaults (201), answers the same again with 200, and GET returns it', async () => {
      const created = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody()));
      const again = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody()));
      const read = await api(event('GET', `/v1/subscribers/${SUBSCRIBER}`));

      expect(created.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      expect(read.statusCode).toBe(200);
      expect(bodyOf(created)).toEqual({
        subscriberId: SUBSCRIBER,
        msisdn: MSISDN,
        locale: 'fr',
        plan: { name: 'Travel 10 GB', dataAllowanceBytes: 10_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
        roamingCap: { enabled: true, limitMicros: 50_000_000 },
        overageCap: { enabled: true, limitMicros: 50_000_000 },
        notifications: { sms: true, email: false },
      });
      expect(bodyOf(again)).toEqual(bodyOf(created));
      expect(bodyOf(read)).toEqual(bodyOf(created));
      expectDocumented('SubscriberProfile', bodyOf(read));
    });

    it('takes the subscriber id from the path when the body leaves it out', async () => {
      const { subscriberId: _omitted, ...body } = profileBody();

      const response = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, body));

      expect(response.statusCode).toBe(201);
      expect((await world.profiles.get(SUBSCRIBER))?.subscriberId).toBe(SUBSCRIBER);
    });

    it('refuses a body whose subscriberId differs from the path, naming the field', async () => {
      const response = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody({ subscriberId: 'someone-else' })));

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).errors).toEqual([{ path: 'subscriberId', message: 'must equal the subscriber id in the path (or be left out)' }]);
      expect(await world.profiles.get(SUBSCRIBER)).toBeUndefined();
      expect(await world.profiles.get('someone-else')).toBeUndefined();
    });

    it('answers 400 with every field at fault, and stores nothing', async () => {
      const response = await api(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody({ msisdn: '0612345678', plan: { dataAllowanceBytes: -1, timeZone: 'Mars/Olympus' }, nickname: 'x' })),
      );

      expect(response.statusCode).toBe(400);
      const fields = bodyOf(response).errors as Array<{ path: string; message: string }>;
      expect(fields.map((f) => f.path).sort()).toEqual(['msisdn', 'nickname', 'plan.dataAllowanceBytes', 'plan.timeZone']);
      expect(fields.find((f) => f.path === 'plan.dataAllowanceBytes')?.message).toBe('must be an integer >= 0');
      expect(fields.find((f) => f.path === 'nickname')?.message).toBe('not allowed');
      expectDocumented('Problem', bodyOf(response));
      expect(await world.profiles.get(SUBSCRIBER)).toBeUndefined();
    });

    it('answers 400 naming the body when it is not JSON or not an object', async () => {
      const notJson = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, '{"msisdn": '));
      const array = await api(event('PUT', `/v1/subscribers/${SUBSCRIBER}`, [1, 2]));

      expect(notJson.statusCode).toBe(400);
      expect((bodyOf(notJson).errors as Array<{ path: string; message: string }>)[0]?.path).toBe('body');
      expect((bodyOf(notJson).errors as Array<{ path: string; message: string }>)[0]?.message).toMatch(/^not valid JSON/);
      expect(array.statusCode).toBe(400);
      expect(bodyOf(array).errors).toEqual([{ path: 'body', message: 'profile: must be a JSON object (got an array)' }]);
    });

    it('answers 404 for an unknown subscriber on GET and DELETE', async () => {
      const read = await api(event('GET', '/v1/subscribers/nobody'));
      const removed = await api(event('DELETE', '/v1/subscribers/nobody'));

      expect(read.statusCode).toBe(404);
      expect(bodyOf(read)).toMatchObject({ type: 'urn:spendcap:problem:unknown-subscriber', code: 'unknown-subscriber', status: 404 });
      expect(removed.statusCode).toBe(404);
    });

    it('deletes a profile (204), after which it is unknown', async () => {
      await provision();

      const removed = await api(event('DELETE', `/v1/subscribers/${SUBSCRIBER}`));
      const read = await api(event('GET', `/v1/subscribers/${SUBSCRIBER}`));

      expect(removed.statusCode).toBe(204);
      expect(removed.body).toBeUndefined();
      expect(read.statusCode).toBe(404);
    });

    it('decodes the subscriber id in the path', async () => {
      const id = 'acct/42 line#1';
      const response = await api(event('PUT', `/v1/subscribers/${encodeURIComponent(id)}`, profileBody({ subscriberId: id })));

      expect(response.statusCode).toBe(201);
      expect((await world.profiles.get(id))?.msisdn).toBe(MSISDN);
      await world.profiles.delete(id);
    });

    it('lowering a cap through a profile PUT bars at once, like PUT /caps', async () => {
      await provision();
      await spend(roamingCharge(30_000_000));

      const response = await api(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody({ roamingCap: { limitMicros: 20_000_000 } }), undefined, { 'spendcap-change-reason': 'subscriber asked by letter' }),
      );

      expect(response.statusCode).toBe(200);
      expect(world.starter.started.map((r) => r.crossingId)).toEqual([`CAPS_CHANGED#r${await revision()}`]);
      expect(Object.keys((await countersNow()).fired)).toContain('ROAMING_CAP_REACHED@20000000');
    });
    it('a retried profile PUT still bars when the first attempt stored the profile and failed before the workflow start', async () => {
      await provision();
      await spend(roamingCharge(30_000_000));
      const lowered = subscriberProfileSchema.parse(profileBody({ roamingCap: { limitMicros: 20_000_000 } }));
      await world.profiles.put(lowered);

      const retry = await api(
        event('PUT', `/v1/subscribers/${SUBSCRIBER}`, profileBody({ roamingCap: { limitMicros: 20_000_000 } }), undefined, { 'spendcap-change-reason': 'subscriber asked by letter' }),
      );

      expect(retry.statusCode).toBe(200);
      expect(world.starter.started.map((r) => r.crossingId)).toEqual([`CAPS_CHANGED#r${await revision()}`]);
    });
  });

  describe('GET /subscribers/{id}/usage', () => {
    it('shows the current period by default: counters, charges, billable, written off, bars and the audit trail', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(6_000_000), roamingCharge(6_000_000), overageCharge(2_000_000));
      await setBars(world.bars, SUBSCRIBER, { roaming: { ...roamingBar, placedAt: '2026-09-14T08:00:00.000Z' } });
      const entries: AuditEntry[] = [
        { type: 'NOTIFICATION', subscriberId: SUBSCRIBER, at: '2026-09-14T08:00:00.000Z', period: PERIOD, crossingId: 'ROAMING_CAP_REACHED@10000000', kind: 'ROAMING_CAP_REACHED', channel: 'sms', to: MSISDN, text: 'Plafond atteint' },
        { type: 'CARRIER_COMMAND', subscriberId: SUBSCRIBER, at: '2026-09-14T08:00:01.000Z', period: PERIOD, crossingId: 'ROAMING_CAP_REACHED@10000000', command: 'BAR_DATA_ROAMING', reason: 'ROAMING_CAP_REACHED@10000000', idempotencyKey: 'k1', status: 'DONE' },
        // Previous period: not part of this one's trail.
        { type: 'NOTIFICATION', subscriberId: SUBSCRIBER, at: '2026-08-20T08:00:00.000Z', period: '2026-08-01', crossingId: 'ROAMING_WELCOME#e1', kind: 'ROAMING_WELCOME', channel: 'sms', to: MSISDN, text: 'Bienvenue' },
      ];
      for (const entry of entries) await world.audit.record(entry);

      const response = await api(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}/usage`));

      expect(response.statusCode).toBe(200);
      const usage = bodyOf(response);
      expectDocumented('Usage', usage);
      const period = billingPeriodById(PERIOD, { billingCycleDay: 1, timeZone: 'Europe/Paris' });
      expect(usage.period).toEqual({ id: PERIOD, start: period.start, end: period.end });
      expect(usage.current).toBe(true);
      expect(usage.data).toEqual({ dataBytes: 3_000_000, roamingDataBytes: 2_000_000, allowanceBytes: 1_000_000, dataAllowanceBytes: 10_000_000_000 });
      expect(usage.eventsApplied).toBe(3);
      expect(usage.roaming).toEqual({
        chargeMicros: 12_000_000,
        billableMicros: 10_000_000,
        writtenOffMicros: 2_000_000,
        cap: { enabled: true, limitMicros: 10_000_000 },
        consent: false,
        bar: { at: '2026-09-14T08:00:00.000Z', until: '2026-09-30T22:00:00Z', period: PERIOD, reason: 'ROAMING_CAP_REACHED@10000000' },
        late: { events: 0, writtenOffMicros: 0 },
      });
      expect(usage.overage).toMatchObject({ chargeMicros: 2_000_000, billableMicros: 2_000_000, writtenOffMicros: 0, bar: null });
      // (Choices changed by the earlier tests on the same subscriber are in the trail too: left out here.)
      const trail = (usage.audit as AuditEntry[]).filter((e) => e.type !== 'CHOICE_CHANGED');
      expect(trail.map((e) => e.crossingId)).toEqual(['ROAMING_CAP_REACHED@10000000', 'ROAMING_CAP_REACHED@10000000']);
      expect(trail[0]).toMatchObject({ type: 'NOTIFICATION', kind: 'ROAMING_CAP_REACHED', channel: 'sms', text: 'Plafond atteint' });
    });

    it('shows an earlier period with ?period=, and a period with no usage as zeros', async () => {
      await provision();
      await world.audit.record({ type: 'NOTIFICATION', subscriberId: SUBSCRIBER, at: '2026-08-20T08:00:00.000Z', period: '2026-08-01', crossingId: 'ROAMING_WELCOME#e1', kind: 'ROAMING_WELCOME', channel: 'sms', to: MSISDN, text: 'Bienvenue' });

      const response = await api(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}/usage`, undefined, { period: '2026-08-01' }));

      expect(response.statusCode).toBe(200);
      const usage = bodyOf(response);
      expect(usage.period).toMatchObject({ id: '2026-08-01' });
      expect(usage.current).toBe(false);
      expect(usage.roaming).toMatchObject({ chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0 });
      expect((usage.audit as AuditEntry[]).map((e) => e.crossingId)).toEqual(['ROAMING_WELCOME#e1']);
    });

    it('follows the clock into the next period', async () => {
      await provision();
      await spend(roamingCharge(5_000_000));
      world.clock.set('2026-10-01T08:00:00Z');

      const usage = bodyOf(await api(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}/usage`)));

      expect(usage.period).toMatchObject({ id: '2026-10-01' });
      expect(usage.roaming).toMatchObject({ chargeMicros: 0 });
    });

    it('answers 400 naming `period` when it is not a period of the plan', async () => {
      await provision();

      const notADate = await api(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}/usage`, undefined, { period: 'last-month' }));
      const wrongDay = await api(event('GET', `/v1/self-care/subscribers/${SUBSCRIBER}/usage`, undefined, { period: '2026-09-05' }));

      expect(notADate.statusCode).toBe(400);
      expect(bodyOf(notADate).errors).toEqual([{ path: 'period', message: 'must be a date YYYY-MM-DD' }]);
      expect(wrongDay.statusCode).toBe(400);
      expect(bodyOf(wrongDay).errors).toEqual([{ path: 'period', message: '2026-09-05 does not start on plan.billingCycleDay 1' }]);
    });

    it('answers 404 for an unknown subscriber', async () => {
      expect((await api(event('GET', '/v1/self-care/subscribers/nobody/usage'))).statusCode).toBe(404);
    });
  });

  describe('PUT /subscribers/{id}/caps', () => {
    it('lowering the roaming limit to or below the spend bars now: CAP_REACHED for the new limit, marked fired', async () => {
      await provision();
      await spend(roamingCharge(30_000_000));

      const response = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 25_000_000 } }));

      expect(response.statusCode).toBe(200);
      expectDocumented('Caps', bodyOf(response));
      expect(bodyOf(response)).toEqual({
        subscriberId: SUBSCRIBER,
        period: PERIOD,
        roamingCap: { enabled: true, limitMicros: 25_000_000 },
        overageCap: { enabled: true, limitMicros: 50_000_000 },
        effects: [{ bucket: 'roaming', effect: 'bar', reason: `CAPS_CHANGED#r${await revision()}` }],
      });
      // The 80% warning of the new limit is passed at the same moment: only the reconcile (and its cap message) goes out.
      const reconcile = { kind: 'CAPS_CHANGED', subscriberId: SUBSCRIBER, period: PERIOD, crossingId: `CAPS_CHANGED#r${await revision()}`, at: new Date(NOW).toISOString() };
      expect(world.starter.started).toEqual([reconcile]);
      const counters = await countersNow();
      // Both marked fired, so that ingest does not announce the same cap again.
      expect(Object.keys(counters.fired).sort()).toEqual(['ROAMING_CAP_REACHED@25000000', 'ROAMING_SPEND_80@25000000']);
      // Written with the counters (a crash before the start leaves it for the next writer to start), then
      // started and removed from the outbox, as ingest does.
      const stored = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);
      expect(stored?.pending).toEqual([]);
      expect((await world.profiles.get(SUBSCRIBER))?.roamingCap).toEqual({ enabled: true, limitMicros: 25_000_000 });
    });

    it('is idempotent: the same lowering again changes neither profile nor counters and starts the same (deterministically named) request', async () => {
      await provision();
      await spend(roamingCharge(30_000_000));
      const body = { roamingCap: { limitMicros: 25_000_000 } };
      await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, body));
      const afterFirst = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);
      const revisionAfterFirst = await revision();

      const again = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, body));

      expect(again.statusCode).toBe(200);
      expect(bodyOf(again)).toMatchObject({ roamingCap: { enabled: true, limitMicros: 25_000_000 } });
      expect(await revision()).toBe(revisionAfterFirst);
      // Its request goes through the outbox again (the first one emptied it), so only the outbox moved.
      const afterAgain = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);
      expect(afterAgain?.counters).toEqual(afterFirst?.counters);
      expect(afterAgain?.applied).toEqual(afterFirst?.applied);
      expect(afterAgain?.pending).toEqual([]);
      expect(new Set(world.starter.started.map((r) => r.crossingId))).toEqual(new Set([`CAPS_CHANGED#r${revisionAfterFirst}`]));
    });

    it('raising then lowering back to a limit already spent reconciles again each time (new revision, new request)', async () => {
      await provision();
      await spend(roamingCharge(30_000_000));
      await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 25_000_000 } }));
      await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 100_000_000 } }));
      await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 25_000_000 } }));

      const names = world.starter.started.filter((r) => r.kind === 'CAPS_CHANGED').map((r) => r.crossingId);
      expect(new Set(names).size).toBe(3);
    });

    it('lowering to a limit still above the spend warns at 80% but does not bar', async () => {
      await provision();
      await spend(roamingCharge(30_000_000));

      const response = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 35_000_000 } }));

      expect(bodyOf(response).effects).toEqual([]);
      expect(world.starter.started.map((r) => r.crossingId)).toEqual(['ROAMING_SPEND_80@35000000', `CAPS_CHANGED#r${await revision()}`]);
    });

    it('raising the limit above the spend lifts the cap bar', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(12_000_000));
      await setBars(world.bars, SUBSCRIBER, { roaming: roamingBar });

      const response = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 100_000_000 } }));

      expect(response.statusCode).toBe(200);
      const crossingId = `CAPS_CHANGED#r${await revision()}`;
      expect(bodyOf(response).effects).toEqual([{ bucket: 'roaming', effect: 'unbar', reason: crossingId }]);
      expect(world.starter.started).toEqual([{ kind: 'CAPS_CHANGED', subscriberId: SUBSCRIBER, period: PERIOD, crossingId, at: new Date(NOW).toISOString() }]);
    });

    it('raising the overage limit lifts the overage bar', async () => {
      await provision({ overageCap: { limitMicros: 10_000_000 } });
      await spend(overageCharge(10_000_000));
      await setBars(world.bars, SUBSCRIBER, { overage: barOf('overage', PERIOD, '2026-09-30T22:00:00Z') });

      const response = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { overageCap: { limitMicros: 20_000_000 } }));

      expect(bodyOf(response).effects).toEqual([{ bucket: 'overage', effect: 'unbar', reason: `CAPS_CHANGED#r${await revision()}` }]);
      expect(world.starter.started.map((r) => r.kind)).toEqual(['CAPS_CHANGED']);
    });

    it('refuses an opt-out without the subscriber`s consent statement (who, when, channel), and nothing changes', async () => {
      await provision();

      const withoutConsent = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { enabled: false } }));
      const oldFlag = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { enabled: false }, optOutConsent: true }));
      const incomplete = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { enabled: false }, consent: { who: 'holder' } }));
      const future = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { enabled: false }, consent: { ...CONSENT, at: '2026-09-16T10:00:00Z' } }));

      expect(withoutConsent.statusCode).toBe(400);
      expect(bodyOf(withoutConsent)).toMatchObject({ type: 'urn:spendcap:problem:consent-required', code: 'consent-required' });
      expect(bodyOf(withoutConsent).errors).toEqual([{ path: 'consent', message: "required to opt out of roamingCap: { who, at, channel } of the subscriber's consent" }]);
      expectDocumented('Problem', bodyOf(withoutConsent));
      expect(oldFlag.statusCode).toBe(400);
      expect(bodyOf(oldFlag).errors).toEqual([{ path: 'optOutConsent', message: 'not allowed' }]);
      expect(incomplete.statusCode).toBe(400);
      expect((bodyOf(incomplete).errors as Array<{ path: string }>).map((f) => f.path).sort()).toEqual(['consent.at', 'consent.channel']);
      expect(future.statusCode).toBe(400);
      expect(bodyOf(future).errors).toEqual([{ path: 'consent.at', message: 'must not be in the future' }]);
      expect((await world.profiles.get(SUBSCRIBER))?.roamingCap.enabled).toBe(true);
      expect(world.starter.started).toEqual([]);
    });

    it('opting out with consent lifts the cap bar', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(12_000_000));
      await setBars(world.bars, SUBSCRIBER, { roaming: roamingBar });

      const response = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { enabled: false }, consent: CONSENT }));

      expect(response.statusCode).toBe(200);
      const trail = await world.audit.list(SUBSCRIBER);
      expect(trail).toContainEqual(
        expect.objectContaining({ type: 'CHOICE_CHANGED', by: 'subscriber', consent: CONSENT, changes: [{ field: 'roamingCap.enabled', from: true, to: false }], crossingId: `CAPS_CHANGED#r${await revision()}` }),
      );
      expect(bodyOf(response).roamingCap).toEqual({ enabled: false, limitMicros: 10_000_000 });
      expect(bodyOf(response).effects).toEqual([{ bucket: 'roaming', effect: 'unbar', reason: `CAPS_CHANGED#r${await revision()}` }]);
      expect(world.starter.started.map((r) => r.kind)).toEqual(['CAPS_CHANGED']);
    });

    it('answers 400 for invalid fields and 404 for an unknown subscriber', async () => {
      await provision();

      const invalid = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 1.5, cap: 1 }, overageCap: 'off' }));
      const empty = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, {}));
      const unknown = await api(event('PUT', '/v1/self-care/subscribers/nobody/caps', { roamingCap: { limitMicros: 1 } }));

      expect(invalid.statusCode).toBe(400);
      expect(bodyOf(invalid).errors).toEqual(
        expect.arrayContaining([
          { path: 'roamingCap.limitMicros', message: 'must be an integer >= 0' },
          { path: 'roamingCap.cap', message: 'not allowed' },
          { path: 'overageCap', message: 'must be an object' },
        ]),
      );
      expect(empty.statusCode).toBe(400);
      expect(bodyOf(empty).errors).toEqual([{ path: 'body', message: 'must change roamingCap or overageCap' }]);
      expect(unknown.statusCode).toBe(404);
    });
  });

  describe('POST /subscribers/{id}/consent', () => {
    it('sets consent on the period counters and un-bars with ROAMING_RESUMED; later charges are billable', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(12_000_000));
      await setBars(world.bars, SUBSCRIBER, { roaming: roamingBar });

      const response = await api(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'roaming' }));

      expect(response.statusCode).toBe(200);
      expectDocumented('Consent', bodyOf(response));
      expect(bodyOf(response)).toEqual({
        subscriberId: SUBSCRIBER,
        period: PERIOD,
        bucket: 'roaming',
        consent: true,
        effects: [{ bucket: 'roaming', effect: 'unbar', reason: 'CAPS_CHANGED#consent-roaming' }],
      });
      expect(world.starter.started).toEqual([
        { kind: 'CAPS_CHANGED', subscriberId: SUBSCRIBER, period: PERIOD, crossingId: 'CAPS_CHANGED#consent-roaming', at: new Date(NOW).toISOString(), bucket: 'roaming' },
      ]);
      const counters = await countersNow();
      expect(counters.consent).toEqual({ roaming: true, overage: false });
      // Usage kept as ingest wrote it; from now on ingest bills the roaming charges in full.
      expect(counters.roaming).toEqual({ chargeMicros: 12_000_000, billableMicros: 10_000_000, writtenOffMicros: 2_000_000 });
      const after = await spend(roamingCharge(3_000_000));
      expect(after.roaming).toEqual({ chargeMicros: 15_000_000, billableMicros: 13_000_000, writtenOffMicros: 2_000_000 });
    });

    it('is idempotent: consenting twice changes the counters once and starts the same (deterministically named) request', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(12_000_000));
      await setBars(world.bars, SUBSCRIBER, { roaming: roamingBar });
      const first = await api(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'roaming' }));
      const afterFirst = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);

      const second = await api(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'roaming' }));

      expect(bodyOf(second)).toEqual(bodyOf(first));
      // Its request goes through the outbox again (the first one emptied it), so only the outbox moved.
      const afterSecond = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);
      expect(afterSecond?.counters).toEqual(afterFirst?.counters);
      expect(afterSecond?.pending).toEqual([]);
      expect(new Set(world.starter.started.map((r) => `${r.period}/${r.crossingId}`)).size).toBe(1);
    });

    it('consent before any usage creates the counters with consent and expects no un-bar', async () => {
      await provision();

      const response = await api(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'overage' }));

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response).effects).toEqual([]);
      expect(world.starter.started.map((r) => r.crossingId)).toEqual(['CAPS_CHANGED#consent-overage']);
      expect((await countersNow()).consent).toEqual({ roaming: false, overage: true });
    });

    it('answers 400 naming `bucket`, and 404 for an unknown subscriber', async () => {
      await provision();

      const invalid = await api(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'everything' }));
      const missing = await api(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, {}));
      const unknown = await api(event('POST', '/v1/self-care/subscribers/nobody/consent', { bucket: 'roaming' }));

      expect(invalid.statusCode).toBe(400);
      expect(bodyOf(invalid).errors).toEqual([{ path: 'bucket', message: 'must be one of roaming, overage' }]);
      expect(missing.statusCode).toBe(400);
      expect((bodyOf(missing).errors as Array<{ path: string }>)[0]?.path).toBe('bucket');
      expect(unknown.statusCode).toBe(404);
    });
  });

  describe('409 under a concurrent writer', () => {
    /** Ingest writing the same counters item between every read and write of the API. */
    function racingUsage(races: number): SelfCareDeps['usage'] {
      let left = races;
      return {
        load: async (subscriberId, periods) => {
          const loaded = await world.usage.load(subscriberId, periods);
          if (left > 0) {
            left--;
            const stored = loaded.counters.get(PERIOD);
            const base = stored?.counters ?? emptyCounters(SUBSCRIBER, PERIOD);
            const { saved } = await world.usage.saveCounters({
              counters: { ...base, eventsApplied: base.eventsApplied + 1 },
              expectedVersion: stored?.version ?? 0,
              applied: stored?.applied ?? {},
              pending: stored?.pending ?? [],
            });
            expect(saved).toBe(true);
          }
          return loaded;
        },
        saveCounters: (write) => world.usage.saveCounters(write),
        saveState: (write) => world.usage.saveState(write),
        clearOutbox: (clear) => world.usage.clearOutbox(clear),
      };
    }

    it('answers 409 when the counters keep changing, without consent, start or lost usage', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(12_000_000));
      const racing = createHandler(world.deps({ usage: racingUsage(Number.POSITIVE_INFINITY) }), { observer });

      const consent = await racing(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'roaming' }));
      const caps = await racing(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 5_000_000 } }));

      expect(consent.statusCode).toBe(409);
      expect(caps.statusCode).toBe(409);
      expectDocumented('Problem', bodyOf(consent));
      expect(world.starter.started).toEqual([]);
      const counters = await countersNow();
      expect(counters.consent.roaming).toBe(false);
      expect(counters.fired).toEqual({});
      // Every concurrent write survived: the API never overwrote ingest's counters.
      expect(counters.roaming.chargeMicros).toBe(12_000_000);
      expect(counters.eventsApplied).toBeGreaterThan(1);
    });

    it('retries a conflict a bounded number of times and then succeeds', async () => {
      await provision({ roamingCap: { limitMicros: 10_000_000 } });
      await spend(roamingCharge(12_000_000));
      const racing = createHandler(world.deps({ usage: racingUsage(2) }), { observer });

      const consent = await racing(event('POST', `/v1/self-care/subscribers/${SUBSCRIBER}/consent`, { bucket: 'roaming' }));

      expect(consent.statusCode).toBe(200);
      const counters = await countersNow();
      expect(counters.consent.roaming).toBe(true);
      expect(counters.eventsApplied).toBe(3);
    });
  });

  describe('PUT /subscribers/{id}/notifications', () => {
    it('switches channels; left-out channels keep their value; the same body again is the same result', async () => {
      await provision({ email: 'line@example.org' });

      const first = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { email: true }));
      const second = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { email: true }));
      const smsOff = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { sms: false }));

      expect(first.statusCode).toBe(200);
      expectDocumented('NotificationChannels', bodyOf(first));
      expect(bodyOf(first)).toEqual({ subscriberId: SUBSCRIBER, sms: true, email: true });
      expect(bodyOf(second)).toEqual(bodyOf(first));
      expect(bodyOf(smsOff)).toEqual({ subscriberId: SUBSCRIBER, sms: false, email: true });
      expect((await world.profiles.get(SUBSCRIBER))?.notifications).toEqual({ sms: false, email: true });
    });

    it('answers 400 naming the field, and 404 for an unknown subscriber', async () => {
      await provision();

      const invalid = await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { sms: 'no', push: true }));
      const unknown = await api(event('PUT', '/v1/self-care/subscribers/nobody/notifications', { sms: false }));

      expect(invalid.statusCode).toBe(400);
      expect(bodyOf(invalid).errors).toEqual(
        expect.arrayContaining([
          { path: 'sms', message: 'must be true or false' },
          { path: 'push', message: 'not allowed' },
        ]),
      );
      expect(unknown.statusCode).toBe(404);
    });
  });

  describe('concurrent profile changes', () => {
    /** A handler whose profile reads return a snapshot taken earlier: another request changed it since. */
    function withStaleProfile(snapshot: SubscriberProfile): ApiHandler {
      const deps = world.deps();
      const stale = { profile: snapshot, revision: 1 };
      return createHandler(
        {
          ...deps,
          profiles: { get: async () => snapshot, getVersioned: async () => stale, put: (p, r) => deps.profiles.put(p, r), delete: (id) => deps.profiles.delete(id) },
        },
        { observer },
      );
    }

    it('a caps change writes only the caps: a channels change made meanwhile is kept', async () => {
      const snapshot = await provision();
      await api(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { sms: false }));

      const response = await withStaleProfile(snapshot)(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { overageCap: { limitMicros: 30_000_000 } }));

      expect(response.statusCode).toBe(200);
      const stored = await world.profiles.get(SUBSCRIBER);
      expect(stored?.overageCap).toEqual({ enabled: true, limitMicros: 30_000_000 });
      expect(stored?.notifications).toEqual({ sms: false, email: false });
    });

    it('a change racing a DELETE answers 404 and does not bring the profile back', async () => {
      const snapshot = await provision();
      await api(event('DELETE', `/v1/subscribers/${SUBSCRIBER}`));

      const caps = await withStaleProfile(snapshot)(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/caps`, { roamingCap: { limitMicros: 1 } }));
      const channels = await withStaleProfile(snapshot)(event('PUT', `/v1/self-care/subscribers/${SUBSCRIBER}/notifications`, { sms: false }));

      expect(caps.statusCode).toBe(404);
      expect(channels.statusCode).toBe(404);
      expect(await world.profiles.get(SUBSCRIBER)).toBeUndefined();
    });
  });

  describe('routing', () => {
    it('answers 404 for an unknown path (the old unversioned ones included) and 405 with Allow for an unknown method on a known one', async () => {
      const unknown = await api(event('GET', '/nothing'));
      const unversioned = await api(event('GET', `/subscribers/${SUBSCRIBER}`));
      const patch = await api(event('PATCH', `/v1/subscribers/${SUBSCRIBER}`));

      expect(unknown.statusCode).toBe(404);
      expect(bodyOf(unknown)).toMatchObject({ code: 'no-such-route' });
      expect(unversioned.statusCode).toBe(404);
      expect(patch.statusCode).toBe(405);
      expect(patch.headers?.allow).toBe('PUT, GET, DELETE');
      expect(patch.headers?.['content-type']).toBe('application/problem+json');
      expectDocumented('Problem', bodyOf(patch));
    });

    it('reports route, status and the subscriber`s pseudonym only to the observer (never the id)', () => {
      expect(answered.length).toBeGreaterThan(0);
      expect(JSON.stringify(answered)).not.toContain(SUBSCRIBER);
      expect(answered).toContainEqual({ route: 'PUT /v1/self-care/subscribers/{id}/caps', statusCode: 200, subscriber: pseudonymOf(SUBSCRIBER) });
    });
  });
});
