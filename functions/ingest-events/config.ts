/**
 * Configuration of the ingest function, parsed once at cold start: a missing variable fails the first
 * invocation with its name, never defaults to an empty string.
 */
import { z } from 'zod';
import { ENV } from '../../shared/config/env-names.js';
import { settingsFromEnv } from '../../shared/config/settings.js';
import type { PolicySettings } from '../../shared/domain/model.js';

const required = (name: string) => z.string({ error: `${name}: required` }).trim().min(1, { error: `${name}: required` });

const schema = z.object({
  [ENV.usageTable]: required(ENV.usageTable),
  [ENV.profilesTable]: required(ENV.profilesTable),
  [ENV.quarantineQueueUrl]: required(ENV.quarantineQueueUrl).pipe(
    z.url({ error: `${ENV.quarantineQueueUrl}: must be the queue URL (https://sqs...)` }),
  ),
  [ENV.policyStateMachineArn]: required(ENV.policyStateMachineArn).pipe(
    z.string().regex(/^arn:aws[a-z-]*:states:/, { error: `${ENV.policyStateMachineArn}: must be a state machine ARN` }),
  ),
});

export interface IngestConfig {
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly quarantineQueueUrl: string;
  readonly policyStateMachineArn: string;
  readonly settings: PolicySettings;
}

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv): IngestConfig {
  const result = schema.safeParse(env);
  if (!result.success) throw new Error(result.error.issues.map((i) => i.message).join('; '));
  const raw = result.data;
  return {
    usageTable: raw[ENV.usageTable],
    profilesTable: raw[ENV.profilesTable],
    quarantineQueueUrl: raw[ENV.quarantineQueueUrl],
    policyStateMachineArn: raw[ENV.policyStateMachineArn],
    settings: settingsFromEnv(env),
  };
}
