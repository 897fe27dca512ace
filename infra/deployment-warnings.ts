/**
 * Settings that are valid but unsafe, or still placeholders, in a deployment configuration. The zod schema
 * (infra/config.ts) refuses what cannot work; these can deploy, and then fail a subscriber quietly: a cap
 * message that quotes a URL that never resolves, alarms that reach nobody. They are shown as CDK warnings
 * at synth (`WARNING ... Acknowledge with 'Annotation::spendcap:opsEmailsEmpty'`); `cdk synth --strict`
 * turns them into errors. A warning accepted on purpose is acknowledged, with the reason, in the
 * configuration: `"acknowledgedWarnings": { "opsEmailsEmpty": "PagerDuty subscribes to the ops topic" }`.
 */
import { Annotations, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { DeploymentConfig } from './config.js';

/** Every warning by name: the keys `acknowledgedWarnings` accepts. */
export const DEPLOYMENT_WARNING_NAMES = [
  'selfCareUrlPlaceholder',
  'selfCareUrlNotHttps',
  'opsEmailsEmpty',
  'opsEmailsPlaceholder',
  'carrierEndpointPlaceholder',
  'mailerFromAddressPlaceholder',
  'ingestMaySkipRecords',
] as const;

export type DeploymentWarningName = (typeof DEPLOYMENT_WARNING_NAMES)[number];

export interface DeploymentWarning {
  /** `spendcap:<name>`: the annotation id. */
  readonly id: `spendcap:${DeploymentWarningName}`;
  readonly message: string;
}

/**
 * Top-level domains reserved so that they never resolve (RFC 2606, RFC 6761): the defaults of the
 * configuration use them on purpose, so that a deployment that forgot to set its own value shows it.
 */
const RESERVED_TLDS = ['invalid', 'test', 'example', 'localhost'];

function isReservedHost(host: string): boolean {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  const tld = labels[labels.length - 1] ?? '';
  return RESERVED_TLDS.includes(tld);
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function domainOfAddress(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** Every warning the configuration deserves, in a stable order. Pure: tests call it directly. */
export function deploymentWarningsOf(config: DeploymentConfig): DeploymentWarning[] {
  const warnings: DeploymentWarning[] = [];
  const { selfCareUrl } = config.policy;
  const selfCareHost = hostOfUrl(selfCareUrl);
  if (selfCareHost !== undefined && isReservedHost(selfCareHost)) {
    warnings.push({
      id: 'spendcap:selfCareUrlPlaceholder',
      message: `policy.selfCareUrl is a placeholder (${selfCareUrl}): cap messages would send subscribers to an address that never resolves. Set it to your self-care page.`,
    });
  } else if (selfCareUrl.startsWith('http:')) {
    warnings.push({
      id: 'spendcap:selfCareUrlNotHttps',
      message: 'policy.selfCareUrl is a plain http:// URL: cap messages would send subscribers to a page anyone on the path can alter. Use https://.',
    });
  }
  if (config.ops.emails.length === 0) {
    warnings.push({
      id: 'spendcap:opsEmailsEmpty',
      message:
        'ops.emails is empty: alarms, bill-shock alerts and failed bars reach no one by e-mail. Add the on-call addresses, or subscribe your paging tool to the OpsTopicArn output and acknowledge the warning in the configuration (acknowledgedWarnings.opsEmailsEmpty).',
    });
  }
  const placeholderOps = config.ops.emails.filter((address) => isReservedHost(domainOfAddress(address)));
  if (placeholderOps.length > 0) {
    warnings.push({
      id: 'spendcap:opsEmailsPlaceholder',
      message: `ops.emails holds ${placeholderOps.length} address(es) at a reserved domain that receives no mail (${placeholderOps.join(', ')}): alarms would reach no one.`,
    });
  }
  if (config.carrier.mode === 'https') {
    const host = hostOfUrl(config.carrier.endpointUrl);
    if (host !== undefined && isReservedHost(host)) {
      warnings.push({
        id: 'spendcap:carrierEndpointPlaceholder',
        message: `carrier.endpointUrl is a placeholder (${host}): no bar or un-bar would reach the host operator.`,
      });
    }
  }
  if (config.mailer.enabled && config.mailer.fromAddress !== undefined && isReservedHost(domainOfAddress(config.mailer.fromAddress))) {
    warnings.push({
      id: 'spendcap:mailerFromAddressPlaceholder',
      message: `mailer.fromAddress is at a reserved domain (${config.mailer.fromAddress}) that SES cannot verify: no e-mail would leave.`,
    });
  }
  const streamRetentionSeconds = config.stream.retentionHours * 3_600;
  const recordAgeBound = Math.min(streamRetentionSeconds, 604_800);
  if (config.ingest.retryAttempts < 10_000 || config.ingest.maxRecordAgeSeconds < recordAgeBound) {
    warnings.push({
      id: 'spendcap:ingestMaySkipRecords',
      message:
        `ingest.retryAttempts (${config.ingest.retryAttempts}) or ingest.maxRecordAgeSeconds (${config.ingest.maxRecordAgeSeconds}) is below its safe bound ` +
        `(10000 and ${recordAgeBound}, the stream's retention up to Lambda's 7 days): during an outage Lambda would skip batches, and skipped records are a silent under-count (docs/architecture.md). ` +
        'Keep the bounds unless you alarm on the failed-batch queue and re-drive it by hand.',
    });
  }
  return warnings;
}

/**
 * Shows every warning of the configuration on `scope` (the stack), as `cdk synth` prints them, except
 * those the configuration acknowledges: their reason is recorded in the cloud assembly instead.
 */
export function addDeploymentWarnings(scope: IConstruct, config: DeploymentConfig): void {
  for (const warning of deploymentWarningsOf(config)) {
    Annotations.of(scope).addWarningV2(warning.id, warning.message);
    const name = warning.id.slice('spendcap:'.length) as DeploymentWarningName;
    const reason = config.acknowledgedWarnings[name];
    if (reason !== undefined) Validations.of(scope).acknowledge({ id: `Annotation::${warning.id}`, reason });
  }
}
