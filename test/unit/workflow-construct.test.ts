import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_STATES, PolicyWorkflow } from '../../infra/constructs/policy-workflow.js';
import { resolveTokens } from '../../local/policy-definition.js';

/** A stack with only the workflow; the task functions are inline stand-ins (this test is about the state machine). */
let outdir: string;
let template: Template;
let definition: { States: Record<string, Record<string, unknown>>; StartAt: string };

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'spendcap-workflow-construct-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'WorkflowOnly');
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => null') });
  new PolicyWorkflow(stack, 'Policy', {
    tasks: { reconcile: fn('Reconcile'), plan: fn('Plan'), notify: fn('Notify'), reportFailure: fn('Report') },
    logRetention: logs.RetentionDays.THREE_MONTHS,
  });
  template = Template.fromStack(stack);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  definition = JSON.parse(resolveTokens((machine as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString)) as typeof definition;
  // CDK synthesis: seconds on a loaded machine.
}, 60_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

function state(name: string): Record<string, unknown> {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
}

describe('PolicyWorkflow', () => {
  it('is a Standard, JSONPath state machine with X-Ray tracing and ALL-level logs that leave execution data out', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90, LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/') });
    expect(definition).toMatchObject({ QueryLanguage: 'JSONPath', StartAt: POLICY_STATES.lineNeeded });
  });

  it('reconciles the line first for the requests that can change a bar, and only those; messages come after', () => {
    const choice = state(POLICY_STATES.lineNeeded) as { Choices: Array<{ Or: Array<{ Variable: string; StringEquals: string }>; Next: string }>; Default: string };
    expect(choice.Choices).toHaveLength(1);
    expect(choice.Choices[0]?.Next).toBe(POLICY_STATES.reconcile);
    expect(choice.Choices[0]?.Or.map((c) => [c.Variable, c.StringEquals])).toEqual([
      ['$.kind', 'ROAMING_CAP_REACHED'],
      ['$.kind', 'OVERAGE_CAP_REACHED'],
      ['$.kind', 'CAP_RESET'],
      ['$.kind', 'CAPS_CHANGED'],
    ]);
    expect(choice.Default).toBe(POLICY_STATES.noLineChange);
    expect(state(POLICY_STATES.noLineChange)).toMatchObject({ Type: 'Pass', ResultPath: '$.line', Next: POLICY_STATES.plan });
    expect(state(POLICY_STATES.reconcile)).toMatchObject({ ResultPath: '$.line', Next: POLICY_STATES.plan });
    expect(state(POLICY_STATES.plan)).toMatchObject({ ResultPath: '$.plan', Next: POLICY_STATES.notifications });
    expect(state(POLICY_STATES.notifications)).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.notifications', MaxConcurrency: 1, Next: POLICY_STATES.notificationsFailed });
  });

  it('retries a reconcile on transient errors and a busy line only, with exponential backoff, full jitter and bounded attempts; then reports and fails', () => {
    const reconcile = state(POLICY_STATES.reconcile);

    expect(reconcile.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining(['CarrierTransientError', 'LineBusyError', 'PolicyTransientError', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 8,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      }),
    ]);
    expect(JSON.stringify(reconcile.Retry)).not.toContain('CarrierRejectedError');
    expect(reconcile.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: POLICY_STATES.reportLineFailure }]);
    expect(state(POLICY_STATES.reportLineFailure).Next).toBe(POLICY_STATES.lineFailed);
    expect(state(POLICY_STATES.reportLineFailure).Parameters).toMatchObject({ failure: 'line', 'request.$': '$$.Execution.Input', 'error.$': '$.error' });
    expect(state(POLICY_STATES.lineFailed)).toEqual({ Type: 'Fail', Error: 'LineReconcileFailed', CausePath: '$.error.Cause' });
  });

  it('tasks get the function output itself (payloadResponseOnly), so the local runner and AWS see the same data', () => {
    for (const name of [POLICY_STATES.reconcile, POLICY_STATES.plan, POLICY_STATES.reportLineFailure]) {
      expect(state(name).Resource).toMatch(/^arn:aws:lambda:/);
    }
    expect(state(POLICY_STATES.reconcile).Parameters).toEqual({ 'request.$': '$', 'stateMachineArn.$': '$$.StateMachine.Id' });
  });
});
