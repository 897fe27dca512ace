/**
 * Structured logs and metrics (EMF) through Powertools, one module with the service name so that every
 * function reports under the same service and namespace. The tracer is in shared/tracing.ts: it brings the
 * X-Ray SDK, which only the functions that trace their AWS SDK calls should load.
 *
 * No personal data in logs or metrics (invariant 6): subscriber ids are often IMSIs, so log
 * `maskSubscriber(id)`, never the id, MSISDN or e-mail.
 */
import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OBSERVABILITY } from './config/env-names.js';

export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME ?? OBSERVABILITY.serviceName;
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? OBSERVABILITY.metricsNamespace;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });

export { MetricUnit };

/**
 * A stable, non-reversible token for a subscriber id: the same subscriber always gets the same token,
 * so its log lines can be correlated, but the IMSI cannot be read back. 12 hex digits (48 bits) keep
 * collisions negligible at MVNO scale.
 */
export function maskSubscriber(subscriberId: string): string {
  return `sub-${createHash('sha256').update(`spendcap:${subscriberId}`).digest('hex').slice(0, 12)}`;
}
