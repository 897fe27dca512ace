/**
 * Nchf_ConvergedCharging behind the load balancer (HTTP/2 to the SMF, ALB to Lambda): online data quota
 * for PDU sessions. Thin: the rules are in shared/charging.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { albHandlerOf, sbiLog, type SbiAlbHandler } from '../../shared/sbi/alb-handler.js';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoChargingStore } from '../../shared/adapters/dynamo-charging-store.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { KinesisUsagePublisher } from '../../shared/adapters/kinesis-usage-publisher.js';
import { chargingConfigFromEnv } from '../../shared/charging/config.js';
import { ConvergedCharging } from '../../shared/charging/converged-charging.js';
import { realtimeSettingsFromEnv, type SbiAuthMode } from '../../shared/config/realtime-settings.js';
import { CHARGING_SCOPE, chargingRoutes } from '../../shared/charging/routes.js';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { SBI_METRIC_PREFIXES } from '../../shared/config/metric-names.js';
import { observed, type LambdaHandler } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { sbiService } from '../../shared/sbi/service.js';
import { tracer, traced } from '../../shared/tracing.js';

export interface ChargingHandlerDeps {
  readonly charging: Pick<ConvergedCharging, 'create' | 'update' | 'release'>;
  readonly auth: SbiAuthMode;
}

export function createHandler(deps: ChargingHandlerDeps): SbiAlbHandler {
  return albHandlerOf(sbiService(chargingRoutes(deps.charging), { auth: deps.auth, scope: CHARGING_SCOPE, log: sbiLog }), SBI_METRIC_PREFIXES.charging);
}

let production: SbiAlbHandler | undefined;

function productionHandler(): SbiAlbHandler {
  const config = chargingConfigFromEnv(process.env);
  const settings = settingsFromEnv(process.env);
  const realtime = realtimeSettingsFromEnv(process.env, settings.selfCareUrl);
  const client = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  const charging = new ConvergedCharging({
    store: new DynamoChargingStore({ client, tableName: config.realtimeTable }),
    usage: new DynamoUsageStore({ client, tableName: config.usageTable }),
    profiles: new DynamoProfileStore({ client, tableName: config.profilesTable }),
    publisher: new KinesisUsagePublisher({ client: tracer.captureAWSv3Client(new KinesisClient({})), stream: { arn: config.streamArn } }),
    clock: systemClock,
    settings,
    quota: realtime.quota,
  });
  return createHandler({ charging, auth: realtime.auth });
}

export const handler: LambdaHandler<ALBEvent, ALBResult> = observed(
  traced(async (event) => {
    production ??= productionHandler();
    return production(event);
  }),
);
