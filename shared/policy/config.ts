/**
 * Configuration of the policy workflow's functions, parsed once at cold start with zod: a missing variable
 * fails the first invocation with its name, never defaults to an empty string.
 */
import { z } from 'zod';
import { ENV } from '../config/env-names.js';

const required = (name: string) => z.string({ error: `${name}: required` }).min(1, { error: `${name}: required` });

function parse<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv): T {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new Error(result.error.issues.map((i) => i.message).join('; '));
}

export interface PlanConfig {
  readonly profilesTable: string;
  readonly usageTable: string;
  readonly opsTopicArn: string;
}

export function planConfigFromEnv(env: NodeJS.ProcessEnv): PlanConfig {
  const raw = parse(
    z.object({ [ENV.profilesTable]: required(ENV.profilesTable), [ENV.usageTable]: required(ENV.usageTable), [ENV.opsTopicArn]: required(ENV.opsTopicArn) }),
    env,
  );
  return { profilesTable: raw[ENV.profilesTable], usageTable: raw[ENV.usageTable], opsTopicArn: raw[ENV.opsTopicArn] };
}

export interface NotifyConfig {
  readonly auditTable: string;
  readonly emailTopicArn: string;
  readonly opsTopicArn: string;
  readonly smsSenderId?: string;
}

const senderId = z
  .string()
  .regex(/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/, { error: `${ENV.smsSenderId}: must be 1 to 11 letters or digits, at least one letter` })
  .optional();

export function notifyConfigFromEnv(env: NodeJS.ProcessEnv): NotifyConfig {
  const raw = parse(
    z.object({
      [ENV.auditTable]: required(ENV.auditTable),
      [ENV.emailTopicArn]: required(ENV.emailTopicArn),
      [ENV.opsTopicArn]: required(ENV.opsTopicArn),
      // Optional on purpose: some destination countries (e.g. the US) refuse alphanumeric sender IDs.
      [ENV.smsSenderId]: senderId,
    }),
    env,
  );
  const sender = raw[ENV.smsSenderId];
  return {
    auditTable: raw[ENV.auditTable],
    emailTopicArn: raw[ENV.emailTopicArn],
    opsTopicArn: raw[ENV.opsTopicArn],
    ...(sender !== undefined && sender !== '' && { smsSenderId: sender }),
  };
}

export interface ReportFailureConfig {
  readonly auditTable: string;
  readonly opsTopicArn: string;
}

export function reportFailureConfigFromEnv(env: NodeJS.ProcessEnv): ReportFailureConfig {
  const raw = parse(z.object({ [ENV.auditTable]: required(ENV.auditTable), [ENV.opsTopicArn]: required(ENV.opsTopicArn) }), env);
  return { auditTable: raw[ENV.auditTable], opsTopicArn: raw[ENV.opsTopicArn] };
}

export type CarrierConfig =
  | { readonly mode: 'eventbridge'; readonly auditTable: string; readonly usageTable: string; readonly busName: string }
  | { readonly mode: 'https'; readonly auditTable: string; readonly usageTable: string; readonly endpointUrl: string; readonly secretArn: string };

export function carrierConfigFromEnv(env: NodeJS.ProcessEnv): CarrierConfig {
  const common = parse(
    z.object({
      [ENV.auditTable]: required(ENV.auditTable),
      [ENV.usageTable]: required(ENV.usageTable),
      [ENV.carrierMode]: z.enum(['eventbridge', 'https'], { error: `${ENV.carrierMode}: must be eventbridge or https` }).default('eventbridge'),
    }),
    env,
  );
  const base = { auditTable: common[ENV.auditTable], usageTable: common[ENV.usageTable] };
  if (common[ENV.carrierMode] === 'eventbridge') {
    const raw = parse(z.object({ [ENV.carrierBusName]: required(ENV.carrierBusName) }), env);
    return { mode: 'eventbridge', ...base, busName: raw[ENV.carrierBusName] };
  }
  const raw = parse(
    z.object({
      [ENV.carrierEndpointUrl]: required(ENV.carrierEndpointUrl).refine((u) => u.startsWith('https://'), {
        error: `${ENV.carrierEndpointUrl}: must be an https:// URL`,
      }),
      [ENV.carrierSecretArn]: required(ENV.carrierSecretArn),
    }),
    env,
  );
  return { mode: 'https', ...base, endpointUrl: raw[ENV.carrierEndpointUrl], secretArn: raw[ENV.carrierSecretArn] };
}

export interface ScheduleConfig {
  readonly auditTable: string;
  readonly schedulerRoleArn: string;
  readonly schedulerGroupName: string;
}

export function scheduleConfigFromEnv(env: NodeJS.ProcessEnv): ScheduleConfig {
  const raw = parse(
    z.object({
      [ENV.auditTable]: required(ENV.auditTable),
      [ENV.schedulerRoleArn]: required(ENV.schedulerRoleArn),
      [ENV.schedulerGroupName]: required(ENV.schedulerGroupName),
    }),
    env,
  );
  return { auditTable: raw[ENV.auditTable], schedulerRoleArn: raw[ENV.schedulerRoleArn], schedulerGroupName: raw[ENV.schedulerGroupName] };
}
