import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { cdkFeatureFlags } from '../../infra/cdk-context.js';
import { CONFIG_CONTEXT_KEY, parseDeploymentConfig, type DeploymentConfig } from '../../infra/config.js';
import { SpendcapStack } from '../../infra/spendcap-stack.js';

/** Temporary cloud assembly folders, removed by `removeOutdirs` (afterAll). */
const outdirs: string[] = [];

export function newOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spendcap-infra-test-'));
  outdirs.push(dir);
  return dir;
}

export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * An app with cdk.json's feature flags (the template the CLI would deploy) that writes to a temporary folder
 * and skips bundling (no esbuild run per test).
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ outdir: newOutdir(), context: { ...cdkFeatureFlags({ quiet: true }), 'aws:cdk:bundling-stacks': [], ...context } });
}

/** The `spendcap` context of the repository's cdk.json: what `npm run synth` deploys by default. */
export function cdkJsonConfig(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context[CONFIG_CONTEXT_KEY] as Record<string, unknown>;
}

/** A SpendcapStack from cdk.json's configuration with `overrides` merged at the top level. */
export function buildStack(overrides: Record<string, unknown> = {}, app: App = testApp()): { app: App; stack: SpendcapStack; config: DeploymentConfig } {
  const config = parseDeploymentConfig({ ...cdkJsonConfig(), ...overrides });
  const stack = new SpendcapStack(app, config.stackName, { config });
  return { app, stack, config };
}

export function logicalIdOf(construct: IConstruct): string {
  const child = construct.node.defaultChild ?? construct;
  return Stack.of(construct).getLogicalId(child as never);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the identity policies attached to a role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const statements: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const roles = (policy.Properties.Roles ?? []) as Array<{ Ref?: string }>;
    if (roles.some((r) => r.Ref === roleLogicalId)) {
      statements.push(...(policy.Properties.PolicyDocument.Statement as Statement[]));
    }
  }
  return statements;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  if (statement.Resource === undefined) return [];
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** True when the statement's resources mention the logical id (Ref / GetAtt, alone or inside a Join). */
export function mentions(statement: Statement, logicalId: string): boolean {
  return JSON.stringify(resourcesOf(statement)).includes(`"${logicalId}"`);
}
