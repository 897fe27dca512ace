import type { LineBars } from '../../shared/domain/caps.js';
import { barOf } from '../support/bars.js';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import type { SQSEvent } from 'aws-lambda';
import { createHandler as createNotifyHandler } from '../../functions/nchf-notify/handler.js';
import { queueUrlOf } from '../../functions/nchf-notify/production.js';
import { createHandler as createRemovedHandler } from '../../functions/nchf-subscriber-removed/handler.js';
import { SpendingLimitCarrier } from '../../shared/spending-limit/spending-limit-carrier.js';
import { ChargingReauthorization } from '../../shared/charging/reauthorize.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { emptyBudget } from '../../shared/domain/quota.js';
import { CarrierTransientError } from '../../shared/ports/carrier-gateway.js';
import type { SbiClient, SbiPostResult } from '../../shared/ports/sbi-notifications.js';
import { dispatch, type SbiResponse } from '../../shared/sbi/http.js';
import { backoffSeconds, callbackUri, deliver } from '../../shared/spending-limit/deliver.js';
import { spendingLimitRoutes } from '../../shared/spending-limit/routes.js';
import { spendingLimitStatus, subscriptionTerminationInfo } from '../../shared/spending-limit/schemas.js';
import { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';
import { profileOf } from '../integration/ingest-support.js';
import { MemoryChargingStore, MemoryQueue, MemorySpendingLimitStore } from '../support/memory-realtime.js';

const BASE = '/nchf-spendinglimitcontrol/v1/subscriptions';
const SUPI = 'imsi-208011234567890';

class RecordingClient implements SbiClient {
  readonly posts: Array<{ uri: string; body: unknown }> = [];
  answers: Array<SbiPostResult | Error> = [];
  async post(uri: string, body: unknown): Promise<SbiPostResult> {
    this.posts.push({ uri, body });
    const next = this.answers.shift() ?? { status: 204 };
    if (next instanceof Error) throw next;
    return next;
  }
}

function fixture(bars: LineBars = {}) {
  const profile: SubscriberProfile = profileOf({ subscriberId: '208011234567890', msisdn: '+33611111111', plan: { dataAllowanceBytes: 0 } });
  const clock = { ms: Date.parse('2026-09-10T07:00:00Z') };
  const store = new MemorySpendingLimitStore(() => clock.ms);
  const queue = new MemoryQueue();
  const control = new SpendingLimitControl({
    store,
    profiles: { get: async (id) => (id === profile.subscriberId ? profile : undefined) },
    directory: { findByMsisdn: async (m) => (m === profile.msisdn ? profile.subscriberId : undefined) },
    bars: { get: async () => ({ bars, pending: {} }) },
    queue,
    clock: { now: () => new Date(clock.ms) },
    newId: () => 'sub-1',
  });
  const routes = spendingLimitRoutes(control);
  const call = (method: string, path: string, body?: unknown): Promise<SbiResponse> =>
    dispatch(routes, { method, path, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const client = new RecordingClient();
  const deliverAll = async () => {
    for (const job of queue.take()) await deliver(job, { client, store, statusOf: (s) => control.statusOf(s) });
  };
  return { profile, clock, store, queue, control, call, client, deliverAll };
}

describe('Nchf_SpendingLimitControl subscriptions', () => {
  it('answers a subscription with the current status of every counter and its Location', async () => {
    // Arrange
    const { call } = fixture();

    // Act
    const response = await call('POST', BASE, { supi: SUPI, notifUri: 'http://pcf.example/slc' });

    // Assert
    expect(response.status).toBe(201);
    expect(response.headers?.location).toBe('/nchf-spendinglimitcontrol/v1/subscriptions/sub-1');
    expect(spendingLimitStatus.safeParse(response.body).success).toBe(true);
    expect(response.body).toEqual({
      supi: SUPI,
      statusInfos: {
        'spendcap-roaming-cap': { policyCounterId: 'spendcap-roaming-cap', currentStatus: 'valid' },
        'spendcap-overage-cap': { policyCounterId: 'spendcap-overage-cap', currentStatus: 'valid' },
      },
    });
  });

  it('reports a bar placed before the subscription, finds a subscriber by GPSI, keeps only known counters', async () => {
    const { call } = fixture({ roaming: barOf('roaming', '2026-09-01', '2026-09-30T22:00:00Z', 'ROAMING_CAP_REACHED@50000000') });
    const response = await call('POST', BASE, { gpsi: 'msisdn-33611111111', notifUri: 'http://pcf.example/slc', policyCounterIds: ['spendcap-roaming-cap', 'other'] });
    expect(response.body).toEqual({ supi: SUPI, statusInfos: { 'spendcap-roaming-cap': { policyCounterId: 'spendcap-roaming-cap', currentStatus: 'cap-reached' } } });
  });

  it.each([
    ['no notifUri', { supi: SUPI }, 400, 'MANDATORY_IE_MISSING'],
    ['no subscriber id', { notifUri: 'http://pcf' }, 400, 'MANDATORY_IE_MISSING'],
    ['an unknown subscriber', { supi: 'imsi-999990000000000', notifUri: 'http://pcf' }, 404, 'USER_UNKNOWN'],
    ['only unknown counters', { supi: SUPI, notifUri: 'http://pcf', policyCounterIds: ['x'] }, 400, 'UNKNOWN_POLICY_COUNTERS'],
    ['an empty counter list', { supi: SUPI, notifUri: 'http://pcf', policyCounterIds: [] }, 400, 'MANDATORY_IE_INCORRECT'],
  ])('refuses %s with problem details', async (_name, body, status, cause) => {
    const { call } = fixture();
    const response = await call('POST', BASE, body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ status, cause });
  });

  it('modifies and deletes a subscription; an unknown one is 404 SUBSCRIPTION_NOT_FOUND', async () => {
    const { call } = fixture();
    await call('POST', BASE, { supi: SUPI, notifUri: 'http://pcf.example/slc' });
    const modified = await call('PUT', `${BASE}/sub-1`, { supi: SUPI, notifUri: 'http://pcf2.example/slc', policyCounterIds: ['spendcap-overage-cap'] });
    const deleted = await call('DELETE', `${BASE}/sub-1`);
    const again = await call('DELETE', `${BASE}/sub-1`);
    expect(modified.status).toBe(200);
    expect(Object.keys((modified.body as { statusInfos: object }).statusInfos)).toEqual(['spendcap-overage-cap']);
    expect(deleted.status).toBe(204);
    expect(again.body).toMatchObject({ status: 404, cause: 'SUBSCRIPTION_NOT_FOUND' });
  });
});

describe('carrier mode nchf: bars as policy counter status changes', () => {
  it('notifies cap-reached with the pending valid status at the end of the bar period, then valid', async () => {
    // Arrange
    const { call, control, client, deliverAll, clock } = fixture();
    await call('POST', BASE, { supi: SUPI, notifUri: 'http://pcf.example/slc/', notifId: 'n-1' });
    const carrier = new SpendingLimitCarrier({ control });

    // Act
    await carrier.send('BAR_DATA_ROAMING', { subscriberId: '208011234567890', idempotencyKey: 'k1', at: '2026-09-10T07:00:00Z', reason: 'ROAMING_CAP_REACHED@50000000', barEndsAt: '2026-10-01T00:00:00Z' });
    await deliverAll();
    clock.ms = Date.parse('2026-10-01T00:00:01Z');
    await carrier.send('UNBAR_DATA_ROAMING', { subscriberId: '208011234567890', idempotencyKey: 'k2', at: '2026-10-01T00:00:01Z', reason: 'CAP_RESET#roaming' });
    await deliverAll();

    // Assert
    expect(client.posts.map((p) => p.uri)).toEqual(['http://pcf.example/slc/notify', 'http://pcf.example/slc/notify']);
    expect(client.posts[0]?.body).toMatchObject({
      supi: SUPI,
      notifId: 'n-1',
      statusInfos: {
        'spendcap-roaming-cap': {
          currentStatus: 'cap-reached',
          penPolCounterStatuses: [{ policyCounterStatus: 'valid', activationTime: '2026-10-01T00:00:00Z' }],
        },
        'spendcap-overage-cap': { currentStatus: 'valid' },
      },
    });
    expect((client.posts[1]!.body as { statusInfos: Record<string, unknown> }).statusInfos['spendcap-roaming-cap']).toEqual({ policyCounterId: 'spendcap-roaming-cap', currentStatus: 'valid' });
  });

  it('sends the status as it is at delivery: a late notification never tells an outdated status', async () => {
    const { call, control, client, deliverAll } = fixture();
    await call('POST', BASE, { supi: SUPI, notifUri: 'http://pcf.example/slc' });
    const carrier = new SpendingLimitCarrier({ control });
    await carrier.send('BAR_DATA_ROAMING', { subscriberId: '208011234567890', idempotencyKey: 'k1', at: '2026-09-10T07:00:00Z', reason: 'r' });
    await carrier.send('UNBAR_DATA_ROAMING', { subscriberId: '208011234567890', idempotencyKey: 'k2', at: '2026-09-10T08:00:00Z', reason: 'ROAMING_RESUMED#roaming' });
    // A retried bar command that arrives late changes nothing.
    await carrier.send('BAR_DATA_ROAMING', { subscriberId: '208011234567890', idempotencyKey: 'k1', at: '2026-09-10T07:00:00Z', reason: 'r' });
    await deliverAll();
    for (const post of client.posts) {
      expect((post.body as { statusInfos: Record<string, { currentStatus: string }> }).statusInfos['spendcap-roaming-cap']?.currentStatus).toBe('valid');
    }
  });

  it('asks sessions refused quota to re-authorise when the bar is lifted', async () => {
    // Arrange
    const { control, queue, profile } = fixture();
    const charging = new MemoryChargingStore();
    const budget = emptyBudget(profile.subscriberId, '2026-09-01');
    await charging.putBudget(
      {
        ...budget,
        denied: { r1: 'http://smf.example/notify/1', r2: '' },
        reservations: { 'r1/10': { bucket: 'roaming', chargeMicros: 0, allowanceBytes: 0, bytes: 0, pricePerMbMicros: 1, servingPlmn: '22801', grantedAtMs: 0, validitySeconds: 1, expiresAtMs: 9e15, finalUnit: true, seq: 3 } },
      },
      0,
    );
    const reauthorization = new ChargingReauthorization({ store: charging, profiles: { get: async () => profile }, queue, clock: { now: () => new Date('2026-09-10T08:00:00Z') } });
    const carrier = new SpendingLimitCarrier({ control, reauthorization });

    // Act
    await carrier.send('UNBAR_DATA_ROAMING', { subscriberId: profile.subscriberId, idempotencyKey: 'k', at: '2026-09-10T08:00:00Z', reason: 'ROAMING_RESUMED#roaming' });

    // Assert
    expect(queue.jobs).toContainEqual({ kind: 'reauthorize', ref: 'r1', notifyUri: 'http://smf.example/notify/1', ratingGroups: [10] });
    expect(queue.jobs.filter((j) => j.kind === 'reauthorize')).toHaveLength(1);
  });

  it('fails transiently (retried by the workflow) when the status cannot be stored', async () => {
    const carrier = new SpendingLimitCarrier({ control: { counterChanged: async () => Promise.reject(new Error('throttled')) } });
    await expect(carrier.send('BAR_DATA_OVERAGE', { subscriberId: 's', idempotencyKey: 'k', at: '2026-09-10T07:00:00Z', reason: 'r' })).rejects.toBeInstanceOf(CarrierTransientError);
  });
});

describe('delivery, retries and termination', () => {
  it('retries on 5xx, timeouts and network failures; follows one redirect; gives up on a refusal', async () => {
    const { call, store, control, client } = fixture();
    await call('POST', BASE, { supi: SUPI, notifUri: 'http://pcf.example/slc' });
    const job = { kind: 'status', subscriptionId: 'sub-1', subscriberId: '208011234567890' } as const;
    const deps = { client, store, statusOf: (s: Parameters<typeof control.statusOf>[0]) => control.statusOf(s) };
    client.answers = [{ status: 503 }, new Error('ECONNRESET'), { status: 307, location: 'http://pcf2.example/slc/notify' }, { status: 204 }, { status: 400 }];
    expect(await deliver(job, deps)).toMatchObject({ outcome: 'retry' });
    expect(await deliver(job, deps)).toMatchObject({ outcome: 'retry' });
    expect(await deliver(job, deps)).toEqual({ outcome: 'delivered', status: 204 });
    expect(client.posts[3]?.uri).toBe('http://pcf2.example/slc/notify');
    expect(await deliver(job, deps)).toEqual({ outcome: 'rejected', status: 400 });
    expect(await deliver({ ...job, subscriptionId: 'gone' }, deps)).toEqual({ outcome: 'gone' });
  });

  it('backs off exponentially, capped at 15 minutes', () => {
    expect([1, 2, 3, 4, 10, 20].map((n) => backoffSeconds(n))).toEqual([10, 20, 40, 80, 900, 900]);
    expect(callbackUri('http://pcf/x/', 'terminate')).toBe('http://pcf/x/terminate');
  });

  it('hides a failed message for its backoff and reports it as a batch item failure', async () => {
    // Arrange
    const delays: Array<[string, number]> = [];
    const handler = createNotifyHandler({
      deliver: async (job) => (job.kind === 'status' ? { outcome: 'retry', reason: 'answered 503' } : { outcome: 'delivered', status: 204 }),
      delay: async (_arn, receipt, seconds) => {
        delays.push([receipt, seconds]);
      },
    });
    const record = (id: string, body: unknown, receiveCount: string) => ({
      messageId: id,
      receiptHandle: `rh-${id}`,
      body: JSON.stringify(body),
      attributes: { ApproximateReceiveCount: receiveCount },
      eventSourceARN: 'arn:aws:sqs:eu-west-3:123456789012:q',
    });

    // Act
    const out = await handler({
      Records: [record('a', { kind: 'status', subscriptionId: 's', subscriberId: 'x' }, '3'), record('b', { kind: 'reauthorize', ref: 'r', notifyUri: 'http://smf', ratingGroups: [] }, '1')],
    } as unknown as SQSEvent);

    // Assert
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(delays).toEqual([['rh-a', 40]]);
    expect(queueUrlOf('arn:aws:sqs:eu-west-3:123456789012:q')).toBe('https://sqs.eu-west-3.amazonaws.com/123456789012/q');
  });

  it('ends the subscriptions of a removed subscriber and tells each PCF', async () => {
    // Arrange
    const { call, control, client, deliverAll } = fixture();
    await call('POST', BASE, { supi: SUPI, notifUri: 'http://pcf.example/slc' });
    const handler = createRemovedHandler({ control });

    // Act
    await handler({ Records: [{ eventName: 'REMOVE', dynamodb: { Keys: { subscriberId: { S: '208011234567890' } }, SequenceNumber: '1' } }] });
    await deliverAll();

    // Assert
    expect(client.posts).toEqual([{ uri: 'http://pcf.example/slc/terminate', body: { supi: SUPI, termCause: 'REMOVED_SUBSCRIBER' } }]);
    expect(subscriptionTerminationInfo.safeParse(client.posts[0]?.body).success).toBe(true);
    expect((await call('DELETE', `${BASE}/sub-1`)).status).toBe(404);
  });
});
