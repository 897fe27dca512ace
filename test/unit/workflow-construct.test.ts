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
    tasks: { plan: fn('Plan'), notify: fn('Notify'), command: fn('Command'), scheduleUnbar: fn('Schedule'), reportFailure: fn('Report') },
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
    expect(definition).toMatchObject({ QueryLanguage: 'JSONPath', StartAt: POLICY_STATES.plan });
  });

  it('bars before it schedules the un-bar, and both before any message', () => {
    expect(state(POLICY_STATES.plan).Next).toBe(POLICY_STATES.commandNeeded);
    expect(state(POLICY_STATES.commandNeeded)).toMatchObject({ Choices: [{ Variable: '$.command', IsPresent: true, Next: POLICY_STATES.command }], Default: POLICY_STATES.unbarNeeded });
    expect(state(POLICY_STATES.command).Next).toBe(POLICY_STATES.unbarNeeded);
    expect(state(POLICY_STATES.unbarNeeded)).toMatchObject({ Choices: [{ Variable: '$.unbar', IsPresent: true, Next: POLICY_STATES.scheduleUnbar }], Default: POLICY_STATES.notifications });
    expect(state(POLICY_STATES.scheduleUnbar).Next).toBe(POLICY_STATES.notifications);
    expect(state(POLICY_STATES.notifications)).toMatchObject({ Type: 'Map', ItemsPath: '$.notifications', MaxConcurrency: 1, Next: POLICY_STATES.notificationsFailed });
  });

  it('retries carrier commands on transient errors only, with exponential backoff, full jitter and bounded attempts; then reports and fails', () => {
    const command = state(POLICY_STATES.command);

    expect(command.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining(['CarrierTransientError', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 6,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      }),
    ]);
    expect(JSON.stringify(command.Retry)).not.toContain('CarrierRejectedError');
    expect(command.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: POLICY_STATES.reportCarrierFailure }]);
    expect(state(POLICY_STATES.reportCarrierFailure).Next).toBe(POLICY_STATES.carrierFailed);
    expect(state(POLICY_STATES.carrierFailed)).toEqual({ Type: 'Fail', Error: 'CarrierCommandFailed', CausePath: '$.error.Cause' });
  });

  it('tasks get the function output itself (payloadResponseOnly), so the local runner and AWS see the same data', () => {
    for (const name of [POLICY_STATES.plan, POLICY_STATES.command, POLICY_STATES.scheduleUnbar, POLICY_STATES.reportCarrierFailure]) {
      expect(state(name).Resource).toMatch(/^arn:aws:lambda:/);
    }
    expect(state(POLICY_STATES.scheduleUnbar).Parameters).toEqual({ 'unbar.$': '$.unbar', 'stateMachineArn.$': '$$.StateMachine.Id' });
  });
});
