/**
 * Deployment configuration of one spendcap stack: read from the cdk.json context key `spendcap` (or from the
 * JSON file that the context key `spendcapConfigFile` names), validated with zod at synth. A mistake fails
 * `cdk synth` with the key at fault (`spendcap.carrier.endpointUrl: must be an https:// URL`) instead of
 * producing a stack that rates, caps or alerts wrongly.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import type { PolicySettings } from '../shared/domain/model.js';
import { formatIssues, isPlainObject, EMAIL_PATTERN } from '../shared/domain/validation.js';
import { parseSettings } from '../shared/config/settings.js';
import { DEPLOYMENT_WARNING_NAMES } from './deployment-warnings.js';
import { quotaSettingsSchema } from '../shared/config/realtime-settings.js';
import { feedsConfigSchema, resolveFeeds, type FeedsConfig } from './feeds-config.js';
import { DEFAULT_INGEST_LIMITS, ingestLimitsSchema } from '../shared/config/ingest-limits.js';
import { INGEST_DEFAULTS } from './constructs/ingest.js';
import { ALARM_DEFAULTS } from './constructs/monitoring.js';
import { LOG_RETENTION_DEFAULT } from './constructs/spendcap-function.js';

/** Context keys the app reads. */
export const CONFIG_CONTEXT_KEY = 'spendcap';
export const CONFIG_FILE_CONTEXT_KEY = 'spendcapConfigFile';

/** Retention values that CloudWatch Logs accepts (a log group with any other value fails at deploy). */
const LOG_RETENTION_DAYS = Object.values(RetentionDays).filter((d): d is number => typeof d === 'number' && d > 0);

const int = (min: number, max: number) =>
  z.number({ error: `must be an integer from ${min} to ${max}` }).int({ error: `must be an integer from ${min} to ${max}` }).min(min, {
    error: `must be an integer from ${min} to ${max}`,
  }).max(max, { error: `must be an integer from ${min} to ${max}` });

/**
 * Alphanumeric sender ID as SNS accepts it: 1 to 11 characters, letters and digits (no spaces), at least one
 * letter. Whether a country honours it (and whether it must be registered first) is the operator's to check.
 */
const senderIdSchema = z
  .string({ error: 'must be 1 to 11 letters or digits with at least one letter' })
  .regex(/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/, { error: 'must be 1 to 11 letters or digits with at least one letter' });

const httpsUrl = z
  .string({ error: 'must be an https:// URL' })
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'https:' && url.hostname !== '';
    } catch {
      return false;
    }
  }, { error: 'must be an https:// URL' });

const carrierSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({
      /** Carrier commands are events on a bus of this stack; the operator wires a rule to its own system. */
      mode: z.literal('eventbridge'),
    }),
    z.strictObject({
      /** Carrier commands are POSTed to the host operator's provisioning endpoint with the secret's credentials. */
      mode: z.literal('https'),
      endpointUrl: httpsUrl,
    }),
    z.strictObject({
      /** The operator's PCF enforces the bars: commands become policy counter statuses (needs `realtime`). */
      mode: z.literal('nchf'),
    }),
  ],
  { error: 'must be { "mode": "eventbridge" }, { "mode": "https", "endpointUrl": "https://..." } or { "mode": "nchf" }' },
);

const streamSchema = z
  .strictObject({
    /** `onDemand` scales shards by itself (no capacity planning); `provisioned` is cheaper at steady high volume. */
    capacityMode: z.enum(['onDemand', 'provisioned'], { error: 'must be "onDemand" or "provisioned"' }).default('onDemand'),
    /** Only with capacityMode provisioned. */
    shardCount: int(1, 500).optional(),
    /** How long events stay replayable on the stream (24 h is the cheapest). */
    retentionHours: int(24, 8760).default(24),
  })
  .superRefine((stream, ctx) => {
    if (stream.capacityMode === 'provisioned' && stream.shardCount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shardCount'], message: 'required when capacityMode is "provisioned"' });
    }
    if (stream.capacityMode === 'onDemand' && stream.shardCount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['shardCount'], message: 'only allowed when capacityMode is "provisioned"' });
    }
  });

