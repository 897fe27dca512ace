/**
 * "Report line failure" / "Report notification failure": after the last retry, an ops alert and a failure
 * audit entry; the state machine then fails the execution (line) or flags it (notification).
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { createDynamoClient, documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.js';
import { logger, maskSubscriber, observed, type LambdaHandler } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import { withTransientErrors } from '../../shared/adapters/aws-faults.js';
import { reportFailureConfigFromEnv } from '../../shared/policy/config.js';
import { parseTaskInput, reportFailureInputSchema } from '../../shared/policy/payloads.js';
import { reportFailure, type ReportFailureDeps } from '../../shared/policy/report-failure.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { tracer, traced } from '../../shared/tracing.js';

export type PolicyReportFailureDeps = ReportFailureDeps;

export function createHandler(deps: PolicyReportFailureDeps): (event: unknown) => Promise<'FAILED'> {
  return async (event: unknown) => {
    const input = parseTaskInput(reportFailureInputSchema, event, 'policy-report-failure');
    const origin = input.failure === 'line' ? input.request : input.message;
    logger.error('policy action failed', { subscriber: maskSubscriber(origin.subscriberId), failure: input.failure, error: input.error.Error });
    return withTransientErrors(() => reportFailure(input, deps));
  };
}

let production: ((event: unknown) => Promise<'FAILED'>) | undefined;

function productionHandler(): (event: unknown) => Promise<'FAILED'> {
  const config = reportFailureConfigFromEnv(process.env);
  return createHandler({
    notifier: new SnsNotifier({ client: tracer.captureAWSv3Client(new SNSClient({})), opsTopicArn: config.opsTopicArn }),
    audit: new DynamoAuditLog({ client: documentClientOf(tracer.captureAWSv3Client(createDynamoClient())), tableName: config.auditTable }),
    clock: systemClock,
  });
}

export const handler: LambdaHandler<unknown, 'FAILED'> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    production ??= productionHandler();
    return production(event);
  }),
);
