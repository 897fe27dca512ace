/**
 * Bundle size and start-up cost of every Lambda function, now and at a reference revision, in one run.
 *
 * Each function deployed by the stack with every optional part on (test/support/lambda-bundles.ts, read in a
 * child process so that aws-cdk-lib stays out of this one) is bundled with esbuild and the deployed options
 * (infra/bundling/lambda-bundle.ts). The "before" bundles are built the same way from the sources of
 * BEFORE_REVISION (`git archive`), with the options of that revision, so both sides run on this machine and
 * this node_modules in the same run.
 *
 * Start-up: each bundle is loaded by a fresh Node.js process, with the function's deployed environment
 * (CloudFormation references replaced by plausible names and ARNs), the variables the Lambda runtime sets,
 * `NODE_OPTIONS=--enable-source-maps` as deployed, and every AWS endpoint pointed at a closed local port so
 * that nothing can reach AWS. The process measures:
 * - AWS SDK: importing the `@aws-sdk/*` modules the bundle imports (left out of the bundle, provided by the
 *   Lambda runtime; here from node_modules), first, so that the next figure is the bundle's own;
 * - bundle: `await import(bundle)`, i.e. reading, compiling and evaluating the bundle, with its source map;
 * - first invocation: the handler called once with a probe event that needs no AWS call (an empty batch, an
 *   unknown route, an invalid task input), which builds the lazily created production handler (config
 *   parsed with zod, SDK clients and adapters constructed) and answers or rejects the probe.
 * Node.js's own start-up is not counted (it is the same for every bundle). Runs alternate between the two
 * sides and the functions, and the medians are reported.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LAMBDA_BUNDLE_BUDGET_BYTES, PROJECT_ROOT, esbuildOptionsOf, type LambdaBundleInput } from '../infra/bundling/lambda-bundle.js';
import { bundleFunction, type DeployedFunction } from '../test/support/lambda-bundles.js';
import { deployedEnvironment, probeOf, runtimeEnvironment, startInFreshProcess } from '../test/support/lambda-start.js';
import { build, type Metafile } from 'esbuild';
import { percentile } from './stats.js';

/**
 * The reference the "before" figures are built from: main before the bundles were trimmed (zod imported as
 * `{ z }`, every locale bundled; the X-Ray SDK in every function; 608-712 KB per bundle).
 */
export const BEFORE_REVISION = 'af0132a97adc064806efd38fde09f9959cb531c3';

export interface ColdStartOptions {
  /** Fresh processes per function and side. */
  readonly runs: number;
  /** Build the "before" side from this revision (default BEFORE_REVISION); false: after only. */
  readonly beforeRevision?: string | false;
}

export interface SideFigures {
  /** Bytes of JavaScript (index.mjs), the source map excluded. */
  readonly jsBytes: number;
  readonly sourceMapBytes: number;
  /** The `@aws-sdk/*` packages the bundle imports (from the runtime in Lambda). */
  readonly awsSdkImports: readonly string[];
  /** Medians over the runs, ms: importing the AWS SDK packages, then the bundle itself, then the first call. */
  readonly awsSdkImportMs: number;
  readonly bundleImportMs: number;
  readonly firstInvocationMs: number;
  /**
   * The same two in CPU time of the process (all its threads), ms: steadier than wall time on a shared
   * machine, where another process may hold the core.
   */
  readonly bundleImportCpuMs: number;
  readonly firstInvocationCpuMs: number;
  /** Median of the three together per run, ms: the function's start-up before it answers. */
  readonly initMs: number;
  readonly awsSdkImportSamplesMs: readonly number[];
  readonly bundleImportSamplesMs: readonly number[];
  readonly firstInvocationSamplesMs: readonly number[];
  /** What the probe got back on the last run: `answered`, or the error the handler threw. */
  readonly probeOutcome: string;
}

export interface FunctionColdStart {
  readonly functionDir: string;
  /** The probe event, in words. */
  readonly probe: string;
  readonly after: SideFigures;
  /** Absent when the function did not exist at the reference revision, or the reference was skipped. */
  readonly before?: SideFigures;
}

export interface ColdStartFigures {
  readonly budgetBytes: number;
  readonly runs: number;
  readonly beforeRevision?: string;
  /** Why there is no "before" side, when there is none. */
  readonly beforeSkipped?: string;
  readonly functions: readonly FunctionColdStart[];
  readonly largestBundleBytes: { readonly after: number; readonly before?: number };
  readonly allWithinBudget: boolean;
  /** Medians of the per-function medians, ms: a typical function's start-up. */
  readonly medianBundleImportMs: { readonly after: number; readonly before?: number };
  readonly medianBundleImportCpuMs: { readonly after: number; readonly before?: number };
  readonly medianInitMs: { readonly after: number; readonly before?: number };
  readonly method: string;
}

/** The functions the stack deploys with every optional part on, from a child process (aws-cdk-lib stays out of this one). */
function listDeployedFunctions(): DeployedFunction[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/support/lambda-bundles.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as DeployedFunction[];
}

