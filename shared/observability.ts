/**
 * Structured logs and metrics (EMF) through Powertools, one module with the service name so that every
 * function reports under the same service and namespace. The tracer is in shared/tracing.ts: it brings the
 * X-Ray SDK, which only the functions that trace their AWS SDK calls should load.
 *
 * No personal data in logs or metrics: subscriber ids are often IMSIs, so log the subscriber's pseudonym
 * (`pseudonymOf(id)`, shared/privacy/pseudonym.ts), never the id, MSISDN or e-mail.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OBSERVABILITY } from './config/env-names.js';
import { pseudonymOf } from './privacy/pseudonym.js';

export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME ?? OBSERVABILITY.serviceName;
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? OBSERVABILITY.metricsNamespace;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });

export { MetricUnit };

/** A Lambda entry point as the runtime calls it: the event and the invocation's context. */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * Every function's entry point goes through this: what Powertools' `injectLambdaContext` and `logMetrics`
 * middlewares do, with the same Powertools calls but without middy (a dependency in every bundle for three
 * calls):
 * - each log line of the invocation carries its request id, function name and cold start (`addContext`);
 * - a `ColdStart` metric on the first invocation of a container;
 * - the metrics the invocation stored are published when it ends, also when it throws: a batch that fails
 *   half-way still reports what it counted.
 * Two differences, on purpose: the event is never logged (POWERTOOLS_LOGGER_LOG_EVENT would log MSISDNs and
 * subscriber ids), and an invocation that stored no metric publishes nothing rather than log a warning.
 */
export function observed<E, R>(handler: LambdaHandler<E, R>): LambdaHandler<E, R> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric(context.functionName);
    try {
      return await handler(event, context);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/** The logger behind the use cases' log ports (`warn` / `error` with structured fields). */
export const useCaseLog = {
  warn: (message: string, extra: Record<string, unknown> = {}): void => logger.warn(message, extra),
  error: (message: string, extra: Record<string, unknown> = {}): void => logger.error(message, extra),
};

/** Adds one count per entry of `names`, the value of the same key in `values` (a use case's statistics). */
export function addCounts<K extends string>(names: Readonly<Record<K, string>>, values: Readonly<Record<NoInfer<K>, number>>): void {
  for (const key of Object.keys(names) as K[]) metrics.addMetric(names[key], MetricUnit.Count, values[key]);
}

/**
 * The subscriber's pseudonym, for log lines: the same token as in alerts, execution and schedule names
 * (a keyed HMAC, see shared/privacy/pseudonym.ts), so that one can be matched to the other.
 */
export function maskSubscriber(subscriberId: string): string {
  return pseudonymOf(subscriberId);
}
