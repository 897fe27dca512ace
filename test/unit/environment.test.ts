import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ENV } from '../../shared/config/env-names.js';
import { parseEnvironment, requiredVariable } from '../../shared/config/environment.js';
import { planConfigFromEnv } from '../../shared/policy/config.js';
import { selfCareConfigFromEnv } from '../../shared/selfcare/config.js';
import { ingestConfigFromEnv } from '../../functions/ingest-events/config.js';

describe('parseEnvironment', () => {
  const schema = z.object({ A_TABLE: requiredVariable('A_TABLE'), B_URL: requiredVariable('B_URL') });

  it('returns the parsed variables', () => {
    expect(parseEnvironment(schema, { A_TABLE: 'usage', B_URL: 'https://x' })).toEqual({ A_TABLE: 'usage', B_URL: 'https://x' });
  });

  it('names every missing or blank variable in one error, never defaulting to an empty string', () => {
    expect(() => parseEnvironment(schema, { B_URL: '   ' })).toThrow('A_TABLE: required; B_URL: required');
  });
});

describe('function configurations fail at cold start with the name of what is missing', () => {
  it('policy plan', () => {
    expect(() => planConfigFromEnv({ [ENV.profilesTable]: 'profiles' })).toThrow(`${ENV.usageTable}: required; ${ENV.opsTopicArn}: required`);
  });

  it('self-care API', () => {
    expect(() => selfCareConfigFromEnv({ [ENV.usageTable]: 'usage', [ENV.profilesTable]: 'profiles' })).toThrow(
      `${ENV.auditTable}: required; ${ENV.policyStateMachineArn}: required`,
    );
    const complete = { [ENV.usageTable]: 'usage', [ENV.profilesTable]: 'profiles', [ENV.auditTable]: 'audit', [ENV.policyStateMachineArn]: 'arn:aws:states:eu-west-3:1:stateMachine:p' };
    // The operator function sends messages again for support: it needs the e-mail topic, not the sender ID.
    expect(() => selfCareConfigFromEnv(complete, { messages: true })).toThrow(`${ENV.emailTopicArn}: required`);
    expect(selfCareConfigFromEnv({ ...complete, [ENV.emailTopicArn]: 'arn:aws:sns:eu-west-3:1:email' }, { messages: true }).messages).toEqual({
      emailTopicArn: 'arn:aws:sns:eu-west-3:1:email',
    });
    expect(selfCareConfigFromEnv(complete).messages).toBeUndefined();
  });

  it('ingest', () => {
    expect(() =>
      ingestConfigFromEnv({
        [ENV.usageTable]: 'usage',
        [ENV.profilesTable]: 'profiles',
        [ENV.quarantineQueueUrl]: 'not a url',
        [ENV.policyStateMachineArn]: 'arn:aws:states:eu-west-3:1:stateMachine:p',
      }),
    ).toThrow(`${ENV.quarantineQueueUrl}: must be the queue URL`);
  });
});
