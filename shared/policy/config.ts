/**
 * Configuration of the policy workflow's functions, parsed once at cold start with zod: a missing variable
 * fails the first invocation with its name, never defaults to an empty string.
 */
import * as z from 'zod';
import { ENV } from '../config/env-names.js';
import { parseEnvironment, requiredVariable } from '../config/environment.js';

export interface PlanConfig {
  readonly profilesTable: string;
  readonly usageTable: string;
  readonly opsTopicArn: string;
}

export function planConfigFromEnv(env: NodeJS.ProcessEnv): PlanConfig {
  const raw = parseEnvironment(
    z.object({ [ENV.profilesTable]: requiredVariable(ENV.profilesTable), [ENV.usageTable]: requiredVariable(ENV.usageTable), [ENV.opsTopicArn]: requiredVariable(ENV.opsTopicArn) }),
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
  const raw = parseEnvironment(
    z.object({
      [ENV.auditTable]: requiredVariable(ENV.auditTable),
      [ENV.emailTopicArn]: requiredVariable(ENV.emailTopicArn),
      [ENV.opsTopicArn]: requiredVariable(ENV.opsTopicArn),
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
  const raw = parseEnvironment(z.object({ [ENV.auditTable]: requiredVariable(ENV.auditTable), [ENV.opsTopicArn]: requiredVariable(ENV.opsTopicArn) }), env);
  return { auditTable: raw[ENV.auditTable], opsTopicArn: raw[ENV.opsTopicArn] };
}

export type CarrierConfig =
  | { readonly mode: 'eventbridge'; readonly busName: string }
  | { readonly mode: 'https'; readonly endpointUrl: string; readonly secretArn: string }
  /** The operator's PCF enforces: policy counter statuses (spending limit control); its own variables: shared/charging/config.ts. */
  | { readonly mode: 'nchf' };

export function carrierConfigFromEnv(env: NodeJS.ProcessEnv): CarrierConfig {
  const common = parseEnvironment(
    z.object({
      [ENV.carrierMode]: z.enum(['eventbridge', 'https', 'nchf'], { error: `${ENV.carrierMode}: must be eventbridge, https or nchf` }).default('eventbridge'),
    }),
    env,
  );
  if (common[ENV.carrierMode] === 'nchf') return { mode: 'nchf' };
  if (common[ENV.carrierMode] === 'eventbridge') {
    const raw = parseEnvironment(z.object({ [ENV.carrierBusName]: requiredVariable(ENV.carrierBusName) }), env);
    return { mode: 'eventbridge', busName: raw[ENV.carrierBusName] };
  }
  const raw = parseEnvironment(
    z.object({
      [ENV.carrierEndpointUrl]: requiredVariable(ENV.carrierEndpointUrl).refine((u) => u.startsWith('https://'), {
        error: `${ENV.carrierEndpointUrl}: must be an https:// URL`,
      }),
      [ENV.carrierSecretArn]: requiredVariable(ENV.carrierSecretArn),
    }),
    env,
  );
  return { mode: 'https', endpointUrl: raw[ENV.carrierEndpointUrl], secretArn: raw[ENV.carrierSecretArn] };
}

export interface ReconcileConfig {
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly auditTable: string;
  readonly carrier: CarrierConfig;
  readonly schedulerRoleArn: string;
  readonly schedulerGroupName: string;
  readonly schedulerDeadLetterArn?: string;
}

export function reconcileConfigFromEnv(env: NodeJS.ProcessEnv): ReconcileConfig {
  const raw = parseEnvironment(
    z.object({
      [ENV.usageTable]: requiredVariable(ENV.usageTable),
      [ENV.profilesTable]: requiredVariable(ENV.profilesTable),
      [ENV.auditTable]: requiredVariable(ENV.auditTable),
      [ENV.schedulerRoleArn]: requiredVariable(ENV.schedulerRoleArn),
      [ENV.schedulerGroupName]: requiredVariable(ENV.schedulerGroupName),
      [ENV.schedulerDeadLetterArn]: z.string().min(1).optional(),
    }),
    env,
  );
  const deadLetter = raw[ENV.schedulerDeadLetterArn];
  return {
    usageTable: raw[ENV.usageTable],
    profilesTable: raw[ENV.profilesTable],
    auditTable: raw[ENV.auditTable],
    carrier: carrierConfigFromEnv(env),
    schedulerRoleArn: raw[ENV.schedulerRoleArn],
    schedulerGroupName: raw[ENV.schedulerGroupName],
    ...(deadLetter !== undefined && { schedulerDeadLetterArn: deadLetter }),
  };
}

export interface SweepConfig {
  readonly usageTable: string;
  readonly policyStateMachineArn: string;
}

export function sweepConfigFromEnv(env: NodeJS.ProcessEnv): SweepConfig {
  const raw = parseEnvironment(
    z.object({ [ENV.usageTable]: requiredVariable(ENV.usageTable), [ENV.policyStateMachineArn]: requiredVariable(ENV.policyStateMachineArn) }),
    env,
  );
  return { usageTable: raw[ENV.usageTable], policyStateMachineArn: raw[ENV.policyStateMachineArn] };
}
