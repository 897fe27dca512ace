/**
 * How every spendcap Lambda function is bundled, written once as esbuild options, and translated from there
 * into the NodejsFunction bundling props (infra/constructs/spendcap-function.ts). The infra tests and the
 * benchmark bundle each function with esbuild's API from the same object, so the sizes they assert and the
 * start-up they measure are those of what `cdk deploy` uploads.
 *
 * What keeps the bundles small (every one at most LAMBDA_BUNDLE_BUDGET_BYTES of JavaScript):
 * - zod is imported as a namespace (`import * as z from 'zod'`): esbuild then keeps only the parts reached
 *   through `z.<name>`. The named import (`import { z } from 'zod'`) makes it keep the whole `z` object,
 *   every locale included (about 443 KB instead of about 90 KB).
 * - The X-Ray SDK comes with shared/tracing.ts, imported only by the functions that trace their AWS SDK
 *   calls.
 * - `semver` is replaced by a stub (semver-unused.ts): its one user is the X-Ray SDK's AWS SDK v2 patcher,
 *   which spendcap never calls.
 */
import { fileURLToPath } from 'node:url';
import { OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
// Types only: esbuild itself is loaded by the tests and the benchmark, never by the CDK app.
import type { BuildOptions } from 'esbuild';

/** Repository root: entries, lock file and tsconfig are found from here whatever the working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The largest bundle (JavaScript, source map excluded) any spendcap function may have. */
export const LAMBDA_BUNDLE_BUDGET_BYTES = 350 * 1024;

/**
 * ESM output needs `require` for the few CommonJS dependencies that call it at run time (esbuild cannot
 * rewrite a dynamic require into an import).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** Where a stand-in module lives; esbuild aliases take absolute paths (they resolve from the working directory otherwise). */
export const SEMVER_STUB = `${PROJECT_ROOT}infra/bundling/semver-unused.ts`;

/**
 * The esbuild options of every function, in esbuild's own spelling. NodejsFunction always bundles
 * (`--bundle`) for `--platform=node`; both are repeated here for the callers of esbuild's API.
 */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // The Node.js 22 runtime provides the AWS SDK v3.
  external: ['@aws-sdk/*'],
  tsconfig: `${PROJECT_ROOT}tsconfig.json`,
  alias: { semver: SEMVER_STUB },
} as const;

/** What differs from one function to the next. */
export interface LambdaBundleInput {
  /** Absolute path of the handler module. */
  readonly entry: string;
  /** esbuild `define` (expression -> JSON text), for configuration baked into the bundle. */
  readonly define?: Readonly<Record<string, string>>;
}

/** The NodejsFunction `bundling` props that run esbuild with LAMBDA_ESBUILD_OPTIONS. */
export function nodejsBundlingOf(input: Pick<LambdaBundleInput, 'define'>): BundlingOptions {
  const o = LAMBDA_ESBUILD_OPTIONS;
  return {
    format: o.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
    target: o.target,
    mainFields: [...o.mainFields],
    banner: o.banner,
    minify: o.minify,
    sourceMap: o.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: o.sourcesContent,
    externalModules: [...o.external],
    tsconfig: o.tsconfig,
    esbuildArgs: { '--alias': Object.entries(o.alias).map(([name, path]) => `${name}=${path}`) },
    ...(input.define !== undefined ? { define: { ...input.define } } : {}),
  };
}

/**
 * The options of esbuild's `build()` that produce the same bundle as NodejsFunction (the file name too:
 * `index.mjs`, so that the `sourceMappingURL` comment matches), written to `outfile` or, with `write: false`,
 * kept in memory.
 */
export function esbuildOptionsOf(input: LambdaBundleInput, outfile: string): BuildOptions {
  const { banner, ...rest } = LAMBDA_ESBUILD_OPTIONS;
  return {
    ...rest,
    mainFields: [...rest.mainFields],
    external: [...rest.external],
    alias: { ...rest.alias },
    banner: { js: banner },
    entryPoints: [input.entry],
    outfile,
    ...(input.define !== undefined ? { define: { ...input.define } } : {}),
  };
}
