import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { ConvergedCharging } from '../../shared/charging/converged-charging.js';
import { chargingRoutes } from '../../shared/charging/routes.js';
import { chargingDataResponseSchema, type ChargingDataResponse } from '../../shared/charging/schemas.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { DEFAULT_QUOTA_SETTINGS, type QuotaSettings } from '../../shared/domain/quota.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';
import type { ChargingStore } from '../../shared/ports/charging-store.js';
import { dispatch, type SbiResponse } from '../../shared/sbi/http.js';
import { profileOf } from '../integration/ingest-support.js';
import { MemoryChargingStore, MemoryStream } from '../support/memory-realtime.js';

const QUOTA: QuotaSettings = { ...DEFAULT_QUOTA_SETTINGS, defaultGrantBytes: 10_000_000, maxGrantBytes: 50_000_000, redirectUrl: 'https://selfcare.example.org/continue' };
const BASE = '/nchf-convergedcharging/v3/chargingdata';
const SWISS = { mcc: '228', mnc: '01' };

function fixture(options: { profile?: Partial<Record<string, unknown>>; quota?: Partial<QuotaSettings>; store?: ChargingStore } = {}) {
  const profile: SubscriberProfile = profileOf({
    subscriberId: '208011234567890',
    msisdn: '+33611111111',
    plan: { dataAllowanceBytes: 0 },
    roamingCap: { limitMicros: 5_000_000 },
    ...options.profile,
  });
  const clock = { ms: Date.parse('2026-09-10T07:00:00Z') };
  const stream = new MemoryStream();
  const store = options.store ?? new MemoryChargingStore();
  const charging = new ConvergedCharging({
    store,
    usage: new MemoryUsageStore(),
    profiles: { get: async (id) => (id === profile.subscriberId ? profile : undefined) },
    publisher: stream,
    clock: { now: () => new Date(clock.ms) },
    settings: DEFAULT_SETTINGS,
    quota: { ...QUOTA, ...options.quota },
  });
  const routes = chargingRoutes(charging);
  const call = (path: string, body: unknown): Promise<SbiResponse> =>
    dispatch(routes, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { profile, clock, stream, store, call };
}

function request(seq: number, units: unknown[], extra: Record<string, unknown> = {}) {
  return {
    subscriberIdentifier: 'imsi-208011234567890',
    nfConsumerIdentification: { nodeFunctionality: 'SMF' },
    invocationTimeStamp: '2026-09-10T07:00:00Z',
    invocationSequenceNumber: seq,
    multipleUnitUsage: units,
    pDUSessionChargingInformation: { pduSessionInformation: { pduSessionID: 5, dnnId: 'internet', servingCNPlmnId: SWISS } },
    ...extra,
  };
}

const unitOf = (response: SbiResponse) => (response.body as ChargingDataResponse).multipleUnitInformation?.[0];
const refOf = (response: SbiResponse) => response.headers?.location?.split('/').pop() ?? '';

describe('Nchf_ConvergedCharging: grants under the cap', () => {
  it('grants the requested volume while the cap leaves room, with validity and holding times', async () => {
    // Arrange
    const { call } = fixture();

    // Act
    const created = await call(BASE, request(0, [{ ratingGroup: 10, requestedUnit: { totalVolume: 4_000_000 } }]));

    // Assert
    expect(created.status).toBe(201);
    expect(created.headers?.location).toMatch(/^\/nchf-convergedcharging\/v3\/chargingdata\/[0-9a-f]{32}$/);
    expect(chargingDataResponseSchema.safeParse(created.body).success).toBe(true);
    expect(unitOf(created)).toEqual({ resultCode: 'SUCCESS', ratingGroup: 10, grantedUnit: { totalVolume: 4_000_000 }, validityTime: 3600, quotaHoldingTime: 600 });
  });

  it('grants only what the cap leaves, with the final unit indication, then refuses with QUOTA_LIMIT_REACHED', async () => {
    // Arrange: EUR 5 at EUR 0.50/MB = 10 MB
    const { call, stream } = fixture();
    const created = await call(BASE, request(0, [{ ratingGroup: 10, requestedUnit: { totalVolume: 8_000_000 } }]));
    const ref = refOf(created);

    // Act
    const partial = await call(`${BASE}/${ref}/update`, request(1, [{ ratingGroup: 10, requestedUnit: { totalVolume: 8_000_000 }, usedUnitContainer: [{ localSequenceNumber: 1, totalVolume: 8_000_000 }] }]));
    const refused = await call(`${BASE}/${ref}/update`, request(2, [{ ratingGroup: 10, requestedUnit: { totalVolume: 8_000_000 }, usedUnitContainer: [{ localSequenceNumber: 1, totalVolume: 2_000_000 }] }]));

    // Assert
    expect(unitOf(partial)).toMatchObject({
      resultCode: 'SUCCESS',
      grantedUnit: { totalVolume: 2_000_000 },
      finalUnitIndication: { finalUnitAction: 'REDIRECT', redirectServer: { redirectAddressType: 'URL', redirectServerAddress: 'https://selfcare.example.org/continue' } },
    });
    expect(unitOf(refused)).toEqual({
      resultCode: 'QUOTA_LIMIT_REACHED',
      ratingGroup: 10,
      validityTime: 900,
      finalUnitIndication: { finalUnitAction: 'REDIRECT', redirectServer: { redirectAddressType: 'URL', redirectServerAddress: 'https://selfcare.example.org/continue' } },
    });
    expect(stream.records.map((r) => [r.event.recordId, r.event.volumeBytes, r.event.chargeMicros])).toEqual([
      [`nchf-${ref}-1-10-1`, 8_000_000, 4_000_000],
      [`nchf-${ref}-2-10-1`, 2_000_000, 1_000_000],
    ]);
  });

  it('terminates instead of redirecting when the deployment says so', async () => {
    const { call } = fixture({ profile: { roamingCap: { limitMicros: 0 } }, quota: { finalUnitAction: 'TERMINATE' } });
    const created = await call(BASE, request(0, [{ ratingGroup: 10 }]));
    expect(unitOf(created)).toMatchObject({ resultCode: 'QUOTA_LIMIT_REACHED', finalUnitIndication: { finalUnitAction: 'TERMINATE' } });
  });

  it('gives back an abandoned grant once its validity and grace have passed', async () => {
    // Arrange: one session takes the whole cap, then goes silent
    const { call, clock } = fixture();
    await call(BASE, request(0, [{ ratingGroup: 10, requestedUnit: { totalVolume: 50_000_000 } }], { pDUSessionChargingInformation: { chargingId: 1, pduSessionInformation: { pduSessionID: 1, dnnId: 'internet', servingCNPlmnId: SWISS } } }));
    const second = request(0, [{ ratingGroup: 10 }], { pDUSessionChargingInformation: { chargingId: 2, pduSessionInformation: { pduSessionID: 2, dnnId: 'internet', servingCNPlmnId: SWISS } } });
    const before = await call(BASE, second);

    // Act
    clock.ms += (3600 + QUOTA.graceSeconds + 1) * 1000;
    const after = await call(BASE, { ...second, pDUSessionChargingInformation: { chargingId: 3, pduSessionInformation: { pduSessionID: 3, dnnId: 'internet', servingCNPlmnId: SWISS } } });

    // Assert
    expect(unitOf(before)?.resultCode).toBe('QUOTA_LIMIT_REACHED');
    expect(unitOf(after)).toMatchObject({ resultCode: 'SUCCESS', grantedUnit: { totalVolume: 10_000_000 } });
  });
});

describe('Nchf_ConvergedCharging: idempotent per invocationSequenceNumber', () => {
  it('maps a retransmitted create (same SMF and charging id) to the same resource and answer', async () => {
    const { call } = fixture();
    const body = request(0, [{ ratingGroup: 10 }], { chargingId: 99, retransmissionIndicator: true });
    const first = await call(BASE, body);
    const again = await call(BASE, body);
    expect(again.headers?.location).toBe(first.headers?.location);
    expect(again.body).toEqual(first.body);
  });

  it('re-sends the same usage records, with the same eventTime, when a crash interrupted the first attempt', async () => {
    // Arrange: the budget write fails once after the usage was persisted and put on the stream
    const inner = new MemoryChargingStore();
    let failBudget = false;
    const store: ChargingStore = {
      getSession: (ref) => inner.getSession(ref),
      putSession: (s, v) => inner.putSession(s, v),
      getBudget: (id, p) => inner.getBudget(id, p),
      putBudget: async (b, v) => {
        if (failBudget) {
          failBudget = false;
          throw new Error('crash');
        }
        return inner.putBudget(b, v);
      },
    };
    const { call, clock, stream } = fixture({ store });
    const ref = refOf(await call(BASE, request(0, [{ ratingGroup: 10, requestedUnit: { totalVolume: 2_000_000 } }])));
    const update = request(1, [{ ratingGroup: 10, requestedUnit: { totalVolume: 2_000_000 }, usedUnitContainer: [{ localSequenceNumber: 1, totalVolume: 1_500_000 }] }]);
    failBudget = true;
    const crashed = await call(`${BASE}/${ref}/update`, update);

    // Act: the SMF retries later
    clock.ms += 30_000;
    const retried = await call(`${BASE}/${ref}/update`, update);

    // Assert
    expect(crashed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(stream.records).toHaveLength(2);
    const [a, b] = stream.records;
    expect(b?.event).toEqual(a?.event);
    expect(a?.event.eventTime).toBe('2026-09-10T07:00:00Z');
  });

  it('answers a retransmission of an answered invocation from the stored answer, without granting again', async () => {
    const { call } = fixture();
    const ref = refOf(await call(BASE, request(0, [{ ratingGroup: 10, requestedUnit: { totalVolume: 2_000_000 } }])));
    const update = request(1, [{ ratingGroup: 10, requestedUnit: { totalVolume: 2_000_000 }, usedUnitContainer: [{ localSequenceNumber: 1, totalVolume: 2_000_000 }] }]);
    const first = await call(`${BASE}/${ref}/update`, update);
    const again = await call(`${BASE}/${ref}/update`, update);
    expect(again).toEqual(first);
  });
});

describe('Nchf_ConvergedCharging: errors as problem details', () => {
  it.each([
    ['not JSON', BASE, '{', 400, 'INVALID_MSG_FORMAT'],
    ['a required attribute missing', BASE, { nfConsumerIdentification: { nodeFunctionality: 'SMF' }, invocationTimeStamp: '2026-09-10T07:00:00Z' }, 400, 'MANDATORY_IE_MISSING'],
    ['no subscriberIdentifier on create', BASE, { ...request(0, []), subscriberIdentifier: undefined }, 400, 'MANDATORY_IE_MISSING'],
    ['an unknown subscriber', BASE, { ...request(0, []), subscriberIdentifier: 'imsi-999990000000000' }, 404, 'USER_UNKNOWN'],
    ['an unknown ChargingDataRef', `${BASE}/nope/update`, request(1, []), 404, 'CONTEXT_NOT_FOUND'],
    ['an unknown resource', '/nchf-convergedcharging/v3/nothing', request(1, []), 404, 'RESOURCE_URI_STRUCTURE_NOT_FOUND'],
  ])('%s', async (_name, path, body, status, cause) => {
    const { call } = fixture();
    const response = await call(path, body);
    expect(response.status).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status, cause });
  });

  it('names each attribute at fault as a JSON pointer', async () => {
    const { call } = fixture();
    const response = await call(BASE, { ...request(0, [{ ratingGroup: -1 }]), invocationSequenceNumber: 'one' });
    expect(response.body).toMatchObject({
      cause: 'MANDATORY_IE_INCORRECT',
      invalidParams: expect.arrayContaining([expect.objectContaining({ param: '/invocationSequenceNumber' }), expect.objectContaining({ param: '/multipleUnitUsage/0/ratingGroup' })]),
    });
  });
});
