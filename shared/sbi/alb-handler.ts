/**
 * The Lambda side of a service-based interface endpoint behind an Application Load Balancer: the load
 * balancer's event mapped to the service and back, with request, failure and latency metrics (EMF).
 */
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { SBI_METRIC_SUFFIXES, type SBI_METRIC_PREFIXES } from '../config/metric-names.js';
import { logger, metrics, MetricUnit } from '../observability.js';
import { albResultOf, requestOfAlbEvent, type SbiLog } from './http.js';
import type { SbiService } from './service.js';

export type SbiAlbHandler = (event: ALBEvent) => Promise<ALBResult>;

/** Unexpected failures, without the request (it may carry a SUPI). */
export const sbiLog: SbiLog = { error: (message, extra = {}) => logger.error(message, extra) };

/** The metrics are published by the entry point's wrapper (shared/observability.ts `observed`). */
export function albHandlerOf(service: SbiService, metricPrefix: (typeof SBI_METRIC_PREFIXES)[keyof typeof SBI_METRIC_PREFIXES]): SbiAlbHandler {
  return async (event) => {
    const started = Date.now();
    const response = await service(requestOfAlbEvent(event));
    metrics.addMetric(metricPrefix + SBI_METRIC_SUFFIXES.requests, MetricUnit.Count, 1);
    if (response.status >= 500) metrics.addMetric(metricPrefix + SBI_METRIC_SUFFIXES.failures, MetricUnit.Count, 1);
    metrics.addMetric(metricPrefix + SBI_METRIC_SUFFIXES.latencyMs, MetricUnit.Milliseconds, Date.now() - started);
    return albResultOf(response);
  };
}
