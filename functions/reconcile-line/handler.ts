/**
 * "Reconcile line": brings the subscriber's carrier bars in line with the caps (shared/policy/reconcile-line.ts):
 * schedules the lift of a bar before sending it, sends bar / un-bar commands once, records the bars.
 * The state machine ARN (the target of the lift schedules) comes in the input (`$$.StateMachine.Id`): as
 * configuration it would make the state machine and this function depend on each other.
 */
import * as z from 'zod';
import { withTransientErrors } from '../../shared/adapters/aws-faults.js';
import type { LineOutcome } from '../../shared/domain/caps.js';
import { logger, maskSubscriber, observed, type LambdaHandler } from '../../shared/observability.js';
import { reconcileConfigFromEnv } from '../../shared/policy/config.js';
import { parseTaskInput, policyRequestSchema } from '../../shared/policy/payloads.js';
import { reconcileLine } from '../../shared/policy/reconcile-line.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { traced } from '../../shared/tracing.js';
import { productionDeps, type ReconcileLineHandlerDeps } from './production.js';

export type { ReconcileLineHandlerDeps } from './production.js';

const inputSchema = z.object({ request: policyRequestSchema, stateMachineArn: z.string().min(1) });

export function createHandler(deps: ReconcileLineHandlerDeps): (event: unknown) => Promise<LineOutcome> {
  return async (event: unknown) => {
    const { request, stateMachineArn } = parseTaskInput(inputSchema, event, 'reconcile-line');
    const subscriber = maskSubscriber(request.subscriberId);
    try {
      const outcome = await withTransientErrors(() => reconcileLine(request, { ...deps, scheduler: deps.schedulerFor(stateMachineArn) }));
      logger.info('line reconciled', { subscriber, kind: request.kind, period: outcome.period, changes: outcome.buckets.map((b) => `${b.bucket}:${b.change}`) });
      return outcome;
    } catch (e: unknown) {
      logger.warn('line reconcile failed', { subscriber, kind: request.kind, error: e instanceof Error ? e.name : String(e) });
      throw e;
    }
  };
}

let production: ((event: unknown) => Promise<LineOutcome>) | undefined;

export const handler: LambdaHandler<unknown, LineOutcome> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    production ??= createHandler(productionDeps(reconcileConfigFromEnv(process.env)));
    return production(event);
  }),
);
