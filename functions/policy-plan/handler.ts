/**
 * "Plan notifications" of the policy workflow: the request and what reconciling the line did in, the
 * messages to send (texts rendered, recipients chosen) out.
 */
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { logger, maskSubscriber, observed, type LambdaHandler } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { withTransientErrors } from '../../shared/adapters/aws-faults.js';
import { planConfigFromEnv } from '../../shared/policy/config.js';
import { parseTaskInput, planInputSchema, type NotificationPlan } from '../../shared/policy/payloads.js';
import { planNotifications, type PlanDeps } from '../../shared/policy/plan.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { tracer, traced } from '../../shared/tracing.js';

export type PolicyPlanDeps = PlanDeps;

export function createHandler(deps: PolicyPlanDeps): (event: unknown) => Promise<NotificationPlan> {
  return async (event: unknown) => {
    const input = parseTaskInput(planInputSchema, event, 'policy-plan');
    const plan = await withTransientErrors(() => planNotifications(input, deps));
    logger.info('notifications planned', {
      subscriber: maskSubscriber(input.subscriberId),
      kind: input.kind,
      period: input.period,
      notifications: plan.notifications.length,
      skipped: plan.skipped,
    });
    return plan;
  };
}

let production: ((event: unknown) => Promise<NotificationPlan>) | undefined;

function productionHandler(): (event: unknown) => Promise<NotificationPlan> {
  const config = planConfigFromEnv(process.env);
  const client = documentClientOf(tracer.captureAWSv3Client(createDynamoClient()));
  return createHandler({
    profiles: new DynamoProfileStore({ client, tableName: config.profilesTable }),
    usage: new DynamoUsageStore({ client, tableName: config.usageTable }),
    settings: settingsFromEnv(process.env),
    opsAddress: config.opsTopicArn,
    clock: systemClock,
  });
}

export const handler: LambdaHandler<unknown, NotificationPlan> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    production ??= productionHandler();
    return production(event);
  }),
);
