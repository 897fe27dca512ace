import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../infra/config.js';
import { deploymentWarningsOf, DEPLOYMENT_WARNING_NAMES } from '../../infra/deployment-warnings.js';
import { buildStack, cdkJsonConfig, removeOutdirs } from './helpers.js';

afterAll(removeOutdirs);

const ROOT = new URL('../../', import.meta.url);
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')) as Record<string, unknown>;
const example = readJson('deploy/example.json');

/** Dotted paths of every leaf (arrays and empty objects count as leaves: they are values, not keys). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix === '' ? key : `${prefix}.${key}`));
}

/** The backticked keys of the first column of docs/deploy.md's configuration table. */
function documentedKeys(): string[] {
  const doc = readFileSync(new URL('docs/deploy.md', ROOT), 'utf8');
  const table = doc.slice(doc.indexOf('| Key | Default | Meaning |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ''));
}

describe('deploy/example.json', () => {
  it('is a valid configuration for the same zod schema the CDK app uses', () => {
    // Act
    const config = parseDeploymentConfig(example, 'deploy/example.json');

    // Assert
    expect(config.account).toBe('123456789012');
    expect(config.mailer).toEqual({ enabled: false, fromAddress: 'caps@mvno.example.com' });
  });

  it('sets every key the configuration has (nothing left to a default the reader cannot see)', () => {
    // Arrange
    const parsed = parseDeploymentConfig(example);

    // Act
    const missing = leafPaths(parsed).filter((path) => !leafPaths(example).includes(path));

    // Assert
    expect(missing).toEqual([]);
  });

  it('has every key documented in the configuration table of docs/deploy.md', () => {
    // Arrange
    const documented = documentedKeys();

    // Act
    const undocumented = leafPaths(example).filter((path) => !documented.some((key) => path === key || path.startsWith(`${key}.`)));

    // Assert
    expect(documented.length).toBeGreaterThan(20);
    expect(undocumented).toEqual([]);
  });

  it('synthesizes without a single warning', () => {
    // Act
    const { stack } = buildStack(example);

    // Assert
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  it('has a staging companion that is valid too', () => {
    expect(() => parseDeploymentConfig(readJson('deploy/staging.example.json'), 'deploy/staging.example.json')).not.toThrow();
  });
});

describe('tags and termination protection', () => {
  it('tags the stack (CloudFormation copies stack tags onto every taggable resource) and protects it by default', () => {
    // Arrange
    const { app, stack } = buildStack({ tags: { application: 'spendcap', 'cost-center': 'mvno-ops' } });

    // Act
    const artifact = app.synth().getStackArtifact(stack.artifactId);

    // Assert
    expect(artifact.tags).toEqual({ application: 'spendcap', 'cost-center': 'mvno-ops' });
    expect(artifact.terminationProtection).toBe(true);
  });

  it('leaves termination protection off when the configuration says so (a staging stack torn down at will)', () => {
    const { app, stack } = buildStack({ terminationProtection: false });

    expect(app.synth().getStackArtifact(stack.artifactId).terminationProtection).toBe(false);
  });

  it.each([
    [{ tags: { 'aws:created-by': 'me' } }, 'spendcap.tags.aws:created-by: tag keys may not start with "aws:" (reserved)'],
    [{ tags: { team: 'x'.repeat(257) } }, 'spendcap.tags.team: must be a string of at most 256 characters'],
    [{ tags: { team: 'a#b' } }, 'spendcap.tags.team: tag values may hold letters, digits, spaces and _ . : / = + - @'],
    [{ terminationProtection: 'yes' }, 'spendcap.terminationProtection: must be true or false'],
    [{ mailer: { enabled: true } }, 'spendcap.mailer.fromAddress: required when enabled is true'],
    [{ acknowledgedWarnings: { opsEmailsEmpty: '' } }, 'spendcap.acknowledgedWarnings.opsEmailsEmpty: must say why the warning is accepted'],
    [{ acknowledgedWarnings: { noSuchWarning: 'because' } }, 'spendcap.acknowledgedWarnings.noSuchWarning'],
  ])('refuses %j naming the key at fault', (input, message) => {
    expect(() => parseDeploymentConfig({ ...cdkJsonConfig(), ...input })).toThrow(message);
  });
});

describe('synth-time warnings for unsafe or placeholder settings', () => {
  it("warns on the placeholders of cdk.json's default configuration: the .invalid self-care URL and no ops e-mail", () => {
    // Act
    const { stack } = buildStack();
    const annotations = Annotations.fromStack(stack);

    // Assert
    annotations.hasWarning(`/${stack.stackName}`, Match.stringLikeRegexp('policy\\.selfCareUrl is a placeholder \\(https://selfcare\\.example\\.invalid/caps\\)'));
    annotations.hasWarning(`/${stack.stackName}`, Match.stringLikeRegexp('ops\\.emails is empty'));
    expect(annotations.findWarning('*', Match.anyValue())).toHaveLength(2);
  });

  it.each([
    ['selfCareUrlNotHttps', { policy: { selfCareUrl: 'http://selfcare.mvno.example.com/caps' } }],
    ['opsEmailsPlaceholder', { ops: { emails: ['noc@mvno.example'] } }],
    ['carrierEndpointPlaceholder', { carrier: { mode: 'https', endpointUrl: 'https://provisioning.host.test/v1' } }],
    ['mailerFromAddressPlaceholder', { mailer: { enabled: true, fromAddress: 'caps@mvno.invalid' } }],
    ['ingestMaySkipRecords', { ingest: { retryAttempts: 3 } }],
    ['ingestMaySkipRecords', { stream: { capacityMode: 'onDemand', retentionHours: 72 } }],
  ])('warns %s for %j', (name, overrides) => {
    // Arrange
    const config = parseDeploymentConfig({ ...example, ...overrides });

    // Act
    const ids = deploymentWarningsOf(config).map((w) => w.id);

    // Assert
    expect(ids).toEqual([`spendcap:${name}`]);
  });

  it('names every warning it can raise in DEPLOYMENT_WARNING_NAMES (the keys acknowledgedWarnings accepts)', () => {
    // Arrange: a configuration that trips every check at once.
    const config = parseDeploymentConfig({
      ...example,
      policy: { selfCareUrl: 'https://selfcare.example.invalid/caps' },
      ops: { emails: [] },
      carrier: { mode: 'https', endpointUrl: 'https://provisioning.example/v1' },
      mailer: { enabled: true, fromAddress: 'caps@mvno.test' },
      ingest: { maxRecordAgeSeconds: 600 },
    });
    const unsafeHttp = parseDeploymentConfig({ ...example, policy: { selfCareUrl: 'http://selfcare.mvno.example.com' }, ops: { emails: ['noc@mvno.example'] } });

    // Act
    const names = [...deploymentWarningsOf(config), ...deploymentWarningsOf(unsafeHttp)].map((w) => w.id.replace('spendcap:', ''));

    // Assert
    expect(new Set(names)).toEqual(new Set(DEPLOYMENT_WARNING_NAMES));
  });

  it('drops a warning that the configuration acknowledges with a reason', () => {
    // Act
    const { stack } = buildStack({ acknowledgedWarnings: { opsEmailsEmpty: 'PagerDuty subscribes to the ops topic over HTTPS' } });
    const annotations = Annotations.fromStack(stack);

    // Assert
    annotations.hasNoWarning('*', Match.stringLikeRegexp('ops\\.emails is empty'));
    annotations.hasWarning('*', Match.stringLikeRegexp('policy\\.selfCareUrl is a placeholder'));
  });
});

describe('the CDK CLI on deploy/example.json', () => {
  it('synthesizes offline with no warning and no feature-flag notice', () => {
    // Arrange
    const outdir = mkdtempSync(join(tmpdir(), 'spendcap-cli-synth-'));
    try {
      // Act: the command docs/deploy.md gives (notices off: they would fetch from the network).
      const run = spawnSync(
        process.execPath,
        ['node_modules/aws-cdk/bin/cdk', 'synth', '--quiet', '--no-notices', '-c', 'spendcapConfigFile=deploy/example.json', '-o', outdir],
        { cwd: new URL('.', ROOT).pathname, encoding: 'utf8', timeout: 170_000, env: { ...process.env, CI: 'true' } },
      );
      const output = `${run.stdout}\n${run.stderr}`;

      // Assert
      expect(run.status, output).toBe(0);
      expect(output).not.toMatch(/feature flags? (is|are) not configured/);
      expect(output).not.toMatch(/WARNING|\[Warning/);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { properties?: { terminationProtection?: boolean } }> };
      expect(manifest.artifacts.Spendcap?.properties?.terminationProtection).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 180_000);
});