const ingestSchema = z.strictObject({
  /** Records per invocation (Kinesis allows up to 10,000). */
  batchSize: int(1, 10_000).default(INGEST_DEFAULTS.batchSize),
  /** Waits up to this long to fill a batch: fewer, larger writes per subscriber. */
  maxBatchingWindowSeconds: int(0, 300).default(INGEST_DEFAULTS.maxBatchingWindowSeconds),
  /** Concurrent batches per shard (1-10); ordering per subscriber still holds (partition key = subscriberId). */
  parallelizationFactor: int(1, 10).default(INGEST_DEFAULTS.parallelizationFactor),
  /** Retries of a failing batch before its records go to the on-failure queue (bisected on each error). */
  retryAttempts: int(0, 10_000).default(INGEST_DEFAULTS.retryAttempts),
  /** Records older than this go to the on-failure queue instead of being retried (60 s to 7 days). */
  maxRecordAgeSeconds: int(60, 604_800).default(INGEST_DEFAULTS.maxRecordAgeSeconds),
  memorySizeMb: int(128, 10_240).default(INGEST_DEFAULTS.memorySizeMb),
  timeoutSeconds: int(1, 900).default(INGEST_DEFAULTS.timeoutSeconds),
  /** Time and size bounds of a record, and attempts at a failing one before the quarantine (docs/architecture.md, "Bounds"). */
  limits: ingestLimitsSchema.default(DEFAULT_INGEST_LIMITS),
  /** Days a quarantined record stays there, redrivable (SQS keeps a message 14 days at most). */
  quarantineRetentionDays: int(1, 14).default(INGEST_DEFAULTS.quarantineRetentionDays),
});

const alarmsSchema = z.strictObject({
  /** Iterator age above which events are late enough for an operator to look (ms). */
  iteratorAgeMs: int(1_000, 86_400_000).default(ALARM_DEFAULTS.iteratorAgeMs),
  /** Failed SMS deliveries per 5 minutes before the ops team is told. */
  smsFailuresPer5Min: int(1, 1_000_000).default(ALARM_DEFAULTS.smsFailuresPer5Min),
  /** Quarantined events (visible messages) that alarm: 1 = every rejected event gets looked at. */
  quarantineDepth: int(1, 1_000_000).default(ALARM_DEFAULTS.quarantineDepth),
  /** Age of the oldest quarantined record that alarms: redrive or decide before the retention drops it. */
  quarantineAgeHours: int(1, 336).default(ALARM_DEFAULTS.quarantineAgeHours),
});

/**
 * AWS tag rules (Tagging AWS resources, "Tag naming limits"): keys 1-128 and values 0-256 characters of
 * letters, digits, spaces and `_ . : / = + - @`; the `aws:` prefix is reserved; 50 tags per resource.
 */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const tagsSchema = z
  .record(
    z
      .string()
      .min(1, { error: 'tag keys must be 1 to 128 characters' })
      .max(128, { error: 'tag keys must be 1 to 128 characters' })
      .regex(TAG_CHARACTERS, { error: 'tag keys may hold letters, digits, spaces and _ . : / = + - @' })
      .refine((key) => !key.toLowerCase().startsWith('aws:'), { error: 'tag keys may not start with "aws:" (reserved)' }),
    z
      .string({ error: 'must be a string of at most 256 characters' })
      .max(256, { error: 'must be a string of at most 256 characters' })
      .regex(TAG_CHARACTERS, { error: 'tag values may hold letters, digits, spaces and _ . : / = + - @' }),
    {
      // A key's own rule says what is wrong with it; the record's message is only for a value that is no object.
      error: (issue) =>
        issue.code === 'invalid_key'
          ? (issue.issues[0]?.message ?? 'invalid tag key')
          : issue.code === 'invalid_type'
            ? 'must be an object of tag names to string values'
            : undefined,
    },
  )
  .refine((tags) => Object.keys(tags).length <= 50, { error: 'at most 50 tags (the AWS limit per resource)' });

const emailAddress = z.string({ error: 'must be an e-mail address' }).regex(EMAIL_PATTERN, { error: 'must be an e-mail address' });

const mailerSchema = z
  .strictObject({
    /** Deliver subscribers' e-mail warnings with Amazon SES (a function subscribed to the e-mail topic). */
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    /** Sender address; its domain (or the address itself) must be a verified SES identity in the region. */
    fromAddress: emailAddress.optional(),
  })
  .superRefine((mailer, ctx) => {
    if (mailer.enabled && mailer.fromAddress === undefined) {
      ctx.addIssue({ code: 'custom', path: ['fromAddress'], message: 'required when enabled is true' });
    }
  });

const cidrSchema = z
  .string({ error: 'must be an IPv4 CIDR block, e.g. 10.20.0.0/16' })
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/, { error: 'must be an IPv4 CIDR block, e.g. 10.20.0.0/16' });

/**
 * The real-time path for operators with a 5G core (docs/realtime.md): off unless enabled. The quota keys are
 * those of shared/config/realtime-settings.ts (validated by the same schema the functions use).
 */
const realtimeSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    /** ACM certificate (same region) of the FQDN the SMFs and PCFs connect to. */
    certificateArn: z
      .string({ error: 'must be an ACM certificate ARN' })
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, { error: 'must be an ACM certificate ARN' })
      .optional(),
    auth: z
      .discriminatedUnion(
        'mode',
        [
          z.strictObject({
            mode: z.literal('mtls'),
            /** Bucket and key of the PEM bundle of the CAs that sign the SMF/PCF client certificates. */
            trustStoreBucket: z.string({ error: 'must be an S3 bucket name' }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name' }),
            trustStoreKey: z.string({ error: 'must be an S3 object key' }).min(1, { error: 'must be an S3 object key' }),
          }),
          z.strictObject({
            mode: z.literal('oauth2'),
            /** The NRF's issuer (`iss` of its access tokens) and JWKS endpoint. */
            issuer: httpsUrl,
            jwksEndpoint: httpsUrl,
          }),
        ],
        { error: 'must be { "mode": "mtls", "trustStoreBucket", "trustStoreKey" } or { "mode": "oauth2", "issuer", "jwksEndpoint" }' },
      )
      .optional(),
    /** Address ranges of the SMFs and PCFs. */
    ingressCidrs: z.array(cidrSchema, { error: 'must be an array of CIDR blocks' }).default([]),
    /** Internet-facing load balancer instead of an internal one. */
    internetFacing: z.boolean({ error: 'must be true or false' }).default(false),
    /** The quota settings; how SMFs and PCFs authenticate comes from `auth.mode`, not from here. */
    quota: quotaSettingsSchema.default(quotaSettingsSchema.parse({})),
  })
  .superRefine((r, ctx) => {
    if (!r.enabled) return;
    if (r.certificateArn === undefined) ctx.addIssue({ code: 'custom', path: ['certificateArn'], message: 'required when enabled' });
    if (r.auth === undefined) ctx.addIssue({ code: 'custom', path: ['auth'], message: 'required when enabled (mtls or oauth2)' });
    if (r.ingressCidrs.length === 0) ctx.addIssue({ code: 'custom', path: ['ingressCidrs'], message: 'required when enabled (at least one CIDR block)' });
  });

/** The raw shape; `policy` is validated by the settings schema the functions themselves use. */
const deploymentConfigInputSchema = z.strictObject({
  /** CloudFormation stack name. */
  stackName: z
    .string({ error: 'must be 1 to 128 letters, digits or hyphens, starting with a letter' })
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, { error: 'must be 1 to 128 letters, digits or hyphens, starting with a letter' })
    .default('Spendcap'),
  /** Target account/region; absent = the CLI's (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION), or env-agnostic. */
  account: z.string({ error: 'must be a 12-digit AWS account id' }).regex(/^[0-9]{12}$/, { error: 'must be a 12-digit AWS account id' }).optional(),
  region: z.string({ error: 'must be an AWS region, e.g. eu-west-3' }).regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, { error: 'must be an AWS region, e.g. eu-west-3' }).optional(),
  /** PolicySettings input (home PLMN, tariff, bill-shock rule, continue keyword, self-care URL). */
  policy: z.unknown().optional(),
  sms: z
    .strictObject({
      senderId: senderIdSchema.default('Spendcap'),
      /**
       * Whether the stack creates SNS's SMS delivery status log groups (they record destination numbers) with the
       * log retention: false when they already exist in the account and region (another stack's, or created by SNS).
       */
      createDeliveryLogGroups: z.boolean({ error: 'must be true or false' }).default(true),
    })
    .default({ senderId: 'Spendcap', createDeliveryLogGroups: true }),
  carrier: carrierSchema.default({ mode: 'eventbridge' }),
  ops: z
    .strictObject({
      /** Addresses subscribed to the ops topic (alarms, bill-shock alerts); each confirms by e-mail. */
      emails: z
        .array(z.string({ error: 'must be an e-mail address' }).regex(EMAIL_PATTERN, { error: 'must be an e-mail address' }), {
          error: 'must be an array of e-mail addresses',
        })
        .default([]),
    })
    .default({ emails: [] }),
  logs: z
    .strictObject({
      retentionDays: z
        .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
        .refine((d) => LOG_RETENTION_DAYS.includes(d), { error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
        .default(LOG_RETENTION_DEFAULT),
    })
    .default({ retentionDays: LOG_RETENTION_DEFAULT }),
  stream: streamSchema.default({ capacityMode: 'onDemand', retentionHours: 24 }),
  ingest: ingestSchema.default(ingestSchema.parse({})),
  alarms: alarmsSchema.default(alarmsSchema.parse({})),
  /** Stack tags: CloudFormation copies them onto every resource that supports tags (cost allocation). */
  tags: tagsSchema.default({}),
  /** CloudFormation termination protection: `cdk destroy` and stack deletion fail until it is turned off. */
  terminationProtection: z.boolean({ error: 'must be true or false' }).default(true),
  mailer: mailerSchema.default({ enabled: false }),
  /** Synth warnings accepted on purpose (infra/deployment-warnings.ts), each with its reason. */
  acknowledgedWarnings: z
    .partialRecord(
      z.enum(DEPLOYMENT_WARNING_NAMES),
      z.string({ error: 'must say why the warning is accepted' }).trim().min(1, { error: 'must say why the warning is accepted' }),
      {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? `unknown warning (one of ${DEPLOYMENT_WARNING_NAMES.join(', ')})`
            : issue.code === 'invalid_type'
              ? 'must be an object of warning names to reasons'
              : undefined,
      },
    )
    .default({}),
  realtime: realtimeSchema.default(realtimeSchema.parse({})),
  /** Usage files on S3 with a mapping per feed (docs/feeds.md); none by default. */
  feeds: feedsConfigSchema,
})
  .superRefine((c, ctx) => {
    if (c.carrier.mode === 'nchf' && !c.realtime.enabled) {
      ctx.addIssue({ code: 'custom', path: ['carrier', 'mode'], message: '"nchf" needs realtime.enabled (the PCFs subscribe through it)' });
    }
  });

