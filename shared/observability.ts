/**
 * Structured logs and metrics (EMF) through Powertools, one module with the service name so that every
 * function reports under the same service and namespace. The tracer is in shared/tracing.ts: it brings the
 * X-Ray SDK, which only the functions that trace their AWS SDK calls should load.
 *
 * No personal data in logs or metrics: subscriber ids are often IMSIs, so log the subscriber's pseudonym
 * (`pseudonymOf(id)`, shared/privacy/pseudonym.ts), never the id, MSISDN or e-mail.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OBSERVABILITY } from './config/env-names.js';
import { pseudonymOf } from './privacy/pseudonym.js';

export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME ?? OBSERVABILITY.serviceName;
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? OBSERVABILITY.metricsNamespace;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });

export { MetricUnit };

/**
 * The subscriber's pseudonym, for log lines: the same token as in alerts, execution and schedule names
 * (a keyed HMAC, see shared/privacy/pseudonym.ts), so that one can be matched to the other.
 */
export function maskSubscriber(subscriberId: string): string {
  return pseudonymOf(subscriberId);
}
