/**
 * Every Lambda function spendcap can deploy, with the exact input of its bundle, for the bundle-size test
 * (test/infra/bundle-size.test.ts) and the start-up benchmark (bench/cold-start.ts).
 *
 * The list comes from the stack itself, synthesized (bundling skipped) with every optional part on: the
 * example deployment (deploy/example.json, which has a usage-file feed), the SES mailer and the real-time
 * path. So a function added to a construct is measured without anyone listing it here, and its `define`
 * (the feed mappings baked into the file-ingest bundle) is the one deployed.
 *
 * `node --import tsx test/support/lambda-bundles.ts` prints the list as JSON (the benchmark reads it from a
 * child process, which keeps aws-cdk-lib out of the process it measures in).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { build, type Metafile } from 'esbuild';
import { cdkFeatureFlags } from '../../infra/cdk-context.js';
import { esbuildOptionsOf, PROJECT_ROOT, type LambdaBundleInput } from '../../infra/bundling/lambda-bundle.js';
import { parseDeploymentConfig } from '../../infra/config.js';
import { SpendcapFunction } from '../../infra/constructs/spendcap-function.js';
import { SpendcapStack } from '../../infra/spendcap-stack.js';

export interface DeployedFunction {
  /** The folder under functions/ (one per handler). */
  readonly functionDir: string;
  readonly bundle: LambdaBundleInput;
  /**
   * The function's environment as deployed: plain strings, or CloudFormation references (`{ Ref }`,
   * `{ "Fn::GetAtt" }`) where the value is a resource's name or ARN known only at deployment.
   */
  readonly environment: Readonly<Record<string, unknown>>;
}

/** deploy/example.json with the optional functions switched on. */
export function everyFunctionConfig(): Record<string, unknown> {
  const example = JSON.parse(readFileSync(`${PROJECT_ROOT}deploy/example.json`, 'utf8')) as Record<string, unknown>;
  return {
    ...example,
    mailer: { enabled: true, fromAddress: 'caps@mvno.example.com' },
    ops: { emails: ['noc@mvno.example.org'] },
    realtime: {
      ...(example.realtime as Record<string, unknown>),
      enabled: true,
      certificateArn: 'arn:aws:acm:eu-west-3:123456789012:certificate/0b5e1a4e-0000-4000-8000-00000000000a',
      auth: { mode: 'mtls', trustStoreBucket: 'mvno-sbi-trust', trustStoreKey: 'ca/sbi-ca.pem' },
      ingressCidrs: ['10.20.0.0/16'],
    },
  };
}

/** Runs `use` on the stack with every optional part on (synthesized in a temporary folder, bundling skipped). */
export function withEveryFunctionStack<T>(use: (stack: SpendcapStack) => T): T {
  const outdir = mkdtempSync(join(tmpdir(), 'spendcap-bundles-'));
  try {
    const app = new App({ outdir, context: { ...cdkFeatureFlags({ quiet: true }), 'aws:cdk:bundling-stacks': [] } });
    const config = parseDeploymentConfig(everyFunctionConfig(), 'every function');
    const stack = new SpendcapStack(app, config.stackName, { config, env: { account: config.account ?? '123456789012', region: config.region ?? 'eu-west-3' } });
    return use(stack);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The SpendcapFunctions of `stack`, one entry per function folder and `define` (functions that share both,
 * such as two instances of one task, bundle identically).
 */
export function functionsOf(stack: Stack): DeployedFunction[] {
  const byKey = new Map<string, DeployedFunction>();
  for (const fn of stack.node.findAll().filter((c): c is SpendcapFunction => c instanceof SpendcapFunction)) {
    const key = `${fn.functionDir}\n${JSON.stringify(fn.bundle.define ?? {})}`;
    if (byKey.has(key)) continue;
    const resolved = stack.resolve((fn.node.defaultChild as CfnFunction).environment) as { variables?: Record<string, unknown> } | undefined;
    byKey.set(key, { functionDir: fn.functionDir, bundle: fn.bundle, environment: resolved?.variables ?? {} });
  }
  return [...byKey.values()].sort((a, b) => a.functionDir.localeCompare(b.functionDir));
}

/** The functions the stack with every optional part on deploys. */
export function deployedFunctions(): DeployedFunction[] {
  return withEveryFunctionStack(functionsOf);
}

/** The folders under functions/ that hold a handler: what the deployed list must cover. */
export function handlerFolders(): string[] {
  return readdirSync(`${PROJECT_ROOT}functions`, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(`${PROJECT_ROOT}functions/${d.name}`).includes('handler.ts'))
    .map((d) => d.name)
    .sort();
}

export interface BuiltBundle {
  /** Bytes of JavaScript (index.mjs), the source map excluded. */
  readonly jsBytes: number;
  readonly sourceMapBytes: number;
  /** The bundle's inputs (repository-relative paths) and what each adds to the output. */
  readonly inputs: Metafile['outputs'][string]['inputs'];
  /** Every input file with its imports, as esbuild's metafile gives them. */
  readonly metafile: Metafile;
}

/**
 * Bundles one function with esbuild's API and the deployed options (infra/bundling/lambda-bundle.ts), into
 * `outdir/index.mjs` (+ `.map`) when `outdir` is given, else in memory only.
 */
export async function bundleFunction(input: LambdaBundleInput, outdir?: string): Promise<BuiltBundle> {
  const result = await build({
    ...esbuildOptionsOf(input, join(outdir ?? join(tmpdir(), 'spendcap-bundle-in-memory'), 'index.mjs')),
    absWorkingDir: PROJECT_ROOT,
    write: outdir !== undefined,
    metafile: true,
    logLevel: 'error',
  });
  const metafile = result.metafile;
  const outputs = Object.entries(metafile.outputs);
  const js = outputs.find(([path]) => path.endsWith('.mjs'));
  const map = outputs.find(([path]) => path.endsWith('.mjs.map'));
  if (js === undefined) throw new Error(`esbuild wrote no index.mjs for ${input.entry}`);
  return { jsBytes: js[1].bytes, sourceMapBytes: map?.[1].bytes ?? 0, inputs: js[1].inputs, metafile };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.stdout.write(`${JSON.stringify(deployedFunctions())}\n`);
}
