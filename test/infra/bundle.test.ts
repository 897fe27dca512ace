import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SpendcapFunction } from '../../infra/constructs/spendcap-function.js';
import { bundleFunction } from '../support/lambda-bundles.js';
import { newOutdir, removeOutdirs } from './helpers.js';

afterAll(removeOutdirs);

describe('SpendcapFunction bundling (the one test that runs esbuild)', () => {
  it('bundles the ingest handler as minified ESM with a source map, leaving the AWS SDK to the runtime', async () => {
    // Arrange
    // Asset metadata names the bundle's folder in the cloud assembly (the CLI sets this context itself).
    const app = new App({ outdir: newOutdir(), context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'BundleProbe');
    const ingest = new SpendcapFunction(stack, 'Ingest', {
      functionDir: 'ingest-events',
      description: 'bundle probe',
      settings: DEFAULT_SETTINGS,
      logRetention: RetentionDays.ONE_WEEK,
    });

    // Act
    const assembly = app.synth();

    // Assert
    const template = assembly.getStackByName('BundleProbe').template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }> };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.Handler).toBe('index.handler');
    const assetPath = fn?.Metadata?.['aws:asset:path'];
    const assetDir = assetPath === undefined ? join(assembly.directory, 'missing') : join(assembly.directory, assetPath);
    expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
    expect(code).toContain('sourceMappingURL=index.mjs.map');
    // The SDK stays an import of the runtime's copy, not bundled code.
    expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    expect(code).not.toContain('@aws-sdk/client-dynamodb/dist-cjs');
    // Minified: kilobytes per line (only template literals and legal comments keep their newlines).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1_000);
    // The bundle-size test and the benchmark build with esbuild's API from the same options: same bytes.
    const outdir = newOutdir();
    await bundleFunction(ingest.bundle, outdir);
    expect(readFileSync(join(outdir, 'index.mjs'), 'utf8') === code).toBe(true);
  }, 120_000);
});
