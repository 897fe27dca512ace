/**
 * "Send carrier command": bar or un-bar through the host network once, then record the bar in force.
 * Carrier errors are rethrown with their names: the state machine's Retry/Catch act on them.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { EventBridgeCarrier } from '../../shared/adapters/eventbridge-carrier.js';
import { HttpsCarrier } from '../../shared/adapters/https-carrier.js';
import { spendingLimitCarrierFromEnv } from '../../shared/adapters/spending-limit-carrier-env.js';
import { logger, maskSubscriber } from '../../shared/observability.js';
import type { CarrierGateway } from '../../shared/ports/carrier-gateway.js';
import { systemClock } from '../../shared/ports/clock.js';
import { sendPlannedCommand, type CarrierCommandDeps } from '../../shared/policy/carrier-command.js';
import { withTransientErrors } from '../../shared/policy/aws-errors.js';
import { carrierConfigFromEnv } from '../../shared/policy/config.js';
import { parseTaskInput, plannedCommandSchema, type CommandOutcome } from '../../shared/policy/payloads.js';

export type CarrierCommandHandlerDeps = CarrierCommandDeps;

export function createHandler(deps: CarrierCommandHandlerDeps): (event: unknown) => Promise<CommandOutcome> {
  return async (event: unknown) => {
    const planned = parseTaskInput(plannedCommandSchema, event, 'carrier-command');
    const subscriber = maskSubscriber(planned.subscriberId);
    try {
      const outcome = await withTransientErrors(() => sendPlannedCommand(planned, deps));
      logger.info('carrier command', { subscriber, command: planned.command, outcome });
      return outcome;
    } catch (e: unknown) {
      logger.warn('carrier command failed', { subscriber, command: planned.command, error: e instanceof Error ? e.name : String(e) });
      throw e;
    }
  };
}

let production: ((event: unknown) => Promise<CommandOutcome>) | undefined;

function productionHandler(): (event: unknown) => Promise<CommandOutcome> {
  const config = carrierConfigFromEnv(process.env);
  const client = documentClientOf(createDynamoClient());
  const carrier: CarrierGateway =
    config.mode === 'eventbridge'
      ? new EventBridgeCarrier({ client: new EventBridgeClient({}), eventBusName: config.busName })
      : config.mode === 'nchf'
        ? spendingLimitCarrierFromEnv(process.env, client)
        : new HttpsCarrier({ endpointUrl: config.endpointUrl, secretsManager: new SecretsManagerClient({}), secretId: config.secretArn });
  return createHandler({
    carrier,
    bars: new DynamoBarStore({ client, tableName: config.usageTable }),
    audit: new DynamoAuditLog({ client, tableName: config.auditTable }),
    clock: systemClock,
  });
}

export const handler = async (event: unknown): Promise<CommandOutcome> => {
  production ??= productionHandler();
  return production(event);
};
