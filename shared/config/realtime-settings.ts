/**
 * Settings of the real-time path (online quota and spending limit control), handed to its functions as the
 * JSON in REALTIME_SETTINGS and parsed once at cold start; the deployment configuration (infra/config.ts)
 * validates the same object at synth. Unknown keys are refused.
 */
import * as z from 'zod';
import { ENV } from './env-names.js';
import { DEFAULT_QUOTA_SETTINGS, type QuotaSettings } from '../domain/quota.js';
import { formatIssues, isPlainObject } from '../domain/validation.js';

const int = (min: number, max: number) =>
  z
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });

export const AUTH_MODES = ['mtls', 'oauth2', 'none'] as const;
export type SbiAuthMode = (typeof AUTH_MODES)[number];

const quotaShape = {
    /** Granted when the SMF names no volume (bytes). */
    defaultGrantBytes: int(1_000, 10_000_000_000).default(DEFAULT_QUOTA_SETTINGS.defaultGrantBytes),
    /** No single grant is larger (bytes): what one session holds away from the subscriber's others. */
    maxGrantBytes: int(1_000, 100_000_000_000).default(DEFAULT_QUOTA_SETTINGS.maxGrantBytes),
    /** How long a grant may be used before the SMF reports (seconds). */
    validityTimeSeconds: int(10, 86_400).default(DEFAULT_QUOTA_SETTINGS.validityTimeSeconds),
    /** Idle time after which the SMF reports an unused grant (seconds). */
    quotaHoldingTimeSeconds: int(0, 86_400).default(DEFAULT_QUOTA_SETTINGS.quotaHoldingTimeSeconds),
    /** After a refusal, when the SMF asks again (seconds; sooner when re-authorised after consent). */
    deniedValidityTimeSeconds: int(10, 86_400).default(DEFAULT_QUOTA_SETTINGS.deniedValidityTimeSeconds),
    /** A grant not reported by then (validity + this) is abandoned and returns to the budget (seconds). */
    graceSeconds: int(0, 3_600).default(DEFAULT_QUOTA_SETTINGS.graceSeconds),
    /** What the SMF does when the cap is reached: REDIRECT to the consent page, or TERMINATE. */
    finalUnitAction: z.enum(['REDIRECT', 'TERMINATE'], { error: 'must be "REDIRECT" or "TERMINATE"' }).default(DEFAULT_QUOTA_SETTINGS.finalUnitAction),
    /** Where REDIRECT sends the subscriber; absent: the deployment's selfCareUrl. */
    redirectUrl: z
      .string({ error: 'must be an http(s) URL' })
      .refine((u) => /^https?:\/\/[^/\s]+/.test(u), { error: 'must be an http(s) URL' })
      .optional(),
};

function grantsInOrder(s: { defaultGrantBytes: number; maxGrantBytes: number }, ctx: z.RefinementCtx): void {
  if (s.defaultGrantBytes > s.maxGrantBytes) {
    ctx.addIssue({ code: 'custom', path: ['defaultGrantBytes'], message: 'must not be above maxGrantBytes' });
  }
}

/** The quota settings alone (the deployment configuration derives `auth` from its own key). */
export const quotaSettingsSchema = z.strictObject(quotaShape).superRefine(grantsInOrder);

export const realtimeSettingsSchema = z
  .strictObject({
    ...quotaShape,
    /**
     * How SMFs and PCFs authenticate: `mtls` (the load balancer verifies their client certificates),
     * `oauth2` (the load balancer verifies NRF-issued access tokens, the function checks their scope), or
     * `none` (local runs only).
     */
    auth: z.enum(AUTH_MODES, { error: 'must be "mtls", "oauth2" or "none"' }).default('mtls'),
  })
  .superRefine(grantsInOrder);

export type RealtimeSettingsInput = z.input<typeof realtimeSettingsSchema>;

export interface RealtimeSettings {
  readonly quota: QuotaSettings;
  readonly auth: SbiAuthMode;
}

/** Settings with defaults applied; `selfCareUrl` is the REDIRECT target unless redirectUrl is set. Throws naming the field. */
export function parseRealtimeSettings(input: unknown, selfCareUrl: string): RealtimeSettings {
  const result = realtimeSettingsSchema.safeParse(input ?? {});
  if (!result.success) throw new Error(formatIssues(result.error));
  const { auth, redirectUrl, ...quota } = result.data;
  return { auth, quota: { ...quota, redirectUrl: redirectUrl ?? selfCareUrl } };
}

/** From REALTIME_SETTINGS (JSON); absent means every default. */
export function realtimeSettingsFromEnv(env: NodeJS.ProcessEnv, selfCareUrl: string): RealtimeSettings {
  const raw = env[ENV.realtimeSettings];
  if (raw === undefined || raw.trim() === '') return parseRealtimeSettings({}, selfCareUrl);
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    throw new Error(`${ENV.realtimeSettings}: not valid JSON`);
  }
  if (!isPlainObject(input)) throw new Error(`${ENV.realtimeSettings}: must be a JSON object`);
  try {
    return parseRealtimeSettings(input, selfCareUrl);
  } catch (e: unknown) {
    throw new Error(`${ENV.realtimeSettings}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
