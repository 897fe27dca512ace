/**
 * The front door of the service-based interface: an Application Load Balancer with an HTTPS listener that
 * speaks HTTP/2 (ALPN `h2`, as TS 29.500 requires of SBI peers), in a VPC of its own, forwarding each
 * service's path to its Lambda function. Callers authenticate at the listener, as the deployment chooses:
 * - `mtls`: mutual TLS, client certificates verified against the operator's CA bundle (a trust store);
 * - `oauth2`: NRF-issued access tokens (JWT, RS256), signature, issuer and expiry verified by the listener
 *   against the NRF's JWKS endpoint (the function then checks the token's scope).
 * Only the operator's networks (SMF/PCF address ranges) may reach it; it is internal (reached over VPN or
 * Direct Connect) unless told otherwise. Access logs go to an encrypted bucket; the paths they record carry
 * no personal data (resource ids are opaque; SUPIs travel in bodies only).
 */
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export type SbiAuth =
  /** The S3 object holding the PEM bundle of the CAs that sign the SMFs' and PCFs' client certificates. */
  | { readonly mode: 'mtls'; readonly trustStoreBucket: string; readonly trustStoreKey: string }
  /** The NRF as OAuth2 authorization server: its issuer and JWKS endpoint (HTTPS). */
  | { readonly mode: 'oauth2'; readonly issuer: string; readonly jwksEndpoint: string };

export interface SbiRoute {
  /** Path prefix of the service (e.g. `/nchf-convergedcharging/v3`). */
  readonly pathPrefix: string;
  readonly function: lambda.IFunction;
}

export interface SbiFrontProps {
  /** ACM certificate of the charging function's FQDN (the name SMFs and PCFs connect to). */
  readonly certificateArn: string;
  readonly auth: SbiAuth;
  /** Address ranges of the SMFs and PCFs allowed to connect (CIDR). */
  readonly ingressCidrs: readonly string[];
  /**
   * Internet-facing instead of internal. SBI traffic normally stays on the operator's private network.
   * @default false
   */
  readonly internetFacing?: boolean;
  readonly routes: readonly SbiRoute[];
  readonly logRetention: logs.RetentionDays;
  /**
   * How long access logs are kept.
   * @default Duration.days(90)
   */
  readonly accessLogRetention?: Duration;
}

/** The listener rules' priorities, one per route in order. */
const FIRST_PRIORITY = 10;

export class SbiFront extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly listener: elbv2.ApplicationListener;
  public readonly accessLogs: s3.Bucket;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SbiFrontProps) {
    super(scope, id);
    const internetFacing = props.internetFacing ?? false;
    // No NAT: the functions run outside the VPC; only the load balancer lives here.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        internetFacing
          ? { name: 'Sbi', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }
          : { name: 'Sbi', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY })),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'spendcap SBI: HTTPS from the operator SMF/PCF ranges only',
      allowAllOutbound: false,
    });
    for (const cidr of props.ingressCidrs) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'SBI (HTTP/2 over TLS) from the operator core');
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing,
      securityGroup: this.securityGroup,
      http2Enabled: true,
      dropInvalidHeaderFields: true,
      vpcSubnets: { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_ISOLATED },
    });

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the load balancer access logs; logging its own reads to another bucket would only move the question.',
    });
    if (Token.isUnresolved(Stack.of(this).region)) {
      // The access-log bucket policy names the region's Elastic Load Balancing account: it must be known.
      throw new Error(`${this.node.path}: the real-time path needs the stack's region (set spendcap.account and spendcap.region, or deploy with a configured account and region)`);
    }
    this.loadBalancer.logAccessLogs(this.accessLogs, 'sbi');

    const certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn);
    const notFound = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'application/problem+json',
      messageBody: JSON.stringify({ title: 'Not Found', status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' }),
    });
    this.listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromCertificateManager(certificate)],
      sslPolicy: elbv2.SslPolicy.TLS13_RES,
      open: false,
      defaultAction: notFound,
      ...(props.auth.mode === 'mtls'
        ? {
            mutualAuthentication: {
              mutualAuthenticationMode: elbv2.MutualAuthenticationMode.VERIFY,
              trustStore: new elbv2.TrustStore(this, 'TrustStore', {
                bucket: s3.Bucket.fromBucketName(this, 'TrustStoreBucket', props.auth.trustStoreBucket),
                key: props.auth.trustStoreKey,
              }),
              ignoreClientCertificateExpiry: false,
            },
          }
        : {}),
    });

    props.routes.forEach((route, i) => {
      const group = new elbv2.ApplicationTargetGroup(this, `Target${i}`, {
        targetType: elbv2.TargetType.LAMBDA,
        targets: [new targets.LambdaTarget(route.function)],
      });
      const forward = elbv2.ListenerAction.forward([group]);
      this.listener.addAction(`Route${i}`, {
        priority: FIRST_PRIORITY + i,
        conditions: [elbv2.ListenerCondition.pathPatterns([`${route.pathPrefix}/*`])],
        action: props.auth.mode === 'oauth2' ? elbv2.ListenerAction.authenticateJwt({ issuer: props.auth.issuer, jwksEndpoint: props.auth.jwksEndpoint, next: forward }) : forward,
      });
    });
  }

  /** The load balancer's name for callers: an A/AAAA alias of the certificate's FQDN points here. */
  get dnsName(): string {
    return this.loadBalancer.loadBalancerDnsName;
  }

  /** Requests answered 5xx by the load balancer itself or by the functions, per 5 minutes. */
  metricServerErrors(): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: 'elb + target',
      usingMetrics: {
        elb: this.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(5), statistic: 'Sum' }),
        target: this.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(5), statistic: 'Sum' }),
      },
      label: 'SBI 5xx answers',
      period: Duration.minutes(5),
    });
  }

  /** p99 of the time the functions take to answer (seconds). */
  metricTargetResponseTimeP99(): cloudwatch.IMetric {
    return this.loadBalancer.metrics.targetResponseTime({ period: Duration.minutes(5), statistic: 'p99' });
  }

  /** Client certificates refused at the TLS handshake (mtls mode). */
  metricRejectedCertificates(): cloudwatch.IMetric {
    return this.loadBalancer.metrics.custom('ClientTLSNegotiationErrorCount', { period: Duration.minutes(5), statistic: 'Sum' });
  }
}
