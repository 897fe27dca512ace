/**
 * The pipeline app: `npx cdk synth --app "npx tsx infra/pipeline-app.ts" -c spendcapPipelineConfigFile=deploy/pipeline.json`
 * (first deployed by hand with `cdk deploy`, then it updates itself). The pipeline stack holds the staging and
 * production stages; cdk-nag runs on all three stacks.
 */
import { App } from 'aws-cdk-lib';
import { DeploymentConfigError } from './config.js';
import { addNagChecks } from './nag.js';
import { loadPipelineConfig, PIPELINE_CONFIG_FILE_CONTEXT_KEY, type PipelineConfig } from './pipeline-config.js';
import { SpendcapPipelineStack } from './pipeline-stack.js';

const app = new App();
const file: unknown = app.node.tryGetContext(PIPELINE_CONFIG_FILE_CONTEXT_KEY);
let config: PipelineConfig;
try {
  if (typeof file !== 'string' || file.trim() === '') {
    throw new DeploymentConfigError(`${PIPELINE_CONFIG_FILE_CONTEXT_KEY}: set it to the pipeline configuration file (-c ${PIPELINE_CONFIG_FILE_CONTEXT_KEY}=deploy/pipeline.json)`);
  }
  config = loadPipelineConfig(file);
} catch (e: unknown) {
  if (e instanceof DeploymentConfigError) {
    console.error(`spendcap: invalid pipeline configuration: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
new SpendcapPipelineStack(app, 'SpendcapPipeline', { config, env: { account: config.account, region: config.region } });
addNagChecks(app);
app.synth();
