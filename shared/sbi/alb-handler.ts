/**
 * The Lambda side of a service-based interface endpoint behind an Application Load Balancer: the load
 * balancer's event mapped to the service and back, with request, failure and latency metrics (EMF).
 */
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { logger, metrics, MetricUnit } from '../observability.js';
import { albResultOf, requestOfAlbEvent, type SbiLog } from './http.js';
import type { SbiService } from './service.js';

export type SbiAlbHandler = (event: ALBEvent) => Promise<ALBResult>;

/** Unexpected failures, without the request (it may carry a SUPI). */
export const sbiLog: SbiLog = { error: (message, extra = {}) => logger.error(message, extra) };

export function albHandlerOf(service: SbiService, metricPrefix: string): SbiAlbHandler {
  return async (event) => {
    const started = Date.now();
    const response = await service(requestOfAlbEvent(event));
    metrics.addMetric(`${metricPrefix}Requests`, MetricUnit.Count, 1);
    if (response.status >= 500) metrics.addMetric(`${metricPrefix}Failures`, MetricUnit.Count, 1);
    metrics.addMetric(`${metricPrefix}LatencyMs`, MetricUnit.Milliseconds, Date.now() - started);
    metrics.publishStoredMetrics();
    return albResultOf(response);
  };
}
