import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { emailSubjectOf, SnsNotifier } from '../../shared/adapters/sns-notifier.js';
import { NotificationRejectedError, NotificationTransientError, subscriberKeyOf, type OutboundNotification } from '../../shared/ports/notifier.js';

const sns = mockClient(SNSClient);
const EMAIL_TOPIC = 'arn:aws:sns:eu-west-3:123456789012:spendcap-email';
const OPS_TOPIC = 'arn:aws:sns:eu-west-3:123456789012:spendcap-ops';

function notifier(senderId?: string): SnsNotifier {
  return new SnsNotifier({ client: new SNSClient({ region: 'eu-west-3' }), emailTopicArn: EMAIL_TOPIC, opsTopicArn: OPS_TOPIC, ...(senderId !== undefined && { smsSenderId: senderId }) });
}

const base: OutboundNotification = {
  subscriberId: '208011234567890',
  kind: 'ROAMING_CAP_REACHED',
  channel: 'sms',
  to: '+33611111111',
  text: "Plafond d'itinérance atteint.",
  at: '2026-09-10T13:40:00.000Z',
};

afterEach(() => {
  sns.reset();
});

describe('SnsNotifier', () => {
  it('publishes an SMS straight to the MSISDN as transactional, with the configured sender ID', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const sent = await notifier('Spendcap').send(base);

    expect(sent).toEqual({ messageId: 'm-1' });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        PhoneNumber: '+33611111111',
        Message: "Plafond d'itinérance atteint.",
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: 'Spendcap' },
        },
      },
    ]);
  });

  it('leaves the sender ID out when none is configured (countries that refuse them)', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });

    await notifier().send(base);

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).toEqual({
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    });
  });

  it('publishes an e-mail to the topic with the hashed subscriber key and the account for the filter policies', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });

    await notifier().send({ ...base, channel: 'email', to: 'p2@example.org', accountId: 'ACME', subject: "Plafond d'itinérance atteint : itinérance données coupée" });

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: EMAIL_TOPIC,
      Subject: "Plafond d'itinerance atteint : itinerance donnees coupee",
      Message: "Plafond d'itinérance atteint.",
      MessageAttributes: {
        subscriberKey: { DataType: 'String', StringValue: subscriberKeyOf('208011234567890') },
        kind: { DataType: 'String', StringValue: 'ROAMING_CAP_REACHED' },
        recipient: { DataType: 'String', StringValue: 'p2@example.org' },
        accountId: { DataType: 'String', StringValue: 'ACME' },
      },
    });
    // The subscriber id (often an IMSI) never leaves hashed; the address travels only as the recipient.
    expect(JSON.stringify(input)).not.toContain('208011234567890');
    expect(JSON.stringify({ ...input, MessageAttributes: { ...input?.MessageAttributes, recipient: undefined } })).not.toContain('p2@example.org');
  });

  it('sends bill-shock alerts and failure alerts to the ops topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-4' });
    const n = notifier();

    await n.send({ ...base, kind: 'BILL_SHOCK_ALERT', channel: 'ops', to: OPS_TOPIC, subject: 'Alerte facture' });
    await n.alertOps({ subject: 'spendcap: carrier command BAR_DATA_ROAMING failed', text: 'details', at: base.at, subscriberKey: 'abc' });

    const inputs = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.TopicArn)).toEqual([OPS_TOPIC, OPS_TOPIC]);
    expect(inputs.map((i) => i.Subject)).toEqual(['Alerte facture', 'spendcap: carrier command BAR_DATA_ROAMING failed']);
    expect(inputs[1]?.MessageAttributes?.subscriberKey?.StringValue).toBe('abc');
  });

  it('classifies SNS errors by whether a retry can help, without quoting the number', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException', $fault: 'client', $metadata: { httpStatusCode: 429 } });
    const invalid = Object.assign(new Error('Invalid parameter: PhoneNumber Reason: +33611111111 is not valid'), {
      name: 'InvalidParameterException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    sns.on(PublishCommand).rejectsOnce(throttled).rejectsOnce(invalid);
    const n = notifier();

    const first = n.send(base);
    await expect(first).rejects.toBeInstanceOf(NotificationTransientError);
    const second = n.send(base).catch((e: unknown) => e);
    const error = await second;

    expect(error).toBeInstanceOf(NotificationRejectedError);
    expect((error as Error).name).toBe('NotificationRejectedError');
    expect((error as Error).message).not.toContain('+33611111111');
  });

  it('refuses an e-mail when the function has no e-mail topic', async () => {
    const opsOnly = new SnsNotifier({ client: new SNSClient({ region: 'eu-west-3' }), opsTopicArn: OPS_TOPIC });

    await expect(opsOnly.send({ ...base, channel: 'email' })).rejects.toBeInstanceOf(NotificationRejectedError);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('emailSubjectOf', () => {
  it('keeps SNS subjects ASCII, single-line and under 100 characters', () => {
    expect(emailSubjectOf('Données coupées\nsecond line')).toBe('Donnees coupees');
    const long = emailSubjectOf('x'.repeat(150));
    expect(long.length).toBeLessThan(100);
    expect(long.endsWith('...')).toBe(true);
    expect(emailSubjectOf('€€€')).toBe('spendcap notification');
  });
});
