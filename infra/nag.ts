import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
// The function cdk-nag itself uses to name an IAM5 finding (`Resource::<flattened ARN>`): acknowledgements
// built with it name exactly one finding, whatever the tokens in the ARN.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * The AWS Solutions and Serverless rule packs (cdk-nag 3, CDK policy-validation plugins) on a whole app:
 * synthesis fails on any finding that is not acknowledged with `Validations.of(scope).acknowledge(...)`.
 */
export function addNagChecks(app: IConstruct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
}

/**
 * Acknowledges the AwsSolutions-IAM5 finding of one wildcard resource (an ARN that may hold tokens) on
 * `scope` and its children, with the reason it cannot be narrower.
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  const flattened = flattenCfnReference(Stack.of(scope).resolve(arn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattened}]`, reason });
}
