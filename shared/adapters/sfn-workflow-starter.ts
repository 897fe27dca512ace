/**
 * Starts the "apply cap policy" state machine, one execution per request, named by `executionNameOf`:
 * Step Functions refuses a second execution with the same name (ExecutionAlreadyExists) or returns the
 * running one, so starting twice (outbox recovery, concurrent invocations) still acts once.
 */
import { createHash } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { PolicyRequest } from '../domain/model.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';

/**
 * Deterministic execution name (Step Functions: at most 80 characters of [A-Za-z0-9-_]). The subscriber id
 * (often an IMSI, personal data) is hashed so that it never appears in the console or in logs.
 */
export function executionNameOf(request: PolicyRequest): string {
  const digest = createHash('sha256')
    .update(`${request.subscriberId}\u0000${request.period}\u0000${request.crossingId}`)
    .digest('hex')
    .slice(0, 40);
  const kind = request.kind.replace(/[^A-Za-z0-9_-]/g, '');
  return `${kind}-${request.period}-${digest}`.slice(0, 80);
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
