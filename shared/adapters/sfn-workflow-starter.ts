/**
 * Starts the "apply cap policy" state machine, one execution per request, named by `executionNameOf`:
 * Step Functions refuses a second execution with the same name (ExecutionAlreadyExists) or returns the
 * running one, so starting twice (outbox recovery, concurrent invocations) still acts once.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { PolicyRequest } from '../domain/model.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import { keyedDigest, pseudonymOf } from '../privacy/pseudonym.js';

/**
 * Deterministic execution name (Step Functions: at most 80 characters of [A-Za-z0-9-_]):
 * `<kind>-<period>-<pseudonym>-<24 hex>`, at most 76 characters. The subscriber appears by its pseudonym
 * only (the id is often an IMSI, and names show in the console), so an execution can be matched to the
 * subscriber's log lines and alerts; the tail is a keyed digest of subscriber, period and crossing, unique
 * per request.
 */
export function executionNameOf(request: PolicyRequest): string {
  const kind = request.kind.replace(/[^A-Za-z0-9_-]/g, '');
  const digest = keyedDigest([request.subscriberId, request.period, request.crossingId], 24);
  return `${kind}-${request.period}-${pseudonymOf(request.subscriberId)}-${digest}`.slice(0, 80);
}

export class SfnWorkflowStarter implements PolicyWorkflowStarter {
  private readonly sfn: SFNClient;
  private readonly stateMachineArn: string;

  constructor(options: { readonly client: SFNClient; readonly stateMachineArn: string }) {
    this.sfn = options.client;
    this.stateMachineArn = options.stateMachineArn;
  }

  /** In order: a subscriber's welcome and warnings start before its cap command. */
  async start(requests: readonly PolicyRequest[]): Promise<void> {
    for (const request of requests) {
      try {
        await this.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: this.stateMachineArn,
            name: executionNameOf(request),
            input: JSON.stringify(request),
          }),
        );
      } catch (e: unknown) {
        if (e instanceof Error && e.name === 'ExecutionAlreadyExists') continue;
        throw e;
      }
    }
  }
}
