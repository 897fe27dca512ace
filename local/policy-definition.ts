/**
 * The policy state machine's definition, synthesized from the real CDK stack (infra/spendcap-stack.ts),
 * never a hand-kept copy: what runs locally is what CloudFormation would deploy. The Task resources are
 * CloudFormation tokens (Fn::GetAtt of the functions); they become placeholder ARNs here, since every
 * Task is bound to its local handler anyway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { cdkFeatureFlags } from '../infra/cdk-context.js';
import { parseDeploymentConfig } from '../infra/config.js';
import { SpendcapStack } from '../infra/spendcap-stack.js';

/** The Amazon States Language document (JSON), as aws-local-stepfunctions takes it. */
export type StateMachineDefinitionJson = {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
};

export const PLACEHOLDER_REGION = 'eu-west-3';
export const PLACEHOLDER_ACCOUNT = '123456789012';

export interface PolicyDefinitionOptions {
  /** Deployment configuration input (infra/config.ts); default: every default. */
  readonly config?: unknown;
}

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': PLACEHOLDER_REGION,
  'AWS::AccountId': PLACEHOLDER_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Spendcap',
};

/** Placeholder of a resource attribute: a Lambda-shaped ARN named after the logical id (valid for the local validator). */
function placeholderOf(logicalId: string, attribute: string): string {
  return attribute === 'Arn' || attribute === ''
    ? `arn:aws:lambda:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT}:function:${logicalId}`
    : `${logicalId}.${attribute}`;
}

/** Resolves the intrinsic functions CDK puts in a DefinitionString: Fn::Join, Ref, Fn::GetAtt. */
export function resolveTokens(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) throw new Error(`definition: unexpected token ${JSON.stringify(value)}`);
  const token = value as Record<string, unknown>;
  if ('Fn::Join' in token) {
    const [separator, parts] = token['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveTokens).join(separator);
  }
  if ('Ref' in token) {
    const name = String(token.Ref);
    return PSEUDO_PARAMETERS[name] ?? placeholderOf(name, '');
  }
  if ('Fn::GetAtt' in token) {
    const [logicalId, attribute] = token['Fn::GetAtt'] as [string, string];
    return placeholderOf(logicalId, attribute);
  }
  throw new Error(`definition: unsupported intrinsic ${Object.keys(token).join(', ')}`);
}

/**
 * Synthesizes SpendcapStack (bundling skipped, in a temporary cloud assembly removed afterwards) and returns
 * the policy state machine's definition with placeholder ARNs. Takes a few seconds (CDK synthesis): use
 * `loadPolicyDefinition` for the cached one.
 */
export function synthesizePolicyDefinition(options: PolicyDefinitionOptions = {}): StateMachineDefinitionJson {
  const outdir = mkdtempSync(join(tmpdir(), 'spendcap-policy-definition-'));
  try {
    // cdk.json's feature flags: the definition that runs locally is the one `cdk deploy` would deploy.
    const app = new App({ outdir, context: { ...cdkFeatureFlags({ quiet: true }), 'aws:cdk:bundling-stacks': [] } });
    const config = parseDeploymentConfig(options.config ?? {});
    const stack = new SpendcapStack(app, config.stackName, { config });
    const logicalId = stack.getLogicalId(stack.workflow.stateMachine.node.defaultChild as CfnStateMachine);
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Type: string; Properties: { DefinitionString?: unknown } }>;
    };
    const resource = template.Resources[logicalId];
    if (resource?.Type !== 'AWS::StepFunctions::StateMachine' || resource.Properties.DefinitionString === undefined) {
      throw new Error(`definition: state machine ${logicalId} not found in the synthesized template`);
    }
    return JSON.parse(resolveTokens(resource.Properties.DefinitionString)) as StateMachineDefinitionJson;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

let cached: StateMachineDefinitionJson | undefined;

/** The default deployment's definition, synthesized once per process. */
export function loadPolicyDefinition(): StateMachineDefinitionJson {
  cached ??= synthesizePolicyDefinition();
  return cached;
}
