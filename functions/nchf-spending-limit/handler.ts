/**
 * Nchf_SpendingLimitControl behind the load balancer: PCF subscriptions to the caps' policy counters.
 * Thin: the rules are in shared/spending-limit.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoSpendingLimitStore } from '../../shared/adapters/dynamo-spending-limit-store.js';
import { SqsSbiNotificationQueue } from '../../shared/adapters/sqs-sbi-notification-queue.js';
import { spendingLimitConfigFromEnv } from '../../shared/charging/config.js';
import { realtimeSettingsFromEnv, type SbiAuthMode } from '../../shared/config/realtime-settings.js';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { SBI_METRIC_PREFIXES } from '../../shared/config/metric-names.js';
import { observed, type LambdaHandler } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { tracer, traced } from '../../shared/tracing.js';
import { DynamoSubscriberDirectory } from '../../shared/adapters/dynamo-subscriber-directory.js';
import { sbiService } from '../../shared/sbi/service.js';
import { SPENDING_LIMIT_SCOPE, spendingLimitRoutes } from '../../shared/spending-limit/routes.js';
import { SpendingLimitControl } from '../../shared/spending-limit/spending-limit-control.js';
import { albHandlerOf, sbiLog, type SbiAlbHandler } from '../../shared/sbi/alb-handler.js';

export interface SpendingLimitHandlerDeps {
  readonly control: Pick<SpendingLimitControl, 'subscribe' | 'modify' | 'unsubscribe'>;
  readonly auth: SbiAuthMode;
}

export function createHandler(deps: SpendingLimitHandlerDeps): SbiAlbHandler {
  return albHandlerOf(sbiService(spendingLimitRoutes(deps.control), { auth: deps.auth, scope: SPENDING_LIMIT_SCOPE, log: sbiLog }), SBI_METRIC_PREFIXES.spendingLimit);
}

let production: SbiAlbHandler | undefined;

function productionHandler(): SbiAlbHandler {
  const config = spendingLimitConfigFromEnv(process.env);
  const settings = settingsFromEnv(process.env);
  const realtime = realtimeSettingsFromEnv(process.env, settings.selfCareUrl);
  const client = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  const control = new SpendingLimitControl({
    store: new DynamoSpendingLimitStore({ client, tableName: config.realtimeTable }),
    profiles: new DynamoProfileStore({ client, tableName: config.profilesTable }),
    directory: new DynamoSubscriberDirectory({ client, tableName: config.profilesTable }),
    bars: new DynamoBarStore({ client, tableName: config.usageTable }),
    queue: new SqsSbiNotificationQueue({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: config.queueUrl }),
    clock: systemClock,
  });
  return createHandler({ control, auth: realtime.auth });
}

export const handler: LambdaHandler<ALBEvent, ALBResult> = observed(
  traced(async (event) => {
    production ??= productionHandler();
    return production(event);
  }),
);
