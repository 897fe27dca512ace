/**
 * Deployment settings the pure domain needs (home PLMN, tariff, bill-shock rule, how to continue past
 * a cap), handed to every function as the JSON in SPENDCAP_SETTINGS and parsed once at cold start.
 * Unknown keys are refused, so that a misspelt setting fails the deployment instead of being ignored.
 */
import * as z from 'zod';
import { ENV } from './env-names.js';
import type { PolicySettings } from '../domain/model.js';
import { EU_EEA_MCCS, REST_OF_WORLD_ZONE } from '../domain/networks.js';
import { DEFAULT_TARIFF } from '../domain/tariff.js';
import { describeJsonType, formatIssues, integerAtLeast, isPlainObject, rule } from '../domain/validation.js';

const micros = integerAtLeast(0);

/** The default highest spend limit the API accepts: EUR 1,000 per billing period. */
export const DEFAULT_MAX_CAP_LIMIT_MICROS = 1_000_000_000;

const zonePricesSchema = z.strictObject(
  {
    dataPerMbMicros: micros,
    voicePerMinuteMicros: micros,
    smsMicros: micros,
  },
  rule('must be an object { dataPerMbMicros, voicePerMinuteMicros, smsMicros }'),
);

const mccSchema = z.string(rule('must be a 3-digit MCC')).regex(/^[0-9]{3}$/);

const worldZoneSchema = z.strictObject(
  {
    name: z
      .string(rule('must be a non-empty zone name'))
      .min(1)
      .refine((name) => name !== REST_OF_WORLD_ZONE, { error: `"${REST_OF_WORLD_ZONE}" is reserved (set tariff.restOfWorld)` }),
    mccs: z.array(mccSchema, rule('must be an array of 3-digit MCCs')).readonly(),
    prices: zonePricesSchema,
  },
  rule('must be an object { name, mccs, prices }'),
);

/** A tariff is all or nothing: prices of one deployment are not mixed with the default ones. */
const tariffSchema = z
  .strictObject(
    {
      currency: z.string(rule('must be an ISO 4217 code (e.g. EUR)')).regex(/^[A-Z]{3}$/).default('EUR'),
      home: zonePricesSchema,
      worldZones: z.array(worldZoneSchema, rule('must be an array of zones')).readonly().default([]),
      restOfWorld: zonePricesSchema,
      nonTerrestrial: zonePricesSchema,
    },
    rule('must be an object { currency, home, worldZones, restOfWorld, nonTerrestrial }'),
  )
  .superRefine((tariff, ctx) => {
    const zoneOfMcc = new Map<string, string>();
    const names = new Set<string>();
    tariff.worldZones.forEach((zone, z) => {
      if (names.has(zone.name)) {
        ctx.addIssue({ code: 'custom', path: ['worldZones', z, 'name'], message: `zone "${zone.name}" is defined twice` });
      }
      names.add(zone.name);
      zone.mccs.forEach((mcc, m) => {
        const other = zoneOfMcc.get(mcc);
        if (other !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['worldZones', z, 'mccs', m], message: `MCC ${mcc} is already in zone "${other}"` });
        } else {
          zoneOfMcc.set(mcc, zone.name);
        }
      });
    });
  });

const PLMN_RULE = 'must be 5 or 6 digits (MCC + MNC), e.g. 20801';

