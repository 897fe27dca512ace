/**
 * One spendcap deployment as a CDK Stage: what a pipeline deploys once per environment (staging,
 * production), each from its own configuration file. The stack keeps the configured `stackName`, so a
 * deployment first made by hand with `cdk deploy` is the same stack when the pipeline takes over.
 */
import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from './config.js';
import { SpendcapStack } from './spendcap-stack.js';

export interface SpendcapStageProps extends Omit<StageProps, 'env'> {
  /** The validated configuration of this environment; its `account` and `region` are the stage's. */
  readonly config: DeploymentConfig;
}

export class SpendcapStage extends Stage {
  public readonly stack: SpendcapStack;

  constructor(scope: Construct, id: string, props: SpendcapStageProps) {
    const { config, ...stageProps } = props;
    if (config.account === undefined || config.region === undefined) {
      throw new Error(`SpendcapStage ${id}: the configuration must set account and region (a pipeline deploys each stage to an explicit environment)`);
    }
    super(scope, id, { ...stageProps, env: { account: config.account, region: config.region } });
    this.stack = new SpendcapStack(this, config.stackName, { config, stackName: config.stackName });
  }
}
