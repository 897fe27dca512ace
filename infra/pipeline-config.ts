/**
 * Configuration of the delivery pipeline example (infra/pipeline-stack.ts): where it runs, which repository
 * branch it deploys, and the deployment configuration file of each stage. Read from the JSON file named by
 * the context key `spendcapPipelineConfigFile`, validated with zod like the deployment configuration.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../shared/domain/validation.js';
import { DeploymentConfigError, parseDeploymentConfig, type DeploymentConfig } from './config.js';

export const PIPELINE_CONFIG_FILE_CONTEXT_KEY = 'spendcapPipelineConfigFile';

const accountSchema = z.string({ error: 'must be a 12-digit AWS account id' }).regex(/^[0-9]{12}$/, { error: 'must be a 12-digit AWS account id' });
const regionSchema = z.string({ error: 'must be an AWS region, e.g. eu-west-3' }).regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, { error: 'must be an AWS region, e.g. eu-west-3' });
const configFileSchema = z.string({ error: 'must be the path of a deployment configuration file' }).regex(/^[^\s'"`$\\]+\.json$/, {
  error: 'must be the relative path of a .json file, without spaces or quotes',
});

const pipelineConfigSchema = z.strictObject({
  /** The tooling account and region where the pipeline runs (bootstrapped; staging and production trust it). */
  account: accountSchema,
  region: regionSchema,
  source: z.strictObject({
    /** `owner/repository` on GitHub, GitHub Enterprise, GitLab or Bitbucket. */
    repository: z.string({ error: 'must be owner/repository' }).regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'must be owner/repository' }),
    branch: z.string({ error: 'must be a branch name' }).min(1, { error: 'must be a branch name' }).default('main'),
    /** AWS CodeConnections connection to the repository host, created and authorized once in the console. */
    connectionArn: z
      .string({ error: 'must be a CodeConnections (or CodeStar connections) ARN' })
      .regex(/^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection\/[A-Za-z0-9-]+$/, {
        error: 'must be a CodeConnections (or CodeStar connections) ARN',
      }),
  }),
  /** Deployment configuration of the staging stage (relative to the repository root). */
  stagingConfigFile: configFileSchema,
  /** Deployment configuration of the production stage. */
  productionConfigFile: configFileSchema,
  /** Qualifier the target accounts were bootstrapped with (`cdk bootstrap --qualifier`). */
  bootstrapQualifier: z
    .string({ error: 'must be 1 to 10 lower-case letters or digits' })
    .regex(/^[a-z0-9]{1,10}$/, { error: 'must be 1 to 10 lower-case letters or digits' })
    .default('hnb659fds'),
});

export type PipelineConfigInput = z.output<typeof pipelineConfigSchema>;

export interface PipelineConfig extends PipelineConfigInput {
  /** The file this configuration was read from: the pipeline synthesizes itself with it. */
  readonly configFile: string;
  readonly staging: DeploymentConfig;
  readonly production: DeploymentConfig;
}

function readJson(file: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (e: unknown) {
    throw new DeploymentConfigError(`${source}: cannot read ${file} (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e: unknown) {
    throw new DeploymentConfigError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Reads and validates the pipeline configuration and both stage configurations. Each stage must name its
 * account and region, and the two stages must not be the same stack.
 */
export function loadPipelineConfig(configFile: string): PipelineConfig {
  const result = pipelineConfigSchema.safeParse(readJson(configFile, PIPELINE_CONFIG_FILE_CONTEXT_KEY));
  if (!result.success) {
    throw new DeploymentConfigError(
      formatIssues(result.error)
        .split('; ')
        .map((reason) => `${configFile}.${reason}`)
        .join('; '),
    );
  }
  const input = result.data;
  const stage = (file: string, key: string): DeploymentConfig => {
    const config = parseDeploymentConfig(readJson(file, `${configFile}.${key}`), file);
    if (config.account === undefined || config.region === undefined) {
      throw new DeploymentConfigError(`${file}: account and region are required for a pipeline stage`);
    }
    return config;
  };
  const staging = stage(input.stagingConfigFile, 'stagingConfigFile');
  const production = stage(input.productionConfigFile, 'productionConfigFile');
  if (staging.account === production.account && staging.region === production.region && staging.stackName === production.stackName) {
    throw new DeploymentConfigError(
      `${configFile}: staging and production are the same stack (${production.stackName} in ${production.account}/${production.region}); give one another account, region or stackName`,
    );
  }
  return { ...input, configFile, staging, production };
}
