/**
 * The periodic sweep (EventBridge schedule): starts the CAP_RESET of any bar still in force well after its
 * period ended (shared/policy/sweep-overdue-bars.ts). `OverdueBars` above zero raises an alarm: each one is
 * a lift schedule that did not do its job.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { SfnWorkflowStarter } from '../../shared/adapters/sfn-workflow-starter.js';
import { SWEEP_METRICS } from '../../shared/config/metric-names.js';
import { logger, metrics, MetricUnit, observed, type LambdaHandler } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { sweepConfigFromEnv } from '../../shared/policy/config.js';
import { sweepOverdueBars, type SweepDeps, type SweepResult } from '../../shared/policy/sweep-overdue-bars.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { tracer, traced } from '../../shared/tracing.js';

export function createHandler(deps: SweepDeps): () => Promise<SweepResult> {
  return async () => {
    const result = await sweepOverdueBars(deps);
    metrics.addMetric(SWEEP_METRICS.overdueBars, MetricUnit.Count, result.overdueBars);
    if (result.overdueBars > 0) logger.warn('overdue bars found, their lifts started again', { ...result });
    return result;
  };
}

let production: (() => Promise<SweepResult>) | undefined;

export const handler: LambdaHandler<unknown, SweepResult> = observed(
  traced(async () => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    if (production === undefined) {
      const config = sweepConfigFromEnv(process.env);
      production = createHandler({
        line: new DynamoBarStore({ client: documentClientOf(tracer.captureAWSv3Client(createDynamoClient())), tableName: config.usageTable }),
        workflows: new SfnWorkflowStarter({ client: tracer.captureAWSv3Client(new SFNClient({})), stateMachineArn: config.policyStateMachineArn }),
        clock: systemClock,
      });
    }
    return production();
  }),
);
