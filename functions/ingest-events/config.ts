/**
 * Configuration of the ingest function, parsed once at cold start: a missing variable fails the first
 * invocation with its name, never defaults to an empty string.
 */
import * as z from 'zod';
import { ENV } from '../../shared/config/env-names.js';
import { parseEnvironment, requiredVariable } from '../../shared/config/environment.js';
import { ingestLimitsFromEnv, type IngestLimits } from '../../shared/config/ingest-limits.js';
import { settingsFromEnv } from '../../shared/config/settings.js';
import type { PolicySettings } from '../../shared/domain/model.js';

const schema = z.object({
  [ENV.usageTable]: requiredVariable(ENV.usageTable),
  [ENV.profilesTable]: requiredVariable(ENV.profilesTable),
  [ENV.quarantineQueueUrl]: requiredVariable(ENV.quarantineQueueUrl).pipe(
    z.url({ error: `${ENV.quarantineQueueUrl}: must be the queue URL (https://sqs...)` }),
  ),
  [ENV.policyStateMachineArn]: requiredVariable(ENV.policyStateMachineArn).pipe(
    z.string().regex(/^arn:aws[a-z-]*:states:/, { error: `${ENV.policyStateMachineArn}: must be a state machine ARN` }),
  ),
});

export interface IngestConfig {
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly quarantineQueueUrl: string;
  readonly policyStateMachineArn: string;
  readonly settings: PolicySettings;
  readonly limits: IngestLimits;
}

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv): IngestConfig {
  const raw = parseEnvironment(schema, env);
  return {
    usageTable: raw[ENV.usageTable],
    profilesTable: raw[ENV.profilesTable],
    quarantineQueueUrl: raw[ENV.quarantineQueueUrl],
    policyStateMachineArn: raw[ENV.policyStateMachineArn],
    settings: settingsFromEnv(env),
    limits: ingestLimitsFromEnv(env),
  };
}
