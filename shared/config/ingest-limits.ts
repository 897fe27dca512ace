/**
 * The ingest limits of a deployment: the bounds a record must be within (shared/domain/bounds.ts) and how
 * many times records that fail for an unexpected reason are tried before they go to the quarantine. One
 * schema with its defaults, used by the deployment configuration (`ingest.limits`, checked at synth) and by
 * the ingest function (INGEST_LIMITS, parsed at cold start), so the two cannot disagree.
 */
import * as z from 'zod';
import { DEFAULT_BOUNDS as D, type IngestBounds } from '../domain/bounds.js';
import { ENV } from './env-names.js';

const int = (min: number, max: number) =>
  z
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });

export const ingestLimitsSchema = z.strictObject({
  /** How far after its arrival on the stream a record may be stamped (clock and mediation skew). */
  maxAheadSeconds: int(0, 86_400).default(D.maxAheadMs / 1000),
  /**
   * How long a carrier duplicate is recognised, and how old (before its arrival) a record may be. At least
   * the quarantine's retention, so that a held record's key outlives its stay there.
   */
  duplicateWindowDays: int(14, 400).default(D.duplicateWindowMs / 86_400_000),
  /** Per record; the defaults keep every period counter exact (docs/architecture.md, "Bounds"). */
  maxVolumeBytes: int(1, 1_000_000_000_000_000).default(D.maxVolumeBytes),
  maxDurationSeconds: int(1, 31_622_400).default(D.maxDurationSeconds),
  maxSmsCount: int(1, 10_000_000).default(D.maxSmsCount),
  maxChargeMicros: int(1, 1_000_000_000_000_000).default(D.maxChargeMicros),
  /** Attempts at records that fail for an unexpected reason (a bug) before they go to the quarantine. */
  maxRecordAttempts: int(1, 100).default(3),
  /**
   * When the deployment was upgraded from the first release, which kept one claim item per event key
   * (`R#U#<recordId>` / `R#A#<eventId>`): events stamped before it also look their key up there, so that a
   * carrier duplicate of a record counted before the upgrade is still refused. Absent: a deployment that
   * never ran the first release, nothing extra is read.
   */
  perKeyClaimsUntil: z.iso
    .datetime({ offset: true, error: 'must be an RFC 3339 date-time with a zone, e.g. 2026-12-02T09:00:00Z (when the upgrade was deployed)' })
    .optional(),
});

export type IngestLimits = z.output<typeof ingestLimitsSchema>;

export const DEFAULT_INGEST_LIMITS: IngestLimits = ingestLimitsSchema.parse({});

export function boundsOf(limits: IngestLimits): IngestBounds {
  return {
    maxAheadMs: limits.maxAheadSeconds * 1000,
    duplicateWindowMs: limits.duplicateWindowDays * 86_400_000,
    maxVolumeBytes: limits.maxVolumeBytes,
    maxDurationSeconds: limits.maxDurationSeconds,
    maxSmsCount: limits.maxSmsCount,
    maxChargeMicros: limits.maxChargeMicros,
  };
}

/** `perKeyClaimsUntil` as epoch ms; undefined when the deployment has no claims of the first release to read. */
export function perKeyClaimsUntilMsOf(limits: IngestLimits): number | undefined {
  return limits.perKeyClaimsUntil === undefined ? undefined : Date.parse(limits.perKeyClaimsUntil);
}

/** INGEST_LIMITS, or the defaults when it is not set; a bad value fails naming the variable and the key. */
export function ingestLimitsFromEnv(env: NodeJS.ProcessEnv): IngestLimits {
  const text = env[ENV.ingestLimits];
  if (text === undefined || text.trim() === '') return DEFAULT_INGEST_LIMITS;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${ENV.ingestLimits}: not valid JSON`);
  }
  const parsed = ingestLimitsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((i) => `${ENV.ingestLimits}.${i.path.join('.')}: ${i.message}`).join('; '));
}
