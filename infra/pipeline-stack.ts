/**
 * A delivery pipeline a platform team can copy (CDK Pipelines on AWS CodePipeline): every push to the
 * branch is synthesized, type-checked and tested, the `cdk diff` of each environment is printed in its own
 * action, staging is deployed, and production is deployed after a person approves it, having read the
 * production diff. The pipeline updates itself first when its own definition changed.
 *
 *   Source ─► Build (npm ci, cdk synth) ─► UpdatePipeline ─► Assets
 *     ─► Staging:    Test (tsc, npm test) · DiffStaging ─► deploy Spendcap
 *     ─► Production: DiffProduction ─► Approve ─► deploy Spendcap
 *
 * Accounts: the pipeline runs in a tooling account; staging and production are bootstrapped with
 * `--trust <tooling account>` (docs/deploy.md). The diff actions read the deployed template through the
 * target account's CDK lookup role (read-only), never the deploy role.
 */
import { readFileSync } from 'node:fs';
import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CodeBuildStep, CodePipeline, CodePipelineSource, ManualApprovalStep, ShellStep, type IFileSetProducer } from 'aws-cdk-lib/pipelines';
// The function cdk-nag itself uses to name an IAM5 finding, as in infra/nag.ts.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from './config.js';
import { PIPELINE_CONFIG_FILE_CONTEXT_KEY, type PipelineConfig } from './pipeline-config.js';
import { SpendcapStage } from './spendcap-stage.js';
import { PROJECT_ROOT } from './constructs/spendcap-function.js';

export interface SpendcapPipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
}

/** The CDK CLI the repository pins: the pipeline's self-update, asset publishing and diffs use the same one. */
function pinnedCliVersion(): string {
  const pkg = JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')) as { devDependencies?: Record<string, string> };
  const version = pkg.devDependencies?.['aws-cdk'];
  if (version === undefined || !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) {
    throw new Error('package.json: devDependencies.aws-cdk must pin an exact CDK CLI version');
  }
  return version;
}

/** Node.js 22 (the Lambda runtime's major) on CodeBuild's standard image. */
const NODE_22 = codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: '22' } } } });

const NPM_CI = 'npm ci --no-audit --no-fund';

export class SpendcapPipelineStack extends Stack {
  public readonly pipeline: CodePipeline;
  public readonly staging: SpendcapStage;
  public readonly production: SpendcapStage;

  constructor(scope: Construct, id: string, props: SpendcapPipelineStackProps) {
    super(scope, id, {
      description: 'spendcap delivery pipeline: synth, tests, cdk diff, staging, approval, production',
      ...props,
    });
    const { config } = props;
    const cliVersion = pinnedCliVersion();

    const source = CodePipelineSource.connection(config.source.repository, config.source.branch, {
      connectionArn: config.source.connectionArn,
    });
    const synth = new ShellStep('Synth', {
      input: source,
      installCommands: [NPM_CI],
      commands: [`npx cdk synth --no-notices --app "npx tsx infra/pipeline-app.ts" -c ${PIPELINE_CONFIG_FILE_CONTEXT_KEY}=${config.configFile}`],
      primaryOutputDirectory: 'cdk.out',
    });
    this.pipeline = new CodePipeline(this, 'Pipeline', {
      synth,
      // Staging and production are usually other accounts: artifacts are encrypted with a key they may use.
      crossAccountKeys: true,
      enableKeyRotation: true,
      cliVersion,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        partialBuildSpec: NODE_22,
      },
    });

    this.staging = new SpendcapStage(this, 'Staging', { config: config.staging });
    this.production = new SpendcapStage(this, 'Production', { config: config.production });

    const test = new CodeBuildStep('Test', {
      input: source,
      installCommands: [NPM_CI],
      commands: ['npx tsc --noEmit -p .', 'npm test'],
      // The integration and end-to-end tests run embedded emulators: more memory than the default 3 GB.
      buildEnvironment: { computeType: codebuild.ComputeType.MEDIUM },
    });
    this.pipeline.addStage(this.staging, { pre: [test, this.diffStep('DiffStaging', this.staging, synth, config.staging, cliVersion, config.bootstrapQualifier)] });

    const diffProduction = this.diffStep('DiffProduction', this.production, synth, config.production, cliVersion, config.bootstrapQualifier);
    const approve = new ManualApprovalStep('Approve', {
      comment: 'Read the DiffProduction action log (cdk diff against the deployed production stack, docs/deploy.md "Upgrading") before approving.',
    });
    approve.addStepDependency(diffProduction);
    this.pipeline.addStage(this.production, { pre: [diffProduction, approve] });