/** Extracts the functions and shared code of `revision` into `dir`; the reason when it cannot. */
function extractRevision(revision: string, dir: string): string | undefined {
  try {
    execFileSync('git', ['-C', PROJECT_ROOT, 'cat-file', '-e', `${revision}^{commit}`], { stdio: 'ignore' });
  } catch {
    return `revision ${revision} is not in this clone (a shallow clone, or a source archive)`;
  }
  execFileSync('sh', ['-c', `git -C "${PROJECT_ROOT}" archive --format=tar "${revision}" functions shared tsconfig.json | tar -x -C "${dir}"`]);
  return undefined;
}

/** The bundle of `functionDir` as the reference revision built it: its sources, its options (no alias then). */
async function bundleAtRevision(sourceRoot: string, fn: DeployedFunction, outdir: string): Promise<BundleSizes | undefined> {
  const entry = join(sourceRoot, 'functions', fn.functionDir, 'handler.ts');
  if (!existsSync(entry)) return undefined;
  const input: LambdaBundleInput = { entry, ...(fn.bundle.define !== undefined ? { define: fn.bundle.define } : {}) };
  const { alias: _alias, ...options } = esbuildOptionsOf(input, join(outdir, 'index.mjs'));
  const result = await build({ ...options, tsconfig: join(sourceRoot, 'tsconfig.json'), absWorkingDir: PROJECT_ROOT, write: true, metafile: true, logLevel: 'error' });
  return sizesOf(result.metafile);
}

interface BundleSizes {
  readonly jsBytes: number;
  readonly sourceMapBytes: number;
  readonly awsSdkImports: readonly string[];
}