type DeploymentConfigInput = z.output<typeof deploymentConfigInputSchema>;

/** The validated deployment configuration, every default applied. */
export interface DeploymentConfig extends Omit<DeploymentConfigInput, 'policy' | 'logs' | 'feeds'> {
  readonly policy: PolicySettings;
  readonly feeds: FeedsConfig;
  readonly logs: { readonly retentionDays: RetentionDays };
}

/** A configuration mistake: the message names each key at fault, prefixed with the context key. */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
}

/**
 * Validates a deployment configuration object. Throws DeploymentConfigError naming every key at fault,
 * e.g. `spendcap.ingest.batchSize: must be an integer from 1 to 10000`.
 */
export function parseDeploymentConfig(input: unknown, source = CONFIG_CONTEXT_KEY): DeploymentConfig {
  if (input !== undefined && !isPlainObject(input)) {
    throw new DeploymentConfigError(`${source}: must be a JSON object`);
  }
  const result = deploymentConfigInputSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new DeploymentConfigError(prefixed(source, formatIssues(result.error)));
  }
  if (result.data.policy !== undefined && !isPlainObject(result.data.policy)) {
    throw new DeploymentConfigError(`${source}.policy: must be a JSON object`);
  }
  let policy: PolicySettings;
  try {
    policy = parseSettings(result.data.policy ?? {});
  } catch (e: unknown) {
    throw new DeploymentConfigError(prefixed(`${source}.policy`, e instanceof Error ? e.message : String(e)));
  }
  const feeds = resolveFeeds(result.data.feeds);
  if ('errors' in feeds) throw new DeploymentConfigError(feeds.errors.map((reason) => `${source}.feeds.${reason}`).join('; '));
  return { ...result.data, policy, feeds: feeds.feeds, logs: { retentionDays: result.data.logs.retentionDays as RetentionDays } };
}

/**
 * Reads the configuration from the construct tree's context: the file named by `spendcapConfigFile`
 * (relative to the working directory) when set, else the `spendcap` object.
 */
export function loadDeploymentConfig(node: Node): DeploymentConfig {
  const file: unknown = node.tryGetContext(CONFIG_FILE_CONTEXT_KEY);
  if (file !== undefined) {
    if (typeof file !== 'string' || file.trim() === '') {
      throw new DeploymentConfigError(`${CONFIG_FILE_CONTEXT_KEY}: must be the path of a JSON file`);
    }
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (e: unknown) {
      throw new DeploymentConfigError(`${CONFIG_FILE_CONTEXT_KEY}: cannot read ${file} (${e instanceof Error ? e.message : String(e)})`);
    }
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (e: unknown) {
      throw new DeploymentConfigError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    return parseDeploymentConfig(input, file);
  }
  return parseDeploymentConfig(node.tryGetContext(CONFIG_CONTEXT_KEY));
}

/** formatIssues gives `path: rule` per issue (joined by `; `); every issue here has a path below the root. */
function prefixed(source: string, reasons: string): string {
  return reasons
    .split('; ')
    .map((reason) => (/^and \d+ more$/.test(reason) ? reason : `${source}.${reason}`))
    .join('; ');
}
