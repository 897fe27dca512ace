import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/email-mailer/handler.js';
import { SesEmailSender } from '../../shared/adapters/ses-email-sender.js';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.js';
import { ENV } from '../../shared/config/env-names.js';
import { mailerConfigFromEnv, type MailerDeps } from '../../shared/mailer/config.js';
import { reportEmailFeedback } from '../../shared/mailer/feedback.js';
import { sendEmailNotification, type SnsNotification } from '../../shared/mailer/send-email.js';
import { EmailRejectedError, EmailTransientError } from '../../shared/ports/email-sender.js';

const ses = mockClient(SESv2Client);
const sns = mockClient(SNSClient);

const EMAIL_TOPIC = 'arn:aws:sns:eu-west-3:123456789012:Spendcap-EmailTopic';
const FEEDBACK_TOPIC = 'arn:aws:sns:eu-west-3:123456789012:Spendcap-MailerFeedbackTopic';
const OPS_TOPIC = 'arn:aws:sns:eu-west-3:123456789012:Spendcap-OpsTopic';
const ADDRESS = 'alice@subscriber.example.net';
const AT = new Date('2026-11-27T10:15:03.000Z');

function deps(): MailerDeps {
  return {
    sender: new SesEmailSender({ client: new SESv2Client({ region: 'eu-west-3' }), fromAddress: 'caps@mvno.example.com', configurationSetName: 'spendcap-mailer' }),
    notifier: new SnsNotifier({ client: new SNSClient({ region: 'eu-west-3' }), opsTopicArn: OPS_TOPIC }),
    clock: { now: () => AT },
    feedbackTopicArn: FEEDBACK_TOPIC,
  };
}

/** An e-mail topic message as the notify task publishes it (shared/adapters/sns-notifier.ts). */
function emailMessage(attributes: Record<string, string> = { recipient: ADDRESS, kind: 'ROAMING_CAP_REACHED', subscriberKey: 'a1b2c3' }): SnsNotification {
  return {
    TopicArn: EMAIL_TOPIC,
    Subject: 'Itinerance : plafond atteint',
    Message: "Plafond d'itinérance atteint : les données en itinérance sont coupées.",
    MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { Type: 'String', Value: value }])),
  };
}

function snsEvent(notification: SnsNotification): SNSEvent {
  return { Records: [{ EventSource: 'aws:sns', Sns: { ...notification } } as unknown as SNSEventRecord] };
}

/** An SES event as the configuration set's SNS event destination publishes it (trimmed to what is read, plus the address). */
function sesEvent(eventType: string, detail: Record<string, unknown>): string {
  return JSON.stringify({
    eventType,
    mail: {
      messageId: '0102018f-ses-message',
      destination: [ADDRESS],
      tags: { kind: ['ROAMING_CAP_REACHED'], subscriberKey: ['a1b2c3'], 'ses:configuration-set': ['spendcap-mailer'] },
    },
    ...detail,
  });
}

