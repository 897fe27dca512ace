/**
 * Configuration of the real-time functions, parsed once at cold start with zod: a missing variable fails the
 * first invocation with its name.
 */
import * as z from 'zod';
import { ENV } from '../config/env-names.js';
import { parseEnvironment, requiredVariable } from '../config/environment.js';

const tables = {
  [ENV.realtimeTable]: requiredVariable(ENV.realtimeTable),
};

export interface ChargingFunctionConfig {
  readonly realtimeTable: string;
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly streamArn: string;
}

export function chargingConfigFromEnv(env: NodeJS.ProcessEnv): ChargingFunctionConfig {
  const raw = parseEnvironment(
    z.object({
      ...tables,
      [ENV.usageTable]: requiredVariable(ENV.usageTable),
      [ENV.profilesTable]: requiredVariable(ENV.profilesTable),
      [ENV.usageStreamArn]: requiredVariable(ENV.usageStreamArn),
    }),
    env,
  );
  return { realtimeTable: raw[ENV.realtimeTable], usageTable: raw[ENV.usageTable], profilesTable: raw[ENV.profilesTable], streamArn: raw[ENV.usageStreamArn] };
}

export interface SpendingLimitFunctionConfig {
  readonly realtimeTable: string;
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly queueUrl: string;
}

export function spendingLimitConfigFromEnv(env: NodeJS.ProcessEnv): SpendingLimitFunctionConfig {
  const raw = parseEnvironment(
    z.object({
      ...tables,
      [ENV.usageTable]: requiredVariable(ENV.usageTable),
      [ENV.profilesTable]: requiredVariable(ENV.profilesTable),
      [ENV.sbiNotificationQueueUrl]: requiredVariable(ENV.sbiNotificationQueueUrl),
    }),
    env,
  );
  return {
    realtimeTable: raw[ENV.realtimeTable],
    usageTable: raw[ENV.usageTable],
    profilesTable: raw[ENV.profilesTable],
    queueUrl: raw[ENV.sbiNotificationQueueUrl],
  };
}

export interface NotifyFunctionConfig {
  readonly realtimeTable: string;
  readonly usageTable: string;
}

export function notifyConfigFromEnv(env: NodeJS.ProcessEnv): NotifyFunctionConfig {
  const raw = parseEnvironment(z.object({ ...tables, [ENV.usageTable]: requiredVariable(ENV.usageTable) }), env);
  return { realtimeTable: raw[ENV.realtimeTable], usageTable: raw[ENV.usageTable] };
}

export interface SubscriberRemovedConfig {
  readonly realtimeTable: string;
  readonly queueUrl: string;
}

export function subscriberRemovedConfigFromEnv(env: NodeJS.ProcessEnv): SubscriberRemovedConfig {
  const raw = parseEnvironment(z.object({ ...tables, [ENV.sbiNotificationQueueUrl]: requiredVariable(ENV.sbiNotificationQueueUrl) }), env);
  return { realtimeTable: raw[ENV.realtimeTable], queueUrl: raw[ENV.sbiNotificationQueueUrl] };
}

/** The carrier gateway in mode `nchf`: statuses and subscriptions, the queue, and the profiles (re-authorisation's period). */
export interface SpendingLimitCarrierConfig {
  readonly realtimeTable: string;
  readonly profilesTable: string;
  readonly queueUrl: string;
}

export function spendingLimitCarrierConfigFromEnv(env: NodeJS.ProcessEnv): SpendingLimitCarrierConfig {
  const raw = parseEnvironment(
    z.object({ ...tables, [ENV.profilesTable]: requiredVariable(ENV.profilesTable), [ENV.sbiNotificationQueueUrl]: requiredVariable(ENV.sbiNotificationQueueUrl) }),
    env,
  );
  return { realtimeTable: raw[ENV.realtimeTable], profilesTable: raw[ENV.profilesTable], queueUrl: raw[ENV.sbiNotificationQueueUrl] };
}
