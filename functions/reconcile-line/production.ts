/**
 * What the deployed "reconcile line" task runs on: the stores of the usage and profiles tables, the
 * carrier gateway the deployment chose (EventBridge bus, HTTPS endpoint or the 5G core's PCF), the
 * scheduler of the lifts and the audit log.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { EventBridgeCarrier } from '../../shared/adapters/eventbridge-carrier.js';
import { HttpsCarrier } from '../../shared/adapters/https-carrier.js';
import { SchedulerUnbar } from '../../shared/adapters/scheduler-unbar.js';
import type { CarrierGateway } from '../../shared/ports/carrier-gateway.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { UnbarScheduler } from '../../shared/ports/unbar-scheduler.js';
import type { CarrierConfig, ReconcileConfig } from '../../shared/policy/config.js';
import type { ReconcileDeps } from '../../shared/policy/reconcile-line.js';
import { spendingLimitCarrierFromEnv } from '../../shared/spending-limit/config.js';
import { tracer } from '../../shared/tracing.js';

export interface ReconcileLineHandlerDeps extends Omit<ReconcileDeps, 'scheduler'> {
  /** The scheduler whose lifts start `stateMachineArn` (locally: the schedule outbox, whatever the ARN). */
  readonly schedulerFor: (stateMachineArn: string) => UnbarScheduler;
}

function carrierOf(config: CarrierConfig, client: DynamoDBDocumentClient): CarrierGateway {
  switch (config.mode) {
    case 'eventbridge':
      return new EventBridgeCarrier({ client: tracer.captureAWSv3Client(new EventBridgeClient({})), eventBusName: config.busName });
    case 'https':
      return new HttpsCarrier({ endpointUrl: config.endpointUrl, secretsManager: tracer.captureAWSv3Client(new SecretsManagerClient({})), secretId: config.secretArn });
    case 'nchf':
      return spendingLimitCarrierFromEnv(process.env, client, (sdkClient) => tracer.captureAWSv3Client(sdkClient));
  }
}

export function productionDeps(config: ReconcileConfig): ReconcileLineHandlerDeps {
  const client = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  const scheduler = tracer.captureAWSv3Client(new SchedulerClient({}));
  return {
    profiles: new DynamoProfileStore({ client, tableName: config.profilesTable }),
    usage: new DynamoUsageStore({ client, tableName: config.usageTable }),
    line: new DynamoBarStore({ client, tableName: config.usageTable }),
    carrier: carrierOf(config.carrier, client),
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
  };
}