function sizesOf(metafile: Metafile): BundleSizes {
  const outputs = Object.entries(metafile.outputs);
  const js = outputs.find(([p]) => p.endsWith('.mjs'))?.[1];
  return {
    jsBytes: js?.bytes ?? 0,
    sourceMapBytes: outputs.find(([p]) => p.endsWith('.mjs.map'))?.[1].bytes ?? 0,
    awsSdkImports: [...new Set((js?.imports ?? []).filter((i) => i.external === true && i.path.startsWith('@aws-sdk/')).map((i) => i.path))].sort(),
  };
}

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export async function runColdStartBenchmark(options: ColdStartOptions): Promise<ColdStartFigures> {
  const functions = listDeployedFunctions();
  // Inside node_modules so that the bundles find the AWS SDK (external, as in Lambda) by Node's resolution.
  const work = join(PROJECT_ROOT, 'node_modules', '.cache', 'spendcap-bench', `cold-start-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const revision = options.beforeRevision === false ? undefined : (options.beforeRevision ?? BEFORE_REVISION);
    let beforeSkipped: string | undefined = revision === undefined ? 'not asked' : undefined;
    const sourceRoot = join(work, 'before-src');
    if (revision !== undefined) {
      await mkdir(sourceRoot, { recursive: true });
      beforeSkipped = extractRevision(revision, sourceRoot);
    }

    interface Side {
      readonly dir: string;
      readonly sizes: BundleSizes;
      readonly sdkImports: number[];
      readonly bundleImports: number[];
      readonly bundleImportCpu: number[];
      readonly invocations: number[];
      readonly invocationCpu: number[];
      readonly inits: number[];
      outcome: string;
    }
    const sides: Array<{ fn: DeployedFunction; after: Side; before?: Side }> = [];
    for (const fn of functions) {
      const afterDir = join(work, 'after', fn.functionDir);
      const built = await bundleFunction(fn.bundle, afterDir);
      const after: Side = { dir: afterDir, sizes: sizesOf(built.metafile), sdkImports: [], bundleImports: [], bundleImportCpu: [], invocations: [], invocationCpu: [], inits: [], outcome: '' };
      let before: Side | undefined;
      if (revision !== undefined && beforeSkipped === undefined) {
        const beforeDir = join(work, 'before', fn.functionDir);
        const sizes = await bundleAtRevision(sourceRoot, fn, beforeDir);
        if (sizes !== undefined) before = { dir: beforeDir, sizes, sdkImports: [], bundleImports: [], bundleImportCpu: [], invocations: [], invocationCpu: [], inits: [], outcome: '' };
      }
      sides.push({ fn, after, ...(before !== undefined ? { before } : {}) });
    }

    for (let run = 0; run < options.runs; run += 1) {
      for (const { fn, after, before } of sides) {
        const env = { ...deployedEnvironment(fn), ...runtimeEnvironment(fn.functionDir) };
        const probe = probeOf(fn.functionDir);
        // Alternate which side goes first, so that neither always runs on a warmer file cache.
        const order = run % 2 === 0 ? [before, after] : [after, before];
        for (const side of order) {
          if (side === undefined) continue;
          const r = await startInFreshProcess(join(side.dir, 'index.mjs'), side.sizes.awsSdkImports, env, probe.event);
          side.sdkImports.push(r.awsSdkImportMs);
          side.bundleImports.push(r.bundleImportMs);
          side.invocations.push(r.firstInvocationMs);
          side.bundleImportCpu.push(r.bundleImportCpuMs);
          side.invocationCpu.push(r.firstInvocationCpuMs);
          side.inits.push(r.awsSdkImportMs + r.bundleImportMs + r.firstInvocationMs);
          side.outcome = r.outcome;
        }
      }
    }

    const figuresOf = (side: Side): SideFigures => ({
      jsBytes: side.sizes.jsBytes,
      sourceMapBytes: side.sizes.sourceMapBytes,
      awsSdkImports: side.sizes.awsSdkImports,
      awsSdkImportMs: median(side.sdkImports),
      bundleImportMs: median(side.bundleImports),
      firstInvocationMs: median(side.invocations),
      bundleImportCpuMs: median(side.bundleImportCpu),
      firstInvocationCpuMs: median(side.invocationCpu),
      initMs: median(side.inits),
      awsSdkImportSamplesMs: side.sdkImports,
      bundleImportSamplesMs: side.bundleImports,
      firstInvocationSamplesMs: side.invocations,
      probeOutcome: side.outcome,
    });
    const results: FunctionColdStart[] = sides.map(({ fn, after, before }) => ({
      functionDir: fn.functionDir,
      probe: probeOf(fn.functionDir).description,
      after: figuresOf(after),
      ...(before !== undefined ? { before: figuresOf(before) } : {}),
    }));
    const befores = results.flatMap((r) => (r.before !== undefined ? [r.before] : []));
    const hasBefore = befores.length > 0;
    return {
      budgetBytes: LAMBDA_BUNDLE_BUDGET_BYTES,
      runs: options.runs,
      ...(revision !== undefined && beforeSkipped === undefined ? { beforeRevision: revision } : {}),
      ...(beforeSkipped !== undefined ? { beforeSkipped } : {}),
      functions: results,
      largestBundleBytes: {
        after: Math.max(...results.map((r) => r.after.jsBytes)),
        ...(hasBefore ? { before: Math.max(...befores.map((b) => b.jsBytes)) } : {}),
      },
      allWithinBudget: results.every((r) => r.after.jsBytes <= LAMBDA_BUNDLE_BUDGET_BYTES),
      medianBundleImportCpuMs: { after: median(results.map((r) => r.after.bundleImportCpuMs)), ...(hasBefore ? { before: median(befores.map((b) => b.bundleImportCpuMs)) } : {}) },
      medianBundleImportMs: { after: median(results.map((r) => r.after.bundleImportMs)), ...(hasBefore ? { before: median(befores.map((b) => b.bundleImportMs)) } : {}) },
      medianInitMs: { after: median(results.map((r) => r.after.initMs)), ...(hasBefore ? { before: median(befores.map((b) => b.initMs)) } : {}) },
      method:
        'each bundle loaded by a fresh Node.js process with the deployed environment, NODE_OPTIONS=--enable-source-maps, the Lambda runtime variables and AWS endpoints on a closed local port; AWS SDK = importing the @aws-sdk packages the bundle imports (first); bundle = await import(bundle); first invocation = the handler called once with a probe that needs no AWS call; medians over the runs; Node.js start-up not counted',
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function kb(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : (bytes / 1024).toFixed(1);
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(0);
}

/** The section's markdown table (the one in docs/benchmarks.md). */
export function coldStartMarkdown(f: ColdStartFigures): string {
  const lines = [
    `Lambda bundles and start-up (${f.runs} fresh processes per bundle and side; before = ${f.beforeRevision?.slice(0, 7) ?? `skipped: ${f.beforeSkipped ?? 'n/a'}`}; budget ${kb(f.budgetBytes)} KB):`,
    '',
    '| function | KB before | KB after | bundle import ms before | after | bundle import CPU ms before | after | first invocation ms before | after | AWS SDK import ms | start-up ms before | after |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of f.functions) {
    const b = r.before;
    const a = r.after;
    lines.push(
      `| ${r.functionDir} | ${kb(b?.jsBytes)} | ${kb(a.jsBytes)} | ${ms(b?.bundleImportMs)} | ${ms(a.bundleImportMs)} | ${ms(b?.bundleImportCpuMs)} | ${ms(a.bundleImportCpuMs)} | ${ms(b?.firstInvocationMs)} | ${ms(a.firstInvocationMs)} | ${ms(a.awsSdkImportMs)} | ${ms(b?.initMs)} | ${ms(a.initMs)} |`,
    );
  }
  lines.push(
    `| **median of the functions** | | | ${ms(f.medianBundleImportMs.before)} | ${ms(f.medianBundleImportMs.after)} | ${ms(f.medianBundleImportCpuMs.before)} | ${ms(f.medianBundleImportCpuMs.after)} | | | | ${ms(f.medianInitMs.before)} | ${ms(f.medianInitMs.after)} |`,
    '',
  );
  return lines.join('\n');
}