    this.pipeline.buildPipeline();
    this.acknowledgeFindings();
  }

  /**
   * `cdk diff` of one stage against what is deployed, printed in the action's log. Template method: it
   * reads the deployed template through the target account's lookup role (ReadOnlyAccess, no kms:Decrypt),
   * so the step can see, not change, the environment.
   */
  private diffStep(id: string, stage: SpendcapStage, synth: IFileSetProducer, target: DeploymentConfig, cliVersion: string, qualifier: string): CodeBuildStep {
    const lookupRole = `arn:${this.partition}:iam::${target.account}:role/cdk-${qualifier}-lookup-role-${target.account}-${target.region}`;
    return new CodeBuildStep(id, {
      input: synth,
      commands: [`npx --yes aws-cdk@${cliVersion} diff --app . --no-notices --method template "${stage.node.path}/*"`],
      rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [lookupRole] })],
    });
  }

  /**
   * What CDK Pipelines generates and cdk-nag flags, acknowledged on the pipeline's own policies, one
   * finding at a time and only when it is one of the kinds listed here: a wildcard of any other kind (a
   * change in CDK Pipelines, a statement added by hand) still fails synthesis.
   */
  private acknowledgeFindings(): void {
    Validations.of(this.pipeline).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The artifact bucket holds the pipeline\'s own build artifacts (source archive, cloud assembly), written and read by the pipeline roles only; CloudTrail data events audit it where an organization requires access records.',
    });
    const artifactBucket = this.pipeline.pipeline.artifactBucket;
    const artifactTargets = new Set([artifactBucket.bucketArn, `${artifactBucket.bucketArn}/*`, artifactBucket.encryptionKey?.keyArn].map((arn) => flattenCfnReference(this.resolve(arn))));
    for (const policy of this.pipeline.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy)) {
      const { Statement: statements = [] } = this.resolve(policy.document) as { Statement?: PolicyStatementJson[] };
      for (const statement of statements) {
        const actions = [statement.Action ?? []].flat();
        const resources = [statement.Resource ?? []].flat().map(flattenCfnReference);
        for (const action of actions.filter((a) => a.includes('*'))) {
          if (resources.every((r) => artifactTargets.has(r))) {
            Validations.of(policy).acknowledge({
              id: `AwsSolutions-IAM5[Action::${action}]`,
              reason: 'CDK Pipelines grants S3 and KMS action groups on the pipeline artifact bucket, its objects and its key only.',
            });
          }
        }
        for (const resource of resources.filter((r) => r.includes('*'))) {
          const reason = wildcardReason(resource, actions, statement, artifactTargets);
          if (reason !== undefined) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
        }
      }
    }
  }
}

interface PolicyStatementJson {
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Why a wildcard resource that CDK Pipelines generates is as narrow as it can be; undefined for any other. */
function wildcardReason(resource: string, actions: readonly string[], statement: PolicyStatementJson, artifactTargets: ReadonlySet<string>): string | undefined {
  if (artifactTargets.has(resource)) return 'Objects of the pipeline artifact bucket, which holds the pipeline\'s own build artifacts only.';
  if (/:log-group:\/aws\/codebuild\//.test(resource) && actions.every((a) => a.startsWith('logs:'))) {
    return 'CodeBuild log groups are named after their project (/aws/codebuild/<project>); the asset publishing role serves one project per asset.';
  }
  if (/:report-group\//.test(resource) && actions.every((a) => a.startsWith('codebuild:'))) {
    return 'CodeBuild test report groups are named after their project (<project>-*); the asset publishing role serves one project per asset.';
  }
  const resourceless = ['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild', 'cloudformation:DescribeStacks', 's3:ListBucket'];
  if (resource === '*' && actions.every((a) => resourceless.includes(a))) {
    return 'Granted by CDK Pipelines with no resource to name: cloudformation:DescribeStacks and s3:ListBucket for the self-update, codebuild:StartBuild/BatchGetBuilds/StopBuild for the asset publishing role, which serves one project per asset.';
  }
  const bootstrapRoles = statement.Condition?.['ForAnyValue:StringEquals']?.['iam:ResourceTag/aws-cdk:bootstrap-role'];
  if (/:iam::[0-9]+:role\/\*$/.test(resource) && actions.every((a) => a === 'sts:AssumeRole') && bootstrapRoles !== undefined) {
    return 'The self-update assumes only the CDK bootstrap roles (condition on the aws-cdk:bootstrap-role tag) to publish assets and deploy the pipeline stack.';
  }
  return undefined;
}
