/**
 * Redrive of the quarantine, invoked by an operator (`npm run redrive`, or `aws lambda invoke`) once the
 * cause of the rejections is fixed. A dry run unless `dryRun: false` is asked for: the first answer is
 * always what would happen.
 */
import * as z from 'zod';
import { REDRIVE_METRICS } from '../../shared/config/metric-names.js';
import { formatIssues } from '../../shared/domain/validation.js';
import { logger, metrics, MetricUnit, observed, type LambdaHandler } from '../../shared/observability.js';
import { redriveQuarantine, type RedriveDeps, type RedriveReport } from '../../shared/redrive/redrive-quarantine.js';
import { traced } from '../../shared/tracing.js';
import { redriveConfigFromEnv } from './config.js';
import { productionDeps } from './production.js';

/** What the operator asks for; every key optional, a dry run of 100 messages by default. */
export const redriveRequestSchema = z.strictObject({
  dryRun: z.boolean({ error: 'must be true or false' }).default(true),
  max: z.number({ error: 'must be an integer from 1 to 10000' }).int().min(1).max(10_000).default(100),
  reasonContains: z.string({ error: 'must be a string' }).min(1).max(200).optional(),
});

export type RedriveHandler = (event: unknown) => Promise<RedriveReport>;

export function createHandler(deps: RedriveDeps): RedriveHandler {
  return async (event) => {
    const parsed = redriveRequestSchema.safeParse(event ?? {});
    if (!parsed.success) throw new Error(`redrive request: ${formatIssues(parsed.error)}`);
    const request = parsed.data;
    const report = await redriveQuarantine(
      { dryRun: request.dryRun, max: request.max, ...(request.reasonContains !== undefined && { reasonContains: request.reasonContains }) },
      deps,
    );
    if (request.dryRun) metrics.addMetric(REDRIVE_METRICS.assessed, MetricUnit.Count, report.read);
    else metrics.addMetric(REDRIVE_METRICS.redriven, MetricUnit.Count, report.counts.redriven);
    logger.info('quarantine redrive', { dryRun: report.dryRun, read: report.read, counts: report.counts });
    return report;
  };
}

let production: RedriveHandler | undefined;

export const handler: LambdaHandler<unknown, RedriveReport> = observed(
  traced(async (event) => {
    production ??= createHandler(productionDeps(redriveConfigFromEnv(process.env)));
    return production(event);
  }),
);