export const policySettingsSchema = z
  .strictObject(
    {
      homePlmn: z.string(rule(PLMN_RULE)).regex(/^[0-9]{5,6}$/).default('20801'),
      tariff: tariffSchema.default(DEFAULT_TARIFF),
      billShock: z
        .strictObject(
          {
            monthlyFeeMultiplier: integerAtLeast(0).default(10),
            minimumMicros: micros.default(100_000_000),
          },
          rule('must be an object { monthlyFeeMultiplier, minimumMicros }'),
        )
        .default({ monthlyFeeMultiplier: 10, minimumMicros: 100_000_000 }),
      continueKeyword: z
        .strictObject(
          {
            // Upper-case ASCII: what a subscriber types back by SMS, in the GSM-7 alphabet on every handset.
            fr: z.string(rule('must be 2 to 20 letters or digits A-Z 0-9')).regex(/^[A-Z0-9]{2,20}$/).default('CONTINUER'),
            en: z.string(rule('must be 2 to 20 letters or digits A-Z 0-9')).regex(/^[A-Z0-9]{2,20}$/).default('CONTINUE'),
          },
          rule('must be an object { fr, en }'),
        )
        .default({ fr: 'CONTINUER', en: 'CONTINUE' }),
      // `.invalid` (RFC 2606) never resolves: a deployment that forgot to set its own URL shows it at once.
      selfCareUrl: z
        .string(rule('must be an http(s) URL'))
        .refine(isWebUrl, { error: 'must be an http(s) URL' })
        .default('https://selfcare.example.invalid/caps'),
      // The highest spend limit the API accepts (subscriber or operator): a limit of billions is an opt-out in
      // all but name, and an opt-out needs the subscriber's recorded consent. EUR 1,000 by default.
      maxCapLimitMicros: integerAtLeast(1).default(DEFAULT_MAX_CAP_LIMIT_MICROS),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? `must be a JSON object (got ${describeJsonType(issue.input)})` : undefined) },
  )
  .superRefine((settings, ctx) => {
    // With an EU/EEA home, EU/EEA MCCs are roam-like-at-home by law: a world zone listing one would be
    // silently ignored by zoneOf, so it is a configuration mistake worth failing on.
    const homeMcc = settings.homePlmn.slice(0, 3);
    if (!EU_EEA_MCCS.has(homeMcc)) return;
    settings.tariff.worldZones.forEach((zone, z) => {
      zone.mccs.forEach((mcc, m) => {
        if (EU_EEA_MCCS.has(mcc) || mcc === homeMcc) {
          ctx.addIssue({
            code: 'custom',
            path: ['tariff', 'worldZones', z, 'mccs', m],
            message: `MCC ${mcc} is ${mcc === homeMcc ? 'the home country' : 'EU/EEA (roam-like-at-home)'}, not a world zone`,
          });
        }
      });
    });
  });

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Settings with every default applied. Throws an Error naming each field at fault, e.g.
 * `tariff.home.dataPerMbMicros: must be an integer >= 0`. The result is deeply frozen: the domain
 * indexes the tariff once per object and relies on it never changing.
 */
export function parseSettings(input: unknown): PolicySettings {
  const result = policySettingsSchema.safeParse(input);
  if (!result.success) throw new Error(formatIssues(result.error));
  const settings: PolicySettings = result.data;
  return deepFreeze(settings);
}

/** Every default: home PLMN 20801, DEFAULT_TARIFF, bill shock at max(10 x monthly fee, EUR 100). */
export const DEFAULT_SETTINGS: PolicySettings = parseSettings({});

export interface SettingsFromEnvOptions {
  /** Local runs only: an absent SPENDCAP_SETTINGS means DEFAULT_SETTINGS instead of an error. */
  readonly allowDefaults?: boolean;
}

/**
 * Reads the settings from SPENDCAP_SETTINGS (JSON). In a deployment the variable is required: a
 * function that silently ran on the default tariff and home network would rate and cap wrongly.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env, options: SettingsFromEnvOptions = {}): PolicySettings {
  const name = ENV.settings;
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (options.allowDefaults === true) return DEFAULT_SETTINGS;
    throw new Error(`${name}: required (JSON of the deployment settings, see shared/config/settings.ts)`);
  }
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch (e: unknown) {
    throw new Error(`${name}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(input)) {
    throw new Error(`${name}: must be a JSON object (got ${describeJsonType(input)})`);
  }
  try {
    return parseSettings(input);
  } catch (e: unknown) {
    throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
