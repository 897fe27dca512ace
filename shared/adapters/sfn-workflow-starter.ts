/**
 * Starts the "apply cap policy" state machine, one execution per request, named by `executionNameOf`:
 * Step Functions refuses a second execution with the same name (ExecutionAlreadyExists) or returns the
 * running one, so starting twice (outbox recovery, concurrent invocations) still acts once.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameOf, type PolicyRequest, type PolicyWorkflowStarter } from '../ports/policy-workflow.js';

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