function sesError(name: string, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name}: refused ${ADDRESS}`), { name, $fault: fault, $metadata: {} });
}

function publishedAlerts(): Array<{ Subject?: string; Message?: string; TopicArn?: string }> {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

afterEach(() => {
  ses.reset();
  sns.reset();
});

describe('SesEmailSender', () => {
  it('sends plain UTF-8 text from the configured address through the configuration set, tagged for the feedback events', async () => {
    // Arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });

    // Act
    const sent = await deps().sender.send({ to: ADDRESS, subject: 'Plafond atteint', text: 'Données coupées.', tags: { kind: 'ROAMING_CAP_REACHED', subscriberKey: 'a1b2c3' } });

    // Assert
    expect(sent).toEqual({ messageId: 'ses-1' });
    expect(ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input)).toEqual([
      {
        FromEmailAddress: 'caps@mvno.example.com',
        Destination: { ToAddresses: [ADDRESS] },
        Content: { Simple: { Subject: { Data: 'Plafond atteint', Charset: 'UTF-8' }, Body: { Text: { Data: 'Données coupées.', Charset: 'UTF-8' } } } },
        EmailTags: [
          { Name: 'kind', Value: 'ROAMING_CAP_REACHED' },
          { Name: 'subscriberKey', Value: 'a1b2c3' },
        ],
        ConfigurationSetName: 'spendcap-mailer',
      },
    ]);
  });

  it('replaces characters SES refuses in message tags', async () => {
    ses.on(SendEmailCommand).resolves({});

    await deps().sender.send({ to: ADDRESS, subject: 's', text: 't', tags: { 'kind!': 'A B/C' } });

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.EmailTags).toEqual([{ Name: 'kind_', Value: 'A_B_C' }]);
  });

  it.each([
    ['TooManyRequestsException', 'client', EmailTransientError],
    ['LimitExceededException', 'client', EmailTransientError],
    ['InternalServiceErrorException', 'server', EmailTransientError],
    ['MessageRejected', 'client', EmailRejectedError],
    ['SendingPausedException', 'client', EmailRejectedError],
    ['AccessDeniedException', 'client', EmailRejectedError],
  ] as const)('turns %s into %s, without the address in the message', async (name, fault, expected) => {
    // Arrange
    ses.on(SendEmailCommand).rejects(sesError(name, fault));

    // Act
    const send = deps().sender.send({ to: ADDRESS, subject: 's', text: 't', tags: {} });

    // Assert
    await expect(send).rejects.toBeInstanceOf(expected);
    await expect(deps().sender.send({ to: ADDRESS, subject: 's', text: 't', tags: {} })).rejects.not.toThrow(ADDRESS);
  });
});

describe('sending an e-mail topic message to its recipient', () => {
  it('sends the subject and text to the recipient attribute, tagging kind and subscriber key', async () => {
    // Arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2' });

    // Act
    const outcome = await sendEmailNotification(emailMessage(), deps());

    // Assert
    expect(outcome).toEqual({ outcome: 'sent', kind: 'ROAMING_CAP_REACHED', messageId: 'ses-2' });
    const input = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.Destination).toEqual({ ToAddresses: [ADDRESS] });
    expect(input?.Content?.Simple?.Subject?.Data).toBe('Itinerance : plafond atteint');
    expect(input?.Content?.Simple?.Body?.Text?.Data).toBe("Plafond d'itinérance atteint : les données en itinérance sont coupées.");
    expect(publishedAlerts()).toEqual([]);
  });

  it('falls back to a generic subject when the message has none', async () => {
    ses.on(SendEmailCommand).resolves({});

    await sendEmailNotification({ ...emailMessage(), Subject: null }, deps());

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Subject?.Data).toBe('spendcap notification');
  });

  it('skips a message without a recipient (an account manager copy), sending and alerting nothing', async () => {
    const outcome = await sendEmailNotification(emailMessage({ kind: 'ROAMING_CAP_REACHED', accountId: 'ACME' }), deps());

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'no recipient attribute' });
    expect(ses.commandCalls(SendEmailCommand)).toEqual([]);
    expect(publishedAlerts()).toEqual([]);
  });

  it('tells ops, by subscriber key and never by address, when SES refuses the message, and does not retry', async () => {
    // Arrange
    ses.on(SendEmailCommand).rejects(sesError('MessageRejected'));
    sns.on(PublishCommand).resolves({ MessageId: 'ops-1' });

    // Act
    const outcome = await sendEmailNotification(emailMessage(), deps());

    // Assert
    expect(outcome).toEqual({ outcome: 'rejected', kind: 'ROAMING_CAP_REACHED', reason: 'SES refused the message (MessageRejected)' });
    const alerts = publishedAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.TopicArn).toBe(OPS_TOPIC);
    expect(alerts[0]?.Subject).toBe('spendcap: e-mail warning not sent');
    expect(alerts[0]?.Message).toContain('subscriber key: a1b2c3');
    expect(alerts[0]?.Message).toContain('at: 2026-11-27T10:15:03.000Z');
    expect(JSON.stringify(alerts)).not.toContain(ADDRESS);
  });

  it('tells ops without calling SES when the recipient is not an address', async () => {
    sns.on(PublishCommand).resolves({});

    const outcome = await sendEmailNotification(emailMessage({ recipient: 'not an address', subscriberKey: 'a1b2c3' }), deps());

    expect(outcome).toEqual({ outcome: 'rejected', reason: 'recipient is not an e-mail address' });
    expect(ses.commandCalls(SendEmailCommand)).toEqual([]);
    expect(publishedAlerts()).toHaveLength(1);
  });

  it('throws a transient SES error so that Lambda retries the invocation (then keeps it in the dead-letter queue)', async () => {
    ses.on(SendEmailCommand).rejects(sesError('TooManyRequestsException'));

    await expect(sendEmailNotification(emailMessage(), deps())).rejects.toBeInstanceOf(EmailTransientError);
    expect(publishedAlerts()).toEqual([]);
  });
});

describe('bounce and complaint feedback to the ops topic', () => {
  it.each([
    ['Bounce', { bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: ADDRESS, diagnosticCode: `550 ${ADDRESS} unknown` }] } }, 'spendcap: e-mail bounce (Permanent / General)', 'does not accept mail'],
    ['Bounce', { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: ADDRESS }] } }, 'spendcap: e-mail bounce (Transient / MailboxFull)', 'refused the message for now'],
    ['Complaint', { complaint: { complaintFeedbackType: 'abuse', complainedRecipients: [{ emailAddress: ADDRESS }] } }, 'spendcap: e-mail complaint (abuse)', 'marked a spend-cap warning as spam'],
    ['Reject', { reject: { reason: 'Bad content' } }, 'spendcap: e-mail reject (Bad content)', 'virus scan'],
  ])('reports a %s with the kind and subscriber key from the message tags, never the address', async (eventType, detail, subject, advice) => {
    // Arrange
    sns.on(PublishCommand).resolves({});

    // Act
    const outcome = await reportEmailFeedback(sesEvent(eventType, detail), deps());

    // Assert
    expect(outcome).toMatchObject({ outcome: 'reported', eventType });
    const [alert] = publishedAlerts();
    expect(alert?.TopicArn).toBe(OPS_TOPIC);
    expect(alert?.Subject).toBe(subject);
    expect(alert?.Message).toContain(advice);
    expect(alert?.Message).toContain('(ROAMING_CAP_REACHED)');
    expect(alert?.Message).toContain('subscriber key: a1b2c3');
    expect(alert?.Message).toContain('SES message id: 0102018f-ses-message');
    expect(JSON.stringify(publishedAlerts())).not.toContain(ADDRESS);
  });

  it('ignores event types it was not subscribed for, and says what is wrong with a malformed event', async () => {
    expect(await reportEmailFeedback(sesEvent('Delivery', {}), deps())).toEqual({ outcome: 'ignored', eventType: 'Delivery' });
    expect(await reportEmailFeedback('not json', deps())).toEqual({ outcome: 'invalid', reason: 'not valid JSON' });
    expect(await reportEmailFeedback('{"mail":{}}', deps())).toMatchObject({ outcome: 'invalid', reason: expect.stringContaining('eventType') });
    expect(publishedAlerts()).toEqual([]);
  });
});

describe('email-mailer handler', () => {
  it('sends messages of the e-mail topic and reports those of the feedback topic', async () => {
    // Arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-3' });
    sns.on(PublishCommand).resolves({});
    const handler = createHandler(deps());

    // Act
    const sent = await handler(snsEvent(emailMessage()));
    const feedback = await handler(snsEvent({ TopicArn: FEEDBACK_TOPIC, Message: sesEvent('Complaint', { complaint: {} }) }));

    // Assert
    expect(sent.outcomes).toEqual([{ outcome: 'sent', kind: 'ROAMING_CAP_REACHED', messageId: 'ses-3' }]);
    expect(feedback.outcomes).toEqual([{ outcome: 'reported', eventType: 'Complaint', detail: 'marked as spam' }]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(publishedAlerts()).toHaveLength(1);
  });

  it('reads its configuration once, naming a missing variable', () => {
    // Arrange
    const env = {
      [ENV.mailerFromAddress]: 'caps@mvno.example.com',
      [ENV.mailerConfigurationSet]: 'spendcap-mailer',
      [ENV.mailerFeedbackTopicArn]: FEEDBACK_TOPIC,
      [ENV.opsTopicArn]: OPS_TOPIC,
    };

    // Act / Assert
    expect(mailerConfigFromEnv(env)).toEqual({ fromAddress: 'caps@mvno.example.com', configurationSetName: 'spendcap-mailer', feedbackTopicArn: FEEDBACK_TOPIC, opsTopicArn: OPS_TOPIC });
    expect(() => mailerConfigFromEnv({ ...env, [ENV.mailerFromAddress]: '' })).toThrow(`${ENV.mailerFromAddress}: required`);
  });
});
