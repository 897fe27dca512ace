/**
 * Configuration of the redrive function, parsed once at cold start: a missing variable fails the first
 * invocation with its name.
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
  [ENV.quarantineQueueUrl]: requiredVariable(ENV.quarantineQueueUrl),
  [ENV.usageStreamArn]: requiredVariable(ENV.usageStreamArn),
});

export interface RedriveConfig {
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly quarantineQueueUrl: string;
  readonly usageStreamArn: string;
  readonly settings: PolicySettings;
  readonly limits: IngestLimits;
}

export function redriveConfigFromEnv(env: NodeJS.ProcessEnv): RedriveConfig {
  const raw = parseEnvironment(schema, env);
  return {
    usageTable: raw[ENV.usageTable],
    profilesTable: raw[ENV.profilesTable],
    quarantineQueueUrl: raw[ENV.quarantineQueueUrl],
    usageStreamArn: raw[ENV.usageStreamArn],
    settings: settingsFromEnv(env),
    limits: ingestLimitsFromEnv(env),
  };
}
