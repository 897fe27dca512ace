import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import {
  NotificationRejectedError,
  NotificationTransientError,
  subscriberKeyOf,
  type Notifier,
  type OpsAlert,
  type OutboundNotification,
  type SentNotification,
} from '../ports/notifier.js';
import { errorNameOf, isTransientAwsError } from './aws-faults.js';

export interface SnsNotifierOptions {
  readonly client: SNSClient;
  /** Topic whose e-mail subscriptions filter on `subscriberKey` / `accountId`. Absent: a function that only alerts ops. */
  readonly emailTopicArn?: string;
  /** Topic of the operations team. Absent: a function that only sends to subscribers (support's resend). */
  readonly opsTopicArn?: string;
  /** Alphanumeric sender ID (1-11 characters) where the destination country supports one. */
  readonly smsSenderId?: string;
}

function stringAttribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/** SNS subjects must be ASCII, single-line and under 100 characters. */
export function emailSubjectOf(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const ascii = firstLine
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  const subject = ascii.length > 0 ? ascii : 'spendcap notification';
  return subject.length <= 99 ? subject : `${subject.slice(0, 96)}...`;
}

/**
 * SMS straight to the MSISDN (transactional: delivered even to numbers that opted out of promotions,
 * which cap warnings are not), e-mail through a topic (the subscriber's and the account managers'
 * subscriptions filter on the message attributes), ops alerts to the ops topic.
 */
export class SnsNotifier implements Notifier {
  constructor(private readonly options: SnsNotifierOptions) {}

  async send(notification: OutboundNotification): Promise<SentNotification> {
    switch (notification.channel) {
      case 'sms': {
        const attributes: Record<string, MessageAttributeValue> = {
          'AWS.SNS.SMS.SMSType': stringAttribute('Transactional'),
        };
        if (this.options.smsSenderId !== undefined) {
          attributes['AWS.SNS.SMS.SenderID'] = stringAttribute(this.options.smsSenderId);
        }
        return this.publish(new PublishCommand({ PhoneNumber: notification.to, Message: notification.text, MessageAttributes: attributes }));
      }
      case 'email': {
        if (this.options.emailTopicArn === undefined) throw new NotificationRejectedError('no e-mail topic configured for this function');
        const attributes: Record<string, MessageAttributeValue> = {
          subscriberKey: stringAttribute(subscriberKeyOf(notification.subscriberId)),
          kind: stringAttribute(notification.kind),
          // The subscriber's own address, for the mailer subscribed to the topic (docs/deploy.md, e-mail
          // delivery): SNS allows 200 filter policies per topic, so one subscription per subscriber cannot
          // scale; one delivering subscription reads the recipient instead. Never logged.
          recipient: stringAttribute(notification.to),
        };
        if (notification.accountId !== undefined) attributes.accountId = stringAttribute(notification.accountId);
        return this.publish(
          new PublishCommand({
            TopicArn: this.options.emailTopicArn,
            Subject: emailSubjectOf(notification.subject ?? notification.text),
            Message: notification.text,
            MessageAttributes: attributes,
          }),
        );
      }
      case 'ops':
        return this.publish(
          new PublishCommand({
            TopicArn: this.opsTopic(),
            Subject: emailSubjectOf(notification.subject ?? `spendcap ${notification.kind}`),
            Message: notification.text,
            MessageAttributes: {
              kind: stringAttribute(notification.kind),
              subscriberKey: stringAttribute(subscriberKeyOf(notification.subscriberId)),
            },
          }),
        );
    }
  }

  private opsTopic(): string {
    if (this.options.opsTopicArn === undefined) throw new NotificationRejectedError('no ops topic configured for this function');
    return this.options.opsTopicArn;
  }

  async alertOps(alert: OpsAlert): Promise<SentNotification> {
    const attributes: Record<string, MessageAttributeValue> = { kind: stringAttribute('OPS_ALERT') };
    if (alert.subscriberKey !== undefined) attributes.subscriberKey = stringAttribute(alert.subscriberKey);
    return this.publish(
      new PublishCommand({
        TopicArn: this.opsTopic(),
        Subject: emailSubjectOf(alert.subject),
        Message: `${alert.text}\n\nat: ${alert.at}`,
        MessageAttributes: attributes,
      }),
    );
  }

  private async publish(command: PublishCommand): Promise<SentNotification> {
    try {
      const { MessageId } = await this.options.client.send(command);
      return MessageId === undefined ? {} : { messageId: MessageId };
    } catch (e: unknown) {
      // Messages never quote the number or address: the error travels to logs and the execution history.
      if (isTransientAwsError(e)) throw new NotificationTransientError(`SNS publish failed, may succeed later (${errorNameOf(e)})`);
      throw new NotificationRejectedError(`SNS refused the message (${errorNameOf(e)})`);
    }
  }
}
