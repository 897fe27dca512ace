import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface EventStreamProps {
  /**
   * `onDemand` scales shards automatically (pay per GB); `provisioned` needs `shardCount`.
   * @default 'onDemand'
   */
  readonly capacityMode?: 'onDemand' | 'provisioned';
  /** Shards when provisioned. */
  readonly shardCount?: number;
  /** @default 24 */
  readonly retentionHours?: number;
}

/**
 * The carrier usage stream: the MVNO's mediation layer puts one record per carrier event, partition key =
 * subscriberId, so that one subscriber's events stay ordered on one shard. Encrypted with a customer managed
 * key of its own, so that read access to the stream is granted (and audited) separately from the tables.
 */
export class EventStream extends Construct {
  public readonly stream: kinesis.Stream;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EventStreamProps = {}) {
    super(scope, id);
    const provisioned = props.capacityMode === 'provisioned';
    if (provisioned && props.shardCount === undefined) {
      throw new Error(`${this.node.path}: shardCount is required when capacityMode is "provisioned"`);
    }
    this.key = new kms.Key(this, 'Key', {
      description: 'spendcap carrier event stream',
      enableKeyRotation: true,
    });
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: provisioned ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      ...(provisioned ? { shardCount: props.shardCount } : {}),
      retentionPeriod: Duration.hours(props.retentionHours ?? 24),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'Deliberate: carrier events carry subscriber identifiers (personal data); a customer managed key lets read access be granted to the ingest function alone and every use be audited in CloudTrail, which aws/kinesis cannot.',
    });
  }

  /** Lets the carrier's mediation layer put events (kinesis:PutRecord(s) and the key's data keys). */
  grantProducer(grantee: iam.IGrantable): iam.Grant {
    return this.stream.grantWrite(grantee);
  }
}
