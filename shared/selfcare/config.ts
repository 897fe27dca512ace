/**
 * Configuration of the API functions (operator, self-care) and the inbound-sms function, parsed once at cold
 * start with zod (a missing variable fails with its name), and the production wiring of the use cases: the
 * SDK clients are created once per container and injected into the adapters.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../adapters/dynamo-bar-store.js';
import { createDynamoClient, documentClientOf } from '../adapters/dynamo-client.js';
import { DynamoProfileStore } from '../adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../adapters/dynamo-usage-store.js';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter.js';
import { SnsNotifier } from '../adapters/sns-notifier.js';
import { ENV } from '../config/env-names.js';
import { parseEnvironment, requiredVariable } from '../config/environment.js';
import type { PolicySettings } from '../domain/model.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Notifier } from '../ports/notifier.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import { DynamoProfileFields } from '../adapters/dynamo-profile-fields.js';
import { DynamoSubscriberDirectory } from '../adapters/dynamo-subscriber-directory.js';
import { SelfCare } from './use-cases.js';

export interface SelfCareConfig {
  readonly usageTable: string;
  readonly profilesTable: string;
  readonly auditTable: string;
  readonly policyStateMachineArn: string;
  /** Support's resend (operator function only): the e-mail topic, and the SMS sender ID when set. */
  readonly messages?: { readonly emailTopicArn: string; readonly smsSenderId?: string };
}

const configSchema = z.object({
  [ENV.usageTable]: requiredVariable(ENV.usageTable),
  [ENV.profilesTable]: requiredVariable(ENV.profilesTable),
  [ENV.auditTable]: requiredVariable(ENV.auditTable),
  [ENV.policyStateMachineArn]: requiredVariable(ENV.policyStateMachineArn),
});

const messagesSchema = z.object({
  [ENV.emailTopicArn]: requiredVariable(ENV.emailTopicArn),
  // Optional on purpose, as for the notify task: some destination countries refuse alphanumeric sender IDs.
  [ENV.smsSenderId]: z.string().optional(),
});

/** `messages`: the function sends messages itself (the operator API's resend), so the e-mail topic is required. */
export function selfCareConfigFromEnv(env: NodeJS.ProcessEnv, options: { readonly messages?: boolean } = {}): SelfCareConfig {
  const raw = parseEnvironment(configSchema, env);
  const config: SelfCareConfig = {
    usageTable: raw[ENV.usageTable],
    profilesTable: raw[ENV.profilesTable],
    auditTable: raw[ENV.auditTable],
    policyStateMachineArn: raw[ENV.policyStateMachineArn],
  };
  if (options.messages !== true) return config;
  const messages = parseEnvironment(messagesSchema, env);
  const sender = messages[ENV.smsSenderId];
  return {
    ...config,
    messages: { emailTopicArn: messages[ENV.emailTopicArn], ...(sender !== undefined && sender !== '' && { smsSenderId: sender }) },
  };
}

export interface DynamoSelfCareOptions {
  /** One document client for every table (created once per container). */
  readonly client: DynamoDBDocumentClient;
  readonly tables: { readonly usage: string; readonly profiles: string; readonly audit: string };
  /** Step Functions in AWS; the local workflow runner locally. */
  readonly workflow: PolicyWorkflowStarter;
  readonly clock: Clock;
  readonly settings: PolicySettings;
  /** Support's resend (the operator API); absent elsewhere. */
  readonly notifier?: Pick<Notifier, 'send'>;
}

/** The self-care use cases on the DynamoDB tables: what AWS runs, and what the local runtime mounts on dynalite. */
export function selfCareOnDynamo(options: DynamoSelfCareOptions): SelfCare {
  const { client, tables } = options;
  return new SelfCare({
    profiles: new DynamoProfileStore({ client, tableName: tables.profiles }),
    profileFields: new DynamoProfileFields({ client, tableName: tables.profiles }),
    directory: new DynamoSubscriberDirectory({ client, tableName: tables.profiles }),
    usage: new DynamoUsageStore({ client, tableName: tables.usage }),
    bars: new DynamoBarStore({ client, tableName: tables.usage }),
    audit: new DynamoAuditLog({ client, tableName: tables.audit }),
    workflow: options.workflow,
    clock: options.clock,
    settings: options.settings,
    ...(options.notifier !== undefined && { notifier: options.notifier }),
  });
}

/**
 * The production self-care use cases: DynamoDB adapters on one client, the Step Functions starter. The SDK
 * finds local endpoints through AWS_ENDPOINT_URL_<SERVICE>, so the same wiring serves the local runtime.
 * `traceClient` wraps each AWS SDK client (the function passes its tracer's `captureAWSv3Client`).
 */
export function productionSelfCare(
  config: SelfCareConfig,
  settings: PolicySettings,
  traceClient: <C extends object>(client: C) => C = (client) => client,
): SelfCare {
  return selfCareOnDynamo({
    client: documentClientOf(traceClient(createDynamoClient())),
    tables: { usage: config.usageTable, profiles: config.profilesTable, audit: config.auditTable },
    workflow: new SfnWorkflowStarter({ client: traceClient(new SFNClient({})), stateMachineArn: config.policyStateMachineArn }),
    clock: systemClock,
    settings,
    ...(config.messages !== undefined && {
      notifier: new SnsNotifier({
        client: traceClient(new SNSClient({})),
        emailTopicArn: config.messages.emailTopicArn,
        ...(config.messages.smsSenderId !== undefined && { smsSenderId: config.messages.smsSenderId }),
      }),
    }),
  });
}
