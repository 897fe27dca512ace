import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNagChecks } from '../../infra/nag.js';
import { loadPipelineConfig } from '../../infra/pipeline-config.js';
import { parseDeploymentConfig } from '../../infra/config.js';
import { SpendcapPipelineStack } from '../../infra/pipeline-stack.js';
import { SpendcapStage } from '../../infra/spendcap-stage.js';
import { actionsOf, removeOutdirs, resourcesOf, statementsOfRole, testApp } from './helpers.js';

const EXAMPLE = 'deploy/pipeline.example.json';
const STAGING_ACCOUNT = '210987654321';
const PRODUCTION_ACCOUNT = '123456789012';

let pipelineStack: SpendcapPipelineStack;
let assembly: CloudAssembly;
let template: Template;

interface PipelineAction {
  readonly Name: string;
  readonly RunOrder: number;
  readonly ActionTypeId: { readonly Category: string; readonly Provider: string };
  readonly Configuration?: Record<string, unknown>;
}

beforeAll(() => {
  // Arrange: the example, as the pipeline app builds it, with every cdk-nag rule pack.
  const config = loadPipelineConfig(EXAMPLE);
  const app = testApp();
  pipelineStack = new SpendcapPipelineStack(app, 'SpendcapPipeline', { config, env: { account: config.account, region: config.region } });
  addNagChecks(app);
  // Act: synthesis fails on any cdk-nag finding not acknowledged, in the pipeline or in either stage.
  assembly = app.synth();
  template = Template.fromStack(pipelineStack);
}, 120_000);

