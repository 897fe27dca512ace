import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES, type TableDesign } from '../../shared/adapters/tables.js';

export interface StoreProps {
  /**
   * What happens to the tables when the stack is deleted. Counters, profiles and the audit trail (which the
   * regulation requires to stay re-consultable) are the state of the business: kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A stream of the profiles table's keys (the real-time path ends a deleted subscriber's PCF subscriptions).
   * @default false
   */
  readonly profilesStream?: boolean;
}

/**
 * The three tables, with the key schemas of shared/adapters/tables.ts (the same ones the local runtime
 * creates in dynalite): on-demand capacity, point-in-time recovery, a customer managed key, TTL on the
 * expiry attribute, retained on stack deletion.
 */
export class Store extends Construct {
  /** Counters (`P#<period>`), subscriber state (`STATE`), de-duplication claims (`R#<key>`), the line's bars (`LINE`). */
  public readonly usageTable: dynamodb.Table;
  /** Subscriber profiles (subscriber.v1), with the `byMsisdn` index. */
  public readonly profilesTable: dynamodb.Table;
  /** Audit trail of notifications and carrier commands, and the workflow's idempotency guards. */
  public readonly auditTable: dynamodb.Table;
  /** Key of the three tables; retained with them (a retained table is unreadable without its key). */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: StoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: 'spendcap tables: usage counters, subscriber profiles, audit trail',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.usageTable = this.table('Usage', TABLES.usage, removalPolicy);
    this.profilesTable = this.table('Profiles', TABLES.profiles, removalPolicy, props.profilesStream === true ? dynamodb.StreamViewType.KEYS_ONLY : undefined);
    this.auditTable = this.table('Audit', TABLES.audit, removalPolicy);
  }

  private table(id: string, design: TableDesign, removalPolicy: RemovalPolicy, stream?: dynamodb.StreamViewType): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: { name: design.partitionKey, type: dynamodb.AttributeType.STRING },
      ...(design.sortKey === undefined ? {} : { sortKey: { name: design.sortKey, type: dynamodb.AttributeType.STRING } }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      ...(design.ttlAttribute === undefined ? {} : { timeToLiveAttribute: design.ttlAttribute }),
      ...(stream === undefined ? {} : { stream }),
      removalPolicy,
    });
    for (const [indexName, index] of Object.entries(design.indexes ?? {})) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(index.sortKey === undefined ? {} : { sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING } }),
        projectionType: index.keysOnly === true ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}
