import { Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { addNagChecks } from '../../infra/nag.js';
import { buildStack, removeOutdirs, testApp } from './helpers.js';

afterAll(removeOutdirs);

/** A queue with neither encryption (SQS2), TLS enforcement (SQS4) nor dead-letter queue (SQS3, SQSRedrivePolicy). */
function stackWithPlainQueue(acknowledge: boolean) {
  const app = testApp();
  const stack = new Stack(app, 'NagProbe');
  const queue = new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  if (acknowledge) {
    Validations.of(queue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'test: the probe queue is itself a dead-letter queue' },
      { id: 'AwsSolutions-SQS2', reason: 'test: the probe queue is never deployed' },
      { id: 'AwsSolutions-SQS4', reason: 'test: the probe queue is never deployed' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'test: the probe queue is itself a dead-letter queue' },
    );
  }
  addNagChecks(app);
  return app;
}

describe('cdk-nag (AwsSolutions + Serverless packs as validation plugins)', () => {
  it('fails synthesis on a finding that is not acknowledged, naming the rule and the resource', () => {
    // Arrange
    const app = stackWithPlainQueue(false);

    // Act
    const synth = () => app.synth();

    // Assert
    expect(synth).toThrow(/AwsSolutions-SQS2/);
    expect(synth).toThrow(/NagProbe\/PlainQueue/);
  });

  it('lets synthesis pass once every finding is acknowledged with a reason', () => {
    // Arrange
    const app = stackWithPlainQueue(true);

    // Act
    const assembly = app.synth();

    // Assert
    expect(assembly.getStackByName('NagProbe').template.Resources).toBeDefined();
  });

  it('finds no unacknowledged finding in the whole spendcap app, in either carrier mode', () => {
    for (const carrier of [{ mode: 'eventbridge' }, { mode: 'https', endpointUrl: 'https://provisioning.host.example.net/v1' }]) {
      // Arrange
      const { app, stack } = buildStack({ carrier, ops: { emails: ['noc@mvno.example.org'] } });
      addNagChecks(app);

      // Act
      const assembly = app.synth();

      // Assert
      expect(assembly.getStackByName(stack.stackName).template.Resources).toBeDefined();
    }
  });
});
