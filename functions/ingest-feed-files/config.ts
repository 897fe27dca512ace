/**
 * Configuration of the file-ingest function, parsed once at cold start. The feed mappings are not an
 * environment variable in AWS: Lambda allows 4 KB of environment per function and the settings take most
 * of it, so the stack bakes the validated mappings into the bundle (esbuild `define` replaces the
 * expression `process.env.SPENDCAP_FEED_MAPPINGS` by the JSON text). Locally and in tests the same
 * expression reads a real variable.
 */
import * as z from 'zod';
import { ENV } from '../../shared/config/env-names.js';
import { parseEnvironment, requiredVariable } from '../../shared/config/environment.js';
import { parseFeedMapping, type FeedMapping } from '../../shared/feeds/mapping-schema.js';

/** The name the bundle's define replaces; written out literally below, where esbuild can see it. */
export const FEED_MAPPINGS_VARIABLE = 'SPENDCAP_FEED_MAPPINGS';

const schema = z.object({
  [ENV.usageStreamArn]: requiredVariable(ENV.usageStreamArn),
  [ENV.feedLedgerTable]: requiredVariable(ENV.feedLedgerTable),
  [ENV.feedQueueUrl]: requiredVariable(ENV.feedQueueUrl).pipe(z.url({ error: `${ENV.feedQueueUrl}: must be the queue URL (https://sqs...)` })),
});

export interface FeedFilesConfig {
  readonly usageStreamArn: string;
  readonly ledgerTable: string;
  readonly queueUrl: string;
  readonly mappings: ReadonlyMap<string, FeedMapping>;
}

export function feedFilesConfigFromEnv(env: NodeJS.ProcessEnv, mappingsJson: string | undefined = process.env.SPENDCAP_FEED_MAPPINGS): FeedFilesConfig {
  const raw = parseEnvironment(schema, env);
  return {
    usageStreamArn: raw[ENV.usageStreamArn],
    ledgerTable: raw[ENV.feedLedgerTable],
    queueUrl: raw[ENV.feedQueueUrl],
    mappings: parseFeedMappings(mappingsJson),
  };
}

/** `{ "<feed>": <mapping> }` as the stack bakes it; each mapping validated again, naming its feed on failure. */
export function parseFeedMappings(json: string | undefined): ReadonlyMap<string, FeedMapping> {
  if (json === undefined || json.trim() === '') throw new Error(`${FEED_MAPPINGS_VARIABLE}: required (the feeds' mappings, JSON)`);
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch (e: unknown) {
    throw new Error(`${FEED_MAPPINGS_VARIABLE}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error(`${FEED_MAPPINGS_VARIABLE}: must be an object of feed -> mapping`);
  const mappings = new Map<string, FeedMapping>();
  for (const [feed, document] of Object.entries(input)) {
    let mapping: FeedMapping;
    try {
      mapping = parseFeedMapping(document);
    } catch (e: unknown) {
      throw new Error(`${FEED_MAPPINGS_VARIABLE}.${feed}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (mapping.feed !== feed) throw new Error(`${FEED_MAPPINGS_VARIABLE}.${feed}: the mapping names feed "${mapping.feed}"`);
    mappings.set(feed, mapping);
  }
  return mappings;
}
