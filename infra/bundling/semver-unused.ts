/**
 * Stands in for the `semver` package in the Lambda bundles (esbuild alias, infra/bundling/lambda-bundle.ts).
 *
 * Its only user there is the X-Ray SDK's patcher for the AWS SDK v2 (`captureAWS`, which checks the v2 SDK's
 * version before patching it). spendcap's clients are all AWS SDK v3, traced with `captureAWSv3Client`, so
 * that check never runs; the real package would add 28 KB to each traced function. Should the v2 patcher
 * ever be called, this fails with a message instead of answering a version comparison wrongly. The infra
 * bundle test checks that nothing else imports it.
 */
export function gte(version: string, minimum: string): never {
  throw new Error(
    `semver is not bundled in spendcap's functions (asked: ${version} >= ${minimum}): the X-Ray SDK's AWS SDK v2 patcher is not supported, trace v3 clients with captureAWSv3Client`,
  );
}
