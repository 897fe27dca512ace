import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../../shared/config/ingest-limits.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import type { EventStream } from './event-stream.js';
import { bindStreamProducer, bindTable, SpendcapFunction } from './spendcap-function.js';
import type { Store } from './store.js';

export interface QuarantineRedriveProps {
  readonly quarantineQueue: sqs.IQueue;
  readonly stream: EventStream;
  readonly store: Store;
  readonly settings: PolicySettings;
  readonly logRetention: logs.RetentionDays;
  /** The same limits as ingest: the dry run judges records as ingest will. @default DEFAULT_INGEST_LIMITS */
  readonly limits?: IngestLimits;
}

/**
 * The quarantine's redrive (`npm run redrive`, docs/operations.md): a function an operator invokes once the
 * cause of rejections is fixed. It reads the quarantine, puts the records back on the usage stream for
 * ingest, and deletes their messages; a dry run (the default) only reads profiles and claims to say what
 * would happen. It can do nothing else: no counters write, no workflow start, no notification.
 */
export class QuarantineRedrive extends Construct {
  public readonly function: SpendcapFunction;

  constructor(scope: Construct, id: string, props: QuarantineRedriveProps) {
    super(scope, id);
    this.function = new SpendcapFunction(this, 'Function', {
      functionDir: 'redrive-quarantine',
      description: 'Puts quarantined carrier records back through ingest once their cause is fixed (dry run by default)',
      settings: props.settings,
      logRetention: props.logRetention,
      memorySize: 512,
      timeout: Duration.minutes(10),
    });
    this.function.addEnvironment(ENV.ingestLimits, JSON.stringify(props.limits ?? DEFAULT_INGEST_LIMITS));
    bindTable(this.function, ENV.profilesTable, props.store.profilesTable, { actions: ['dynamodb:BatchGetItem'] });
    bindTable(this.function, ENV.usageTable, props.store.usageTable, { actions: ['dynamodb:GetItem'] });
    bindStreamProducer(this.function, ENV.usageStreamArn, props.stream.stream);
    // A consumer of the quarantine: receive, delete once on the stream, release what it leaves.
    this.function.addEnvironment(ENV.quarantineQueueUrl, props.quarantineQueue.queueUrl);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
        resources: [props.quarantineQueue.queueArn],
      }),
    );
    if (props.quarantineQueue.encryptionMasterKey !== undefined) {
      this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.quarantineQueue.encryptionMasterKey.keyArn] }));
    }
  }
}
