/**
 * The real-time path over real HTTP/2 (h2c) with the SMF and PCF simulators, on the embedded DynamoDB and
 * Kinesis: the charging function grants, grants partially at the cap, refuses with the final unit action,
 * and grants again after consent (re-authorising the refused session); its committed usage is counted by
 * the real ingest from the stream; a PCF subscription gets `cap-reached` at the bar with the pending `valid`
 * status of the next period, then the change at the period start.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { createHandler as createIngestHandler, withLedger } from '../../functions/ingest-events/handler.js';
import { startEmulators, type LocalEmulators } from '../../local/emulators.js';
import { startRealtimeServer, type RealtimeServer } from '../../local/realtime-server.js';
import { PcfSimulator, SmfSimulator } from '../../local/sbi-simulator.js';
import { StreamPoller } from '../../local/stream-poller.js';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { MemoryQuarantine, RecordingWorkflowStarter } from '../support/ingest-harness.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import { selfCareOnDynamo } from '../../shared/selfcare/config.js';
import { profileOf } from './ingest-support.js';

const ROAMER = '208010000000001';
const HOMER = '208010000000002';
const SUPI = (id: string) => `imsi-${id}`;

class Clock {
  ms = Date.parse('2026-09-10T07:00:00Z');
  now(): Date {
    return new Date(this.ms);
  }
}

let emulators: LocalEmulators;
let realtime: RealtimeServer;
let poller: StreamPoller;
const clock = new Clock();
const starts = new RecordingWorkflowStarter();

beforeAll(async () => {
  emulators = await startEmulators({ env: { ...process.env } });
  const documents = documentClientOf(createDynamoClient({ endpoint: emulators.dynamoEndpoint, region: emulators.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const profiles = new DynamoProfileStore({ client: documents, tableName: emulators.tableNames.profiles });
  const people: SubscriberProfile[] = [
    profileOf({ subscriberId: ROAMER, msisdn: '+33600000001', plan: { dataAllowanceBytes: 0 }, roamingCap: { limitMicros: 5_000_000 } }),
    profileOf({ subscriberId: HOMER, msisdn: '+33600000002', plan: { dataAllowanceBytes: 1_000_000_000 } }),
  ];
  for (const p of people) await profiles.put(p);
  realtime = await startRealtimeServer({
    runtime: { documents, settings: DEFAULT_SETTINGS, emulators },
    clock,
    settings: { defaultGrantBytes: 4_000_000, maxGrantBytes: 8_000_000 },
  });
  // The one pipeline: the charging function's usage is counted by the real ingest, from the stream.
  const ingest = createIngestHandler({
    ...withLedger(new DynamoUsageStore({ client: documents, tableName: emulators.tableNames.usage })),
    profiles,
    quarantine: new MemoryQuarantine(),
    workflows: starts,
    settings: DEFAULT_SETTINGS,
    profileCacheTtlMs: 0,
  });
  poller = new StreamPoller({
    kinesis: emulators.kinesis,
    streamName: emulators.streamName,
    region: emulators.region,
    // Records arrive at the test's clock (kinesalite stamps the wall clock, months after the test's usage).
    handler: (event, context) =>
      ingest({ Records: event.Records.map((r) => ({ ...r, kinesis: { ...r.kinesis, approximateArrivalTimestamp: clock.now().getTime() / 1000 } })) }, context),
    idlePollMs: 20,
  });
  await poller.start('TRIM_HORIZON');
}, 60_000);

afterAll(async () => {
  await poller?.stop();
  await realtime?.close();
  await emulators?.stop();
});

describe('online quota over HTTP/2 with the SMF simulator', () => {
  it('grants, grants what is left at the cap with the final unit, refuses, then grants again after consent', async () => {
    // Arrange: EUR 5 of roaming at EUR 0.50/MB in Switzerland = 10 MB
    const smf = await new SmfSimulator(realtime.url).start();
    const documents = documentClientOf(createDynamoClient({ endpoint: emulators.dynamoEndpoint, region: emulators.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
    const consentWorkflow: PolicyWorkflowStarter = {
      // What the policy workflow does with a consent in carrier mode nchf: the line reconciled, the un-bar command.
      start: async (requests) => {
        for (const r of requests) {
          if (r.kind === 'CAPS_CHANGED' && r.bucket === 'roaming') {
            await realtime.carrier.send('UNBAR_DATA_ROAMING', { subscriberId: r.subscriberId, idempotencyKey: r.crossingId, at: r.at, reason: r.crossingId });
          }
        }
      },
    };
    const selfCare = selfCareOnDynamo({ client: documents, tables: emulators.tableNames, workflow: consentWorkflow, clock, settings: DEFAULT_SETTINGS });

    try {
      // Act & Assert: a first grant
      const opened = await smf.openSession({ supi: SUPI(ROAMER), servingPlmn: '22801', requestedBytes: 6_000_000 });
      expect(opened.answer.status).toBe(201);
      const session = opened.session;
      if (session === undefined) throw new Error('no session');
      expect(session.lastUnit).toMatchObject({ resultCode: 'SUCCESS', grantedUnit: { totalVolume: 6_000_000 } });

      // all of it used: 4 MB left under the cap, granted as the final unit
      const partial = await session.update(6_000_000, 6_000_000);
      expect(partial.status).toBe(200);
      expect(session.lastUnit).toMatchObject({
        resultCode: 'SUCCESS',
        grantedUnit: { totalVolume: 4_000_000 },
        finalUnitIndication: { finalUnitAction: 'REDIRECT', redirectServer: { redirectAddressType: 'URL', redirectServerAddress: DEFAULT_SETTINGS.selfCareUrl } },
      });

      // the final unit used: nothing more
      await session.update(4_000_000, 6_000_000);
      expect(session.lastUnit).toMatchObject({ resultCode: 'QUOTA_LIMIT_REACHED', finalUnitIndication: { finalUnitAction: 'REDIRECT' } });
      expect(session.granted).toBe(0);

      // a retransmission of that invocation gets the same answer, and grants nothing more
      const again = await session.retransmit(4_000_000, 6_000_000);
      expect(again.body.multipleUnitInformation?.[0]?.resultCode).toBe('QUOTA_LIMIT_REACHED');

      // the subscriber consents to continue (after the cap message, so after ingest counted the cap):
      // the refused session is asked to re-authorise, and is granted
      await poller.drain();
      const reauthorized = smf.waitForReauthorization();
      await selfCare.consent(ROAMER, 'roaming');
      await reauthorized;
      expect(smf.reauthorizations).toEqual([{ notificationType: 'REAUTHORIZATION', reauthorizationDetails: [{ ratingGroup: 10 }] }]);
      await session.update(0, 6_000_000);
      expect(session.lastUnit).toMatchObject({ resultCode: 'SUCCESS', grantedUnit: { totalVolume: 6_000_000 } });
      expect(session.lastUnit?.finalUnitIndication).toBeUndefined();

      const released = await session.release(1_000_000);
      expect(released.status).toBe(204);

      // the committed usage reached the counters through the stream, once (the retransmission included)
      await poller.drain();
      const usage = await selfCare.usage(ROAMER);
      expect(usage.data.roamingDataBytes).toBe(6_000_000 + 4_000_000 + 1_000_000);
      expect(usage.roaming.chargeMicros).toBe(3_000_000 + 2_000_000 + 500_000);
      expect(usage.roaming.billableMicros).toBe(5_500_000);
      expect(starts.executions.map((r) => r.kind)).toContain('ROAMING_CAP_REACHED');
    } finally {
      await smf.stop();
    }
  });

  it('grants home data from the allowance, and answers problem details over HTTP/2', async () => {
    const smf = await new SmfSimulator(realtime.url).start();
    try {
      const opened = await smf.openSession({ supi: SUPI(HOMER), servingPlmn: '20801' });
      expect(opened.session?.lastUnit).toMatchObject({ resultCode: 'SUCCESS', grantedUnit: { totalVolume: 4_000_000 } });
      const unknown = await smf.openSession({ supi: 'imsi-999990000000000', servingPlmn: '20801' });
      expect(unknown.answer.status).toBe(404);
      expect(unknown.answer.headers['content-type']).toBe('application/problem+json');
      expect(unknown.answer.body).toMatchObject({ status: 404, cause: 'USER_UNKNOWN' });
    } finally {
      await smf.stop();
    }
  });
});

describe('spending limit control over HTTP/2 with the PCF simulator', () => {
  it('tells a subscribed PCF cap-reached at the bar with the pending valid status, then valid at the period start', async () => {
    // Arrange
    const pcf = await new PcfSimulator(realtime.url).start();
    try {
      const subscribed = await pcf.subscribe({ supi: SUPI(HOMER), policyCounterIds: ['spendcap-overage-cap'], notifId: 'pcf-1' });
      expect(subscribed.status).toBe(201);
      expect(subscribed.headers.location).toMatch(/^\/nchf-spendinglimitcontrol\/v1\/subscriptions\/[0-9a-f]{32}$/);
      expect(subscribed.body.statusInfos).toEqual({ 'spendcap-overage-cap': { policyCounterId: 'spendcap-overage-cap', currentStatus: 'valid' } });

      // Act: the cap's bar, then (the PCF down for a moment) the period start
      pcf.failNextNotifications(503);
      await realtime.carrier.send('BAR_DATA_OVERAGE', {
        subscriberId: HOMER,
        idempotencyKey: 'bar-1',
        at: '2026-09-20T10:00:00Z',
        reason: 'OVERAGE_CAP_REACHED@50000000',
        barEndsAt: '2026-09-30T22:00:00Z',
      });
      await pcf.waitForNotifications(1);
      clock.ms = Date.parse('2026-09-30T22:00:00Z');
      await realtime.carrier.send('UNBAR_DATA_OVERAGE', { subscriberId: HOMER, idempotencyKey: 'unbar-1', at: '2026-09-30T22:00:00Z', reason: 'CAP_RESET#overage' });
      await pcf.waitForNotifications(2);
      await realtime.notifications.drain();

      // Assert: the first notification was retried after the 503, and told the status of its time of delivery
      const [atBar, atPeriodStart] = pcf.notifications;
      expect(atBar).toEqual({
        supi: SUPI(HOMER),
        notifId: 'pcf-1',
        statusInfos: {
          'spendcap-overage-cap': {
            policyCounterId: 'spendcap-overage-cap',
            currentStatus: 'cap-reached',
            penPolCounterStatuses: [{ policyCounterStatus: 'valid', activationTime: '2026-09-30T22:00:00Z' }],
          },
        },
      });
      expect(atPeriodStart?.statusInfos['spendcap-overage-cap']).toEqual({ policyCounterId: 'spendcap-overage-cap', currentStatus: 'valid' });
      expect(realtime.notifications.deadLetters).toEqual([]);

      const deleted = await pcf.unsubscribe(subscribed.headers.location?.split('/').pop() ?? '');
      expect(deleted.status).toBe(204);
    } finally {
      await pcf.stop();
    }
  });
});
