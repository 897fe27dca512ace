/**
 * A CONTINUER / CONTINUE reply on the two-way SMS topic, through the real inbound-sms handler against
 * dynalite: the sender's number finds the subscriber through the byMsisdn index, and the reply becomes the
 * consent of POST /consent for the cap that barred.
 */
import { barOf, setBars } from '../support/bars.js';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler, type InboundSmsHandler } from '../../functions/inbound-sms/handler.js';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { subscriberProfileSchema } from '../../shared/domain/subscriber-schema.js';
import { startApiWorld, type ApiWorld } from './api-fixture.js';

const NOW = '2026-09-15T10:00:00Z';
const PERIOD = '2026-09-01';
const SUBSCRIBER = 'imsi-208150000000002';
const MSISDN = '+33698765432';

/** What AWS End User Messaging publishes to the two-way SMS topic for one inbound message. */
function inboundSms(originationNumber: string, messageBody: string): SNSEvent {
  const message = {
    originationNumber,
    destinationNumber: '+33700000000',
    messageKeyword: 'KEYWORD_123456789012',
    messageBody,
    inboundMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
    previousPublishedMessageId: 'wJ0q9SrQ2aZ4Yj5lASdx1DMjDEOs4pzV',
  };
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:eu-west-3:123456789012:two-way-sms:sub',
        Sns: {
          Type: 'Notification',
          MessageId: 'm1',
          TopicArn: 'arn:aws:sns:eu-west-3:123456789012:two-way-sms',
          Subject: '',
          Message: JSON.stringify(message),
          Timestamp: NOW,
          SignatureVersion: '1',
          Signature: 's',
          SigningCertUrl: 'https://sns.example/cert',
          UnsubscribeUrl: 'https://sns.example/unsub',
          MessageAttributes: {},
        },
      },
    ],
  };
}

describe('inbound SMS keyword', () => {
  let world: ApiWorld;
  let handler: InboundSmsHandler;

  beforeAll(async () => {
    world = await startApiWorld(NOW);
    handler = createHandler(world.deps());
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(async () => {
    world.starter.started.length = 0;
    await world.profiles.delete(SUBSCRIBER);
    const profile: SubscriberProfile = subscriberProfileSchema.parse({
      subscriberId: SUBSCRIBER,
      msisdn: MSISDN,
      plan: { dataAllowanceBytes: 1_000_000_000 },
      roamingCap: { limitMicros: 10_000_000 },
    });
    await world.profiles.put(profile);
    const stored = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);
    // The cap fired and barred roaming earlier in the period, as ingest and the workflow leave it.
    const counters = {
      ...emptyCounters(SUBSCRIBER, PERIOD),
      roaming: { chargeMicros: 11_000_000, billableMicros: 10_000_000, writtenOffMicros: 1_000_000 },
      fired: { 'ROAMING_SPEND_80@10000000': '2026-09-14T07:00:00.000Z', 'ROAMING_CAP_REACHED@10000000': '2026-09-14T08:00:00.000Z' },
      eventsApplied: 5,
    };
    await world.usage.saveCounters({ counters, expectedVersion: stored?.version ?? 0, applied: {}, pending: [] });
    await setBars(world.bars, SUBSCRIBER, { roaming: barOf('roaming', PERIOD, '2026-09-30T22:00:00Z', 'ROAMING_CAP_REACHED@10000000') });
  });

  async function consentNow(): Promise<{ roaming: boolean; overage: boolean } | undefined> {
    return (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD)?.counters.consent;
  }

  it('CONTINUER from the subscriber`s number consents to continue roaming and un-bars', async () => {
    const result = await handler(inboundSms(MSISDN, 'CONTINUER'));

    expect(result.outcomes).toEqual([{ outcome: 'consented', buckets: ['roaming'] }]);
    expect(await consentNow()).toEqual({ roaming: true, overage: false });
    expect(world.starter.started).toEqual([
      { kind: 'CAPS_CHANGED', subscriberId: SUBSCRIBER, period: PERIOD, crossingId: 'CAPS_CHANGED#consent-roaming', at: new Date(NOW).toISOString(), bucket: 'roaming' },
    ]);
    // The consent is in the audit trail: who (the line's number), when, through which channel, with the reply.
    expect(await world.audit.list(SUBSCRIBER, new Date(NOW).toISOString())).toContainEqual(
      expect.objectContaining({
        type: 'CHOICE_CHANGED',
        by: 'subscriber',
        changes: [{ field: 'consent.roaming', from: false, to: true }],
        consent: expect.objectContaining({ channel: 'sms', at: new Date(NOW).toISOString(), text: 'CONTINUER' }),
      }),
    );
  });

  it('accepts the English keyword in any case, with blanks and punctuation around it', async () => {
    const result = await handler(inboundSms(MSISDN, '  continue! \n'));

    expect(result.outcomes).toEqual([{ outcome: 'consented', buckets: ['roaming'] }]);
    expect((await consentNow())?.roaming).toBe(true);
  });

  it('ignores other replies, unknown numbers and malformed documents', async () => {
    const other = await handler(inboundSms(MSISDN, 'STOP'));
    const stranger = await handler(inboundSms('+33611111111', 'CONTINUER'));
    const malformed = await handler({ Records: [{ ...inboundSms(MSISDN, 'x').Records[0]!, Sns: { ...inboundSms(MSISDN, 'x').Records[0]!.Sns, Message: 'not json' } }] });

    expect(other.outcomes).toEqual([{ outcome: 'not-a-keyword' }]);
    expect(stranger.outcomes).toEqual([{ outcome: 'unknown-number' }]);
    expect(malformed.outcomes).toEqual([{ outcome: 'invalid', reason: 'not valid JSON' }]);
    expect(await consentNow()).toEqual({ roaming: false, overage: false });
    expect(world.starter.started).toEqual([]);
  });

  it('with no cap holding the line back, the keyword gives no consent', async () => {
    await setBars(world.bars, SUBSCRIBER, {});
    const stored = (await world.usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD);
    await world.usage.saveCounters({ counters: emptyCounters(SUBSCRIBER, PERIOD), expectedVersion: stored?.version ?? 0, applied: {}, pending: [] });

    const result = await handler(inboundSms(MSISDN, 'CONTINUER'));

    expect(result.outcomes).toEqual([{ outcome: 'nothing-to-continue' }]);
    expect(await consentNow()).toEqual({ roaming: false, overage: false });
  });
});
