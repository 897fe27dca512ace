/**
 * Every function's bundle, built with esbuild and the deployed options (infra/bundling/lambda-bundle.ts),
 * holds only what the function uses, stays within the size budget, and starts: loaded in a fresh Node.js
 * process as the Lambda runtime would, it builds its production handler from the deployed environment.
 * The list of functions comes from the stack with every optional part on (test/support/lambda-bundles.ts),
 * so a new function is measured too.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE_BUDGET_BYTES, SEMVER_STUB, PROJECT_ROOT } from '../../infra/bundling/lambda-bundle.js';
import { SpendcapFunction } from '../../infra/constructs/spendcap-function.js';
import { bundleFunction, functionsOf, handlerFolders, withEveryFunctionStack, type BuiltBundle, type DeployedFunction } from '../support/lambda-bundles.js';
import { deployedEnvironment, probeOf, runtimeEnvironment, startInFreshProcess } from '../support/lambda-start.js';

/** Inside node_modules, so that the bundles find the AWS SDK (left out of them, as in Lambda) by Node's resolution. */
const OUT = join(PROJECT_ROOT, 'node_modules', '.cache', 'spendcap-test', `bundles-${process.pid}`);

let functions: DeployedFunction[] = [];
/** Lambda functions of the stack that are not SpendcapFunctions (their bundles would escape these checks). */
let otherFunctions: string[] = [];
const bundles = new Map<string, BuiltBundle>();

beforeAll(async () => {
  withEveryFunctionStack((stack) => {
    functions = functionsOf(stack);
    otherFunctions = stack.node
      .findAll()
      .filter((c) => c instanceof CfnFunction && !(c.node.scope instanceof SpendcapFunction))
      .map((c) => c.node.path);
  });
  // esbuild runs the builds on its own threads: all at once is quicker than one after another.
  const built = await Promise.all(functions.map(async (fn) => [fn.functionDir, await bundleFunction(fn.bundle, join(OUT, fn.functionDir))] as const));
  for (const [dir, bundle] of built) bundles.set(dir, bundle);
}, 120_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

function bundleOf(functionDir: string): BuiltBundle {
  const bundle = bundles.get(functionDir);
  if (bundle === undefined) throw new Error(`no bundle for ${functionDir}`);
  return bundle;
}

function inputPaths(bundle: BuiltBundle): string[] {
  return Object.keys(bundle.inputs);
}

/** `functions/<dir>/handler.ts` for each folder, as the list in the describe titles below. */
const FOLDERS = handlerFolders();

describe('Lambda bundles', () => {
  it('cover every handler under functions/ (each one is deployed by some construct), and every function of the stack', () => {
    // Act
    const deployed = [...new Set(functions.map((f) => f.functionDir))].sort();

    // Assert
    expect(deployed).toEqual(FOLDERS);
    expect(otherFunctions).toEqual([]);
  });

  it.each(FOLDERS)('%s: at most 350 KB of JavaScript (source map excluded)', (dir) => {
    // Act
    const { jsBytes } = bundleOf(dir);

    // Assert
    expect(jsBytes, `${dir}: ${(jsBytes / 1024).toFixed(1)} KB`).toBeLessThanOrEqual(LAMBDA_BUNDLE_BUDGET_BYTES);
    expect(jsBytes).toBeGreaterThan(10_000);
  });

  it.each(FOLDERS)("%s: zod without its locales other than English (import zod as `import * as z from 'zod'`)", (dir) => {
    // Act
    const paths = inputPaths(bundleOf(dir));

    // Assert
    const locales = paths.filter((p) => /node_modules\/zod\/.*\/locales\//.test(p));
    expect(locales.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual(['en.js']);
  });

  it.each(FOLDERS)('%s: the X-Ray SDK if, and only if, the function traces its AWS SDK calls (shared/tracing.ts)', (dir) => {
    // Act
    const paths = inputPaths(bundleOf(dir));

    // Assert
    const traces = paths.includes('shared/tracing.ts');
    expect(paths.some((p) => p.includes('node_modules/aws-xray-sdk-core/'))).toBe(traces);
    expect(paths.some((p) => p.includes('node_modules/@aws-lambda-powertools/tracer/'))).toBe(traces);
  });

  it('traces AWS SDK calls in every function: each bundle has room for the X-Ray SDK (about 95 KB)', () => {
    // Act
    const tracing = FOLDERS.filter((dir) => inputPaths(bundleOf(dir)).includes('shared/tracing.ts'));

    // Assert: a new function traces too; the quarantine redrive as well, although an operator runs it only
    // now and then (a slow or failing redrive shows which request it waited on).
    expect(FOLDERS.length).toBeGreaterThan(10);
    expect(tracing).toEqual(FOLDERS);
  });

  it.each(FOLDERS)('%s: the semver stand-in is imported by the X-Ray SDK v2 patcher only, and the real semver never', (dir) => {
    // Arrange
    const stub = SEMVER_STUB.slice(PROJECT_ROOT.length);
    const { metafile } = bundleOf(dir);

    // Act
    const importers = Object.entries(metafile.inputs)
      .filter(([, file]) => file.imports.some((i) => i.path === stub))
      .map(([path]) => path.slice(path.indexOf('node_modules/') + 'node_modules/'.length));

    // Assert
    const traces = Object.keys(metafile.inputs).includes('shared/tracing.ts');
    expect(importers).toEqual(traces ? ['aws-xray-sdk-core/dist/lib/patchers/aws_p.js'] : []);
    expect(Object.keys(metafile.inputs).some((p) => p.includes('node_modules/semver/'))).toBe(false);
  });

  it.each(FOLDERS)('%s: the AWS SDK is left to the Lambda runtime', (dir) => {
    // Act
    const paths = inputPaths(bundleOf(dir));

    // Assert
    expect(paths.filter((p) => p.includes('node_modules/@aws-sdk/'))).toEqual([]);
  });
});

// Concurrent: each test waits on its own child process.
describe('Lambda bundles start', () => {
  it.concurrent.each(FOLDERS)('%s: loads in a fresh process with the deployed environment and builds its production handler, without AWS', async (dir) => {
    // Arrange
    const fn = functions.find((f) => f.functionDir === dir);
    if (fn === undefined) throw new Error(`${dir} is not deployed`);
    const awsSdk = Object.values(bundleOf(dir).metafile.outputs)
      .flatMap((o) => o.imports)
      .filter((i) => i.external === true && i.path.startsWith('@aws-sdk/'))
      .map((i) => i.path);
    const probe = probeOf(dir);

    // Act
    const started = await startInFreshProcess(join(OUT, dir, 'index.mjs'), [...new Set(awsSdk)], { ...deployedEnvironment(fn), ...runtimeEnvironment(dir) }, probe.event);

    // Assert
    expect(started.outcome).toMatch(probe.expected);
  }, 60_000);
});
