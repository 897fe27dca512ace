/**
 * The context of the repository's cdk.json (feature flags and the default `spendcap` configuration). The
 * CDK CLI hands it to infra/app.ts; code that builds an App itself (tests, the local runner's synthesis of
 * the state machine definition) passes the feature flags from here, so that it synthesizes the template
 * the CLI would deploy and not one with every flag at its old default.
 */
import { readFileSync } from 'node:fs';
import { CONFIG_CONTEXT_KEY } from './config.js';

const CDK_JSON = new URL('../cdk.json', import.meta.url);
const ANNOTATIONS_IN_VALIDATION_REPORT = '@aws-cdk/core:annotationsInValidationReport';

/** cdk.json's `context` object. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * cdk.json's context without the deployment configuration: the feature flags (and CLI settings). With
 * `quiet`, construct warnings are left out of the policy validation report, which an App synthesized in
 * process prints to stderr (the placeholder warnings of the default configuration on every test or
 * local start); the flag changes how warnings are reported, never the template.
 */
export function cdkFeatureFlags(options: { readonly quiet?: boolean } = {}): Record<string, unknown> {
  const { [CONFIG_CONTEXT_KEY]: _configuration, ...flags } = cdkJsonContext();
  return options.quiet === true ? { ...flags, [ANNOTATIONS_IN_VALIDATION_REPORT]: false } : flags;
}
