/**
 * "Reconcile line": brings the subscriber's carrier bars in line with the caps (shared/policy/reconcile-line.ts):
 * schedules the lift of a bar before sending it, sends bar / un-bar commands once, records the bars.
 * The state machine ARN (the target of the lift schedules) comes in the input (`$$.StateMachine.Id`): as
 * configuration it would make the state machine and this function depend on each other.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { EventBridgeCarrier } from '../../shared/adapters/eventbridge-carrier.js';
import { HttpsCarrier } from '../../shared/adapters/https-carrier.js';
import { spendingLimitCarrierFromEnv } from '../../shared/spending-limit/config.js';
import { SchedulerUnbar } from '../../shared/adapters/scheduler-unbar.js';
import type { LineOutcome } from '../../shared/domain/caps.js';
import { logger, maskSubscriber } from '../../shared/observability.js';
import type { CarrierGateway } from '../../shared/ports/carrier-gateway.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { UnbarScheduler } from '../../shared/ports/unbar-scheduler.js';
import { withTransientErrors } from '../../shared/adapters/aws-faults.js';
import { reconcileConfigFromEnv, type CarrierConfig } from '../../shared/policy/config.js';
import { parseTaskInput, policyRequestSchema } from '../../shared/policy/payloads.js';
import { reconcileLine, type ReconcileDeps } from '../../shared/policy/reconcile-line.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';

export interface ReconcileLineHandlerDeps extends Omit<ReconcileDeps, 'scheduler'> {
  /** The scheduler whose lifts start `stateMachineArn` (locally: the schedule outbox, whatever the ARN). */
  readonly schedulerFor: (stateMachineArn: string) => UnbarScheduler;
}

const inputSchema = z.object({ request: policyRequestSchema, stateMachineArn: z.string().min(1) });

export function createHandler(deps: ReconcileLineHandlerDeps): (event: unknown) => Promise<LineOutcome> {
  return async (event: unknown) => {
    const { request, stateMachineArn } = parseTaskInput(inputSchema, event, 'reconcile-line');
    const subscriber = maskSubscriber(request.subscriberId);
    try {
      const outcome = await withTransientErrors(() => reconcileLine(request, { ...deps, scheduler: deps.schedulerFor(stateMachineArn) }));
      logger.info('line reconciled', { subscriber, kind: request.kind, period: outcome.period, changes: outcome.buckets.map((b) => `${b.bucket}:${b.change}`) });
      return outcome;
    } catch (e: unknown) {
      logger.warn('line reconcile failed', { subscriber, kind: request.kind, error: e instanceof Error ? e.name : String(e) });
      throw e;
    }
  };
}

function carrierOf(config: CarrierConfig, client: DynamoDBDocumentClient): CarrierGateway {
  switch (config.mode) {
    case 'eventbridge':
      return new EventBridgeCarrier({ client: new EventBridgeClient({}), eventBusName: config.busName });
    case 'https':
      return new HttpsCarrier({ endpointUrl: config.endpointUrl, secretsManager: new SecretsManagerClient({}), secretId: config.secretArn });
    case 'nchf':
      return spendingLimitCarrierFromEnv(process.env, client);
  }
}

let production: ((event: unknown) => Promise<LineOutcome>) | undefined;

function productionHandler(): (event: unknown) => Promise<LineOutcome> {
  const config = reconcileConfigFromEnv(process.env);
  const client = documentClientOf(createDynamoClient());
  const carrier = carrierOf(config.carrier, client);
  const scheduler = new SchedulerClient({});
  return createHandler({
    profiles: new DynamoProfileStore({ client, tableName: config.profilesTable }),
    usage: new DynamoUsageStore({ client, tableName: config.usageTable }),
    line: new DynamoBarStore({ client, tableName: config.usageTable }),
    carrier,
    schedulerFor: (stateMachineArn) =>
      new SchedulerUnbar({
        client: scheduler,
        groupName: config.schedulerGroupName,
        roleArn: config.schedulerRoleArn,
        stateMachineArn,
        ...(config.schedulerDeadLetterArn !== undefined && { deadLetterQueueArn: config.schedulerDeadLetterArn }),
      }),
    audit: new DynamoAuditLog({ client, tableName: config.auditTable }),
    clock: systemClock,
  });
}

export const handler = async (event: unknown): Promise<LineOutcome> => {
  // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
  await loadPseudonymKey();
  production ??= productionHandler();
  return production(event);
};
