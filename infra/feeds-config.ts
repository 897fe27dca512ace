/**
 * The `feeds` key of the deployment configuration: usage files (docs/feeds.md). Each feed is a mapping
 * document (a file checked in beside the configuration, or inline) with its health thresholds. The
 * mappings are validated here, at synth, with the schema the function uses, so a mapping mistake fails
 * `cdk synth` naming the feed and the key.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { compileMapping } from '../shared/feeds/map-line.js';
import { parseFeedMapping, type FeedMapping } from '../shared/feeds/mapping-schema.js';

const int = (min: number, max: number) =>
  z
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });

const feedDefinitionSchema = z
  .strictObject({
    /** Path of the mapping document, relative to the directory `cdk` runs in. */
    mappingFile: z.string().min(1).optional(),
    /** The mapping document inline. */
    mapping: z.unknown().optional(),
    /** No file for this long: the feed is silent (alarm). Daily roaming files need a day and some. @default 120 */
    silenceMinutes: int(15, 10_080).default(120),
    /** Records later than this (arrival minus eventTime, at `delayStatistic`): the feed is late (alarm). @default 120 */
    maxDelayMinutes: int(1, 43_200).default(120),
    /** @default "p50" */
    delayStatistic: z.enum(['p50', 'p90', 'p99'], { error: 'must be p50, p90 or p99' }).default('p50'),
    /** Rejected lines per 5 minutes that alarm. @default 1 */
    rejectedLinesThreshold: int(1, 1_000_000).default(1),
  })
  .refine((d) => (d.mappingFile === undefined) !== (d.mapping === undefined), { error: 'must have exactly one of mappingFile, mapping' });

const sftpUserSchema = z.strictObject({
  /** The feed whose folder this user writes to (its home directory). */
  feed: z.string().min(1),
  userName: z.string().regex(/^[\w][\w@.-]{2,99}$/, { error: 'must be 3 to 100 letters, digits, _ @ . -' }),
  /** OpenSSH public keys of the host operator's sender. */
  sshPublicKeys: z.array(z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/, { error: 'must be an OpenSSH public key' })).min(1).max(10),
});

export const feedsConfigSchema = z
  .strictObject({
    definitions: z.array(feedDefinitionSchema).max(20).default([]),
    /** Days a landed file (and a quarantined one) is kept: billing disputes reach back a year. @default 400 */
    retentionDays: int(1, 3_650).default(400),
    /** The file-ingest function's timeout; a file that needs longer continues in a new invocation. @default 900 */
    timeoutSeconds: int(120, 900).default(900),
    /** @default 1024 */
    memorySizeMb: int(256, 10_240).default(1_024),
    /** AWS Transfer Family SFTP in front of the bucket (about USD 220 a month while it exists): off unless asked for. */
    sftp: z
      .strictObject({
        enabled: z.boolean().default(false),
        users: z.array(sftpUserSchema).max(50).default([]),
      })
      .default({ enabled: false, users: [] }),
  })
  .default({ definitions: [], retentionDays: 400, timeoutSeconds: 900, memorySizeMb: 1_024, sftp: { enabled: false, users: [] } });

type FeedsInput = z.output<typeof feedsConfigSchema>;

export interface FeedConfig {
  readonly mapping: FeedMapping;
  readonly silenceMinutes: number;
  readonly maxDelayMinutes: number;
  readonly delayStatistic: 'p50' | 'p90' | 'p99';
  readonly rejectedLinesThreshold: number;
}

export interface FeedsConfig extends Omit<FeedsInput, 'definitions'> {
  readonly definitions: readonly FeedConfig[];
}

/**
 * Reads and validates each feed's mapping. Returns the reasons (`definitions[0].mappingFile: ...`) instead of
 * throwing, so that the deployment configuration reports them with its own prefix.
 */
export function resolveFeeds(input: FeedsInput, readFile: (path: string) => string = (path) => readFileSync(resolve(path), 'utf8')): { feeds: FeedsConfig } | { errors: string[] } {
  const errors: string[] = [];
  const definitions: FeedConfig[] = [];
  input.definitions.forEach((definition, i) => {
    const where = `definitions.${i}`;
    let document: unknown = definition.mapping;
    if (definition.mappingFile !== undefined) {
      try {
        document = JSON.parse(readFile(definition.mappingFile));
      } catch (e: unknown) {
        errors.push(`${where}.mappingFile: cannot read ${definition.mappingFile} (${e instanceof Error ? e.message : String(e)})`);
        return;
      }
    }
    let mapping: FeedMapping;
    try {
      mapping = parseFeedMapping(document);
      compileMapping(mapping);
    } catch (e: unknown) {
      const reasons = (e instanceof Error ? e.message : String(e)).split('; ');
      errors.push(...reasons.map((reason) => `${where}.mapping.${reason}`));
      return;
    }
    if (definitions.some((d) => d.mapping.feed === mapping.feed)) {
      errors.push(`${where}: feed "${mapping.feed}" is defined twice`);
      return;
    }
    const { mappingFile: _file, mapping: _inline, ...health } = definition;
    definitions.push({ mapping, ...health });
  });
  const feeds = new Set(definitions.map((d) => d.mapping.feed));
  input.sftp.users.forEach((user, i) => {
    if (!feeds.has(user.feed)) errors.push(`sftp.users.${i}.feed: no feed "${user.feed}" is defined`);
  });
  return errors.length > 0 ? { errors } : { feeds: { ...input, definitions } };
}

/**
 * CloudWatch alarm window for "no file for `minutes`": periods of 5 minutes up to a day (a period under an
 * hour may span a day at most), periods of an hour beyond (up to the 7 days CloudWatch allows).
 */
export function silenceWindow(minutes: number): { periodMinutes: number; evaluationPeriods: number } {
  if (minutes <= 1_440) {
    const periodMinutes = minutes % 5 === 0 ? 5 : 1;
    return { periodMinutes, evaluationPeriods: Math.ceil(minutes / periodMinutes) };
  }
  return { periodMinutes: 60, evaluationPeriods: Math.min(168, Math.ceil(minutes / 60)) };
}
