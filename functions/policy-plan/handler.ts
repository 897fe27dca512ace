/**
 * "Plan actions" of the policy workflow: PolicyRequest in, the plan (texts rendered, command, un-bar) out.
 */
import { documentClientOf, createDynamoClient } from '../../shared/adapters/dynamo-client.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { logger, maskSubscriber } from '../../shared/observability.js';
import { withTransientErrors } from '../../shared/policy/aws-errors.js';
import { planConfigFromEnv } from '../../shared/policy/config.js';
import { parseTaskInput, policyRequestSchema, type PolicyWorkflowPlan } from '../../shared/policy/payloads.js';
import { planPolicy, type PlanDeps } from '../../shared/policy/plan.js';

export type PolicyPlanDeps = PlanDeps;

export function createHandler(deps: PolicyPlanDeps): (event: unknown) => Promise<PolicyWorkflowPlan> {
  return async (event: unknown) => {
    const request = parseTaskInput(policyRequestSchema, event, 'policy-plan');
    const plan = await withTransientErrors(() => planPolicy(request, deps));
    logger.info('policy planned', {
      subscriber: maskSubscriber(request.subscriberId),
      kind: request.kind,
      period: request.period,
      command: plan.command?.command,
      notifications: plan.notifications.length,
      unbar: plan.unbar !== undefined,
      skipped: plan.skipped,
    });
    return plan;
  };
}

let production: ((event: unknown) => Promise<PolicyWorkflowPlan>) | undefined;

function productionHandler(): (event: unknown) => Promise<PolicyWorkflowPlan> {
  const config = planConfigFromEnv(process.env);
  const settings = settingsFromEnv(process.env);
  const client = documentClientOf(createDynamoClient());
  return createHandler({
    profiles: new DynamoProfileStore({ client, tableName: config.profilesTable }),
    bars: new DynamoBarStore({ client, tableName: config.usageTable }),
    settings,
    opsAddress: config.opsTopicArn,
  });
}

export const handler = async (event: unknown): Promise<PolicyWorkflowPlan> => {
  production ??= productionHandler();
  return production(event);
};
