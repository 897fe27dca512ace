import { Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag.js';

export interface FeedSftpUser {
  /** The feed folder this user writes to: its whole view of the bucket. */
  readonly feed: string;
  readonly userName: string;
  /** OpenSSH public keys of the sender. */
  readonly sshPublicKeys: readonly string[];
}

export interface FeedSftpProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly users: readonly FeedSftpUser[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * Optional (`feeds.sftp.enabled`, off by default): AWS Transfer Family SFTP in front of the feed bucket, for
 * host operators that push files by SFTP and will not call S3. Service-managed users authenticated by SSH
 * key; each user is chrooted to its feed's folder (logical home directory `/` = `<bucket>/<feed>`) and may
 * only put files there: it cannot read other feeds, the quarantine, or delete. Off by default because an
 * SFTP endpoint costs about USD 0.30 an hour (some USD 220 a month) whether files come or not, and many
 * host operators can write to S3 directly (docs/feeds.md).
 */
export class FeedSftp extends Construct {
  public readonly server: transfer.CfnServer;
  /** The endpoint's host name (`<server id>.server.transfer.<region>.amazonaws.com`). */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: FeedSftpProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.server = new transfer.CfnServer(this, 'Server', {
      protocols: ['SFTP'],
      identityProviderType: 'SERVICE_MANAGED',
      endpointType: 'PUBLIC',
      domain: 'S3',
      securityPolicyName: 'TransferSecurityPolicy-2024-01',
      structuredLogDestinations: [logGroup.logGroupArn],
    });
    const stack = Stack.of(this);
    this.endpoint = Fn.join('', [this.server.attrServerId, `.server.transfer.${stack.region}.${stack.urlSuffix}`]);

    props.users.forEach((user, i) => {
      const home = props.bucket.arnForObjects(`${user.feed}/*`);
      const role = new iam.Role(this, `User${i}Role`, {
        assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com'),
        description: `SFTP user ${user.userName}: puts files into the ${user.feed} feed folder only`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [props.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${user.feed}/*`, user.feed] } },
        }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [home] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.key.keyArn] }));
      acknowledgeWildcardResource(role, home, `An SFTP user of feed ${user.feed} writes any file name under its own folder, by design.`);
      new transfer.CfnUser(this, `User${i}`, {
        serverId: this.server.attrServerId,
        userName: user.userName,
        role: role.roleArn,
        homeDirectoryType: 'LOGICAL',
        homeDirectoryMappings: [{ entry: '/', target: `/${props.bucket.bucketName}/${user.feed}` }],
        sshPublicKeys: [...user.sshPublicKeys],
      });
    });
  }
}
