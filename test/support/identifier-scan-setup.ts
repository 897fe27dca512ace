/**
 * Setup file of the integration and e2e projects: every handler's logs are switched on (DEBUG) and every JSON
 * log line written in the test file is scanned for the raw identifiers of the subscribers its profile stores
 * saw, and for any phone number or e-mail address. The file fails (afterAll) on any hit. Log lines are kept
 * off the terminal (they were SILENT before); anything else written passes through.
 */
import { writeSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { logger } from '../../shared/observability.js';
import type { ProfileLookup, VersionedProfile } from '../../shared/ports/profile-store.js';
import { IdentifierScan, type IdentifierHit } from './identifier-scan.js';
import { MemoryProfiles } from './ingest-harness.js';
import { MemoryProfileStore } from './memory-line.js';

const scan = new IdentifierScan();
const hits: IdentifierHit[] = [];

/** Registers the ids asked for and the profiles read or written by every method of a profile store class. */
function watch(prototype: object, methods: readonly string[]): void {
  const target = prototype as Record<string, unknown>;
  for (const method of methods) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      for (const arg of args) {
        if (typeof arg === 'string') {
          scan.add(arg, 'subscriber id');
        } else if (Array.isArray(arg)) {
          for (const id of arg) if (typeof id === 'string') scan.add(id, 'subscriber id');
        } else {
          scan.addProfile(arg);
        }
      }
      const result: unknown = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      registerResult(result);
      return result;
    };
  }
}

function registerResult(result: unknown): void {
  if (typeof result !== 'object' || result === null) return;
  const lookup = result as Partial<ProfileLookup>;
  if (lookup.profiles instanceof Map) for (const p of lookup.profiles.values()) scan.addProfile(p);
  const versioned = result as Partial<VersionedProfile>;
  if (versioned.profile !== undefined) scan.addProfile(versioned.profile);
  scan.addProfile(result);
}

const PROFILE_METHODS = ['get', 'getVersioned', 'getMany', 'put', 'delete'] as const;
watch(DynamoProfileStore.prototype, PROFILE_METHODS);
watch(MemoryProfileStore.prototype, PROFILE_METHODS);
watch(MemoryProfiles.prototype, ['getMany']);

// The handlers log through this one logger: at DEBUG, every line any of them can write is written.
logger.setLogLevel('DEBUG');

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text === undefined) return write(chunk, ...rest);
    const before = scan.linesScanned;
    hits.push(...scan.scan(text));
    if (scan.linesScanned === before) return write(chunk, ...rest);
    // A log line: scanned, not shown. The callback, when given, still runs.
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}

afterAll(() => {
  // SPENDCAP_SCAN_SUMMARY=1 prints how much was scanned per test file (to show the check is not vacuous).
  if (process.env.SPENDCAP_SCAN_SUMMARY !== undefined) writeSync(2, `identifier scan: ${scan.linesScanned} log lines, ${hits.length} hits\n`);
  expect(hits, 'raw subscriber identifiers in log output (masked here)').toEqual([]);
});
