/**
 * The CDK app: `npm run synth` / `npx cdk deploy`. Reads the deployment configuration from the context
 * (cdk.json `spendcap`, or the file named by `spendcapConfigFile`), builds the stack and runs the cdk-nag
 * rule packs on it. Synthesizes offline: with no account/region configured the stack is environment-agnostic.
 */
import { App } from 'aws-cdk-lib';
import { loadDeploymentConfig, DeploymentConfigError } from './config.js';
import { addNagChecks } from './nag.js';
import { SpendcapStack } from './spendcap-stack.js';

const app = new App();
let config;
try {
  config = loadDeploymentConfig(app.node);
} catch (e: unknown) {
  if (e instanceof DeploymentConfigError) {
    console.error(`spendcap: invalid deployment configuration: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = config.region ?? process.env.CDK_DEFAULT_REGION;
new SpendcapStack(app, config.stackName, {
  config,
  ...(account !== undefined && region !== undefined ? { env: { account, region } } : {}),
});
addNagChecks(app);
app.synth();