const dirs: string[] = [];
afterAll(() => {
  removeOutdirs();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function stages(): Array<{ Name: string; Actions: PipelineAction[] }> {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  return pipeline?.Properties.Stages as Array<{ Name: string; Actions: PipelineAction[] }>;
}

function actionsOfStage(name: string): PipelineAction[] {
  return stages().find((s) => s.Name === name)?.Actions ?? [];
}

/** The build commands of the CodeBuild project behind a pipeline action. */
function commandsOf(action: PipelineAction | undefined): string[] {
  const projectId = (action?.Configuration?.ProjectName as { Ref?: string } | undefined)?.Ref ?? '';
  const project = template.toJSON().Resources[projectId];
  const spec = JSON.parse(project.Properties.Source.BuildSpec as string) as { phases: Record<string, { commands?: string[] }> };
  return Object.values(spec.phases).flatMap((phase) => phase.commands ?? []);
}

describe('pipeline example (CDK Pipelines)', () => {
  it('synthesizes offline, cdk-nag clean, with the pipeline stack and one assembly per stage', () => {
    expect(assembly.stacksRecursively.map((s) => s.hierarchicalId).sort()).toEqual([
      'SpendcapPipeline',
      'SpendcapPipeline/Production/Spendcap',
      'SpendcapPipeline/Staging/Spendcap',
    ]);
  });

  it('runs source, synth, self-update, assets, staging, then production', () => {
    expect(stages().map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Staging', 'Production']);
    const [source] = actionsOfStage('Source');
    expect(source?.Configuration).toMatchObject({ FullRepositoryId: 'my-mvno/spendcap', BranchName: 'main' });
    expect(commandsOf(actionsOfStage('Build')[0])).toEqual([
      'npm ci --no-audit --no-fund',
      'npx cdk synth --no-notices --app "npx tsx infra/pipeline-app.ts" -c spendcapPipelineConfigFile=deploy/pipeline.example.json',
    ]);
  });

  it('type-checks and runs the whole test suite, and shows the staging diff, before deploying staging', () => {
    // Arrange
    const actions = actionsOfStage('Staging');
    const byName = (name: string) => actions.find((a) => a.Name === name);

    // Assert
    expect(commandsOf(byName('Test'))).toEqual(expect.arrayContaining(['npx tsc --noEmit -p .', 'npm test']));
    expect(commandsOf(byName('DiffStaging')).at(-1)).toMatch(/aws-cdk@[0-9.]+ diff --app \. --no-notices --method template "SpendcapPipeline\/Staging\/\*"$/);
    const deployFirst = Math.min(...actions.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder));
    expect(byName('Test')?.RunOrder).toBeLessThan(deployFirst);
    expect(byName('DiffStaging')?.RunOrder).toBeLessThan(deployFirst);
  });

  it('deploys production only after the production diff and a manual approval, in that order', () => {
    // Arrange
    const actions = actionsOfStage('Production');
    const byName = (name: string) => actions.find((a) => a.Name === name);
    const deploys = actions.filter((a) => a.ActionTypeId.Category === 'Deploy');

    // Assert
    expect(byName('Approve')?.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
    expect(byName('DiffProduction')!.RunOrder).toBeLessThan(byName('Approve')!.RunOrder);
    expect(deploys.length).toBeGreaterThan(0);
    for (const deploy of deploys) expect(deploy.RunOrder).toBeGreaterThan(byName('Approve')!.RunOrder);
    expect(commandsOf(byName('DiffProduction')).at(-1)).toContain('"SpendcapPipeline/Production/*"');
  });

  it('lets each diff action assume only the read-only lookup role of its own target account', () => {
    for (const [name, account] of [['DiffStaging', STAGING_ACCOUNT], ['DiffProduction', PRODUCTION_ACCOUNT]] as const) {
      // Arrange
      const projects = template.findResources('AWS::CodeBuild::Project');
      const [, project] = Object.entries(projects).find(([id]) => id.includes(name)) ?? [];
      const roleId = (project!.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

      // Act
      const assumes = statementsOfRole(template, roleId).filter((s) => actionsOf(s).includes('sts:AssumeRole'));

      // Assert
      expect(assumes.flatMap(resourcesOf), name).toEqual([`arn:aws:iam::${account}:role/cdk-hnb659fds-lookup-role-${account}-eu-west-3`]);
    }
  });

  it('deploys each stage to the account, region, stack name and termination protection of its own configuration file', () => {
    const staging = assembly.getStackArtifact(pipelineStack.staging.stack.artifactId);
    const production = assembly.getStackArtifact(pipelineStack.production.stack.artifactId);
    expect([staging.environment.account, staging.environment.region, staging.stackName, staging.terminationProtection]).toEqual([STAGING_ACCOUNT, 'eu-west-3', 'Spendcap', false]);
    expect([production.environment.account, production.environment.region, production.stackName, production.terminationProtection]).toEqual([PRODUCTION_ACCOUNT, 'eu-west-3', 'Spendcap', true]);
    expect(production.tags).toMatchObject({ environment: 'production' });
  });

  it('encrypts artifacts with a rotating key that the target accounts can use (cross-account deployments)', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('SpendcapStage', () => {
  it('refuses a configuration without account and region: a pipeline stage deploys to an explicit environment', () => {
    expect(() => new SpendcapStage(testApp(), 'Staging', { config: parseDeploymentConfig({}) })).toThrow('SpendcapStage Staging: the configuration must set account and region');
  });

  it('keeps the configured stack name, so a stack first deployed by hand is the one the pipeline updates', () => {
    const stage = new SpendcapStage(testApp(), 'Production', { config: parseDeploymentConfig({ stackName: 'SpendcapProd', account: PRODUCTION_ACCOUNT, region: 'eu-west-1' }) });

    expect([stage.stack.stackName, stage.stack.account, stage.stack.region]).toEqual(['SpendcapProd', PRODUCTION_ACCOUNT, 'eu-west-1']);
  });
});

describe('pipeline configuration', () => {
  function writeConfigs(pipeline: Record<string, unknown>, stagesByFile: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), 'spendcap-pipeline-config-'));
    dirs.push(dir);
    for (const [file, content] of Object.entries(stagesByFile)) writeFileSync(join(dir, file), JSON.stringify(content));
    const file = join(dir, 'pipeline.json');
    writeFileSync(file, JSON.stringify({ stagingConfigFile: join(dir, 'staging.json'), productionConfigFile: join(dir, 'production.json'), ...pipeline }));
    return file;
  }
  const base = {
    account: '111111111111',
    region: 'eu-west-3',
    source: { repository: 'my-mvno/spendcap', connectionArn: 'arn:aws:codeconnections:eu-west-3:111111111111:connection/abc-123' },
  };
  const staging = { account: STAGING_ACCOUNT, region: 'eu-west-3' };
  const production = { account: PRODUCTION_ACCOUNT, region: 'eu-west-3' };

  it('reads both stage files and defaults the branch and bootstrap qualifier', () => {
    const config = loadPipelineConfig(writeConfigs(base, { 'staging.json': staging, 'production.json': production }));

    expect(config.source.branch).toBe('main');
    expect(config.bootstrapQualifier).toBe('hnb659fds');
    expect(config.production.account).toBe(PRODUCTION_ACCOUNT);
  });

  it.each([
    ['a stage without an account', base, { 'staging.json': { region: 'eu-west-3' }, 'production.json': production }, 'staging.json: account and region are required for a pipeline stage'],
    ['the same stack twice', base, { 'staging.json': production, 'production.json': production }, 'staging and production are the same stack'],
    ['a bad connection ARN', { ...base, source: { ...base.source, connectionArn: 'github-token' } }, { 'staging.json': staging, 'production.json': production }, 'pipeline.json.source.connectionArn: must be a CodeConnections'],
    ['a mistake in a stage file', base, { 'staging.json': { ...staging, ingest: { batchSize: 0 } }, 'production.json': production }, 'staging.json.ingest.batchSize: must be an integer from 1 to 10000'],
  ])('refuses %s, naming the file and key', (_case, pipeline, stageFiles, message) => {
    expect(() => loadPipelineConfig(writeConfigs(pipeline, stageFiles))).toThrow(message);
  });
});
