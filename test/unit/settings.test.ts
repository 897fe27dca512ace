import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings, policySettingsSchema, settingsFromEnv } from '../../shared/config/settings.js';
import { ENV } from '../../shared/config/env-names.js';
import { DEFAULT_TARIFF } from '../../shared/domain/tariff.js';

const PRICES = { dataPerMbMicros: 10_000, voicePerMinuteMicros: 0, smsMicros: 0 };
const TARIFF = { currency: 'EUR', home: PRICES, worldZones: [], restOfWorld: PRICES, nonTerrestrial: PRICES };

describe('defaults', () => {
  it('DEFAULT_SETTINGS holds every documented default', () => {
    expect(DEFAULT_SETTINGS).toEqual({
      homePlmn: '20801',
      tariff: DEFAULT_TARIFF,
      billShock: { monthlyFeeMultiplier: 10, minimumMicros: 100_000_000 },
      continueKeyword: { fr: 'CONTINUER', en: 'CONTINUE' },
      selfCareUrl: 'https://selfcare.example.invalid/caps',
      // EUR 1,000: no limit above it is accepted, so none can be an opt-out in disguise.
      maxCapLimitMicros: 1_000_000_000,
    });
  });

  it('fills each absent field, keeping those given', () => {
    const settings = parseSettings({ homePlmn: '20610', billShock: { minimumMicros: 50_000_000 }, continueKeyword: { en: 'GO' } });
    expect(settings.homePlmn).toBe('20610');
    expect(settings.billShock).toEqual({ monthlyFeeMultiplier: 10, minimumMicros: 50_000_000 });
    expect(settings.continueKeyword).toEqual({ fr: 'CONTINUER', en: 'GO' });
    expect(settings.tariff).toEqual(DEFAULT_TARIFF);
  });

  it('takes a whole tariff, defaulting only its currency and world zones', () => {
    const { currency: _currency, worldZones: _zones, ...prices } = TARIFF;
    expect(parseSettings({ tariff: prices }).tariff).toEqual(TARIFF);
  });

  it('returns deeply frozen settings (the domain indexes the tariff once per object)', () => {
    const settings = parseSettings({ tariff: { ...TARIFF, worldZones: [{ name: 'alps', mccs: ['228'], prices: PRICES }] } });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.tariff.home)).toBe(true);
    expect(Object.isFrozen(settings.tariff.worldZones[0]!.mccs)).toBe(true);
  });

  it('accepts a plain-http self-care URL for local runs', () => {
    expect(parseSettings({ selfCareUrl: 'http://localhost:3000/caps' }).selfCareUrl).toBe('http://localhost:3000/caps');
  });

  it('exposes the zod schema for composition', () => {
    expect(policySettingsSchema.safeParse({}).success).toBe(true);
  });
});

describe('parseSettings errors name the fields at fault', () => {
  it.each<[string, unknown, string]>([
    ['a negative price', { tariff: { ...TARIFF, home: { ...PRICES, dataPerMbMicros: -1 } } }, 'tariff.home.dataPerMbMicros: must be an integer >= 0'],
    ['a fractional price', { tariff: { ...TARIFF, nonTerrestrial: { ...PRICES, smsMicros: 0.5 } } }, 'tariff.nonTerrestrial.smsMicros: must be an integer >= 0'],
    ['a missing price', { tariff: { ...TARIFF, restOfWorld: { dataPerMbMicros: 1, smsMicros: 1 } } }, 'tariff.restOfWorld.voicePerMinuteMicros: required'],
    ['a partial tariff', { tariff: { home: PRICES } }, 'tariff.restOfWorld: required; tariff.nonTerrestrial: required'],
    ['a bad currency', { tariff: { ...TARIFF, currency: 'euro' } }, 'tariff.currency: must be an ISO 4217 code (e.g. EUR)'],
    ['a bad home PLMN', { homePlmn: '2080' }, 'homePlmn: must be 5 or 6 digits (MCC + MNC), e.g. 20801'],
    ['a bad MCC in a world zone', { tariff: { ...TARIFF, worldZones: [{ name: 'x', mccs: ['22'], prices: PRICES }] } }, 'tariff.worldZones.0.mccs.0: must be a 3-digit MCC'],
    ['the reserved zone name', { tariff: { ...TARIFF, worldZones: [{ name: 'restOfWorld', mccs: [], prices: PRICES }] } }, 'tariff.worldZones.0.name: "restOfWorld" is reserved (set tariff.restOfWorld)'],
    ['an empty zone name', { tariff: { ...TARIFF, worldZones: [{ name: '', mccs: [], prices: PRICES }] } }, 'tariff.worldZones.0.name: must be a non-empty zone name'],
    [
      'a zone defined twice',
      { tariff: { ...TARIFF, worldZones: [{ name: 'a', mccs: ['228'], prices: PRICES }, { name: 'a', mccs: ['440'], prices: PRICES }] } },
      'tariff.worldZones.1.name: zone "a" is defined twice',
    ],
    [
      'an MCC in two zones',
      { tariff: { ...TARIFF, worldZones: [{ name: 'a', mccs: ['228'], prices: PRICES }, { name: 'b', mccs: ['440', '228'], prices: PRICES }] } },
      'tariff.worldZones.1.mccs.1: MCC 228 is already in zone "a"',
    ],
    [
      'an EU/EEA MCC in a world zone of an EU home network',
      { tariff: { ...TARIFF, worldZones: [{ name: 'a', mccs: ['228', '206'], prices: PRICES }] } },
      'tariff.worldZones.0.mccs.1: MCC 206 is EU/EEA (roam-like-at-home), not a world zone',
    ],
    [
      'the home MCC in a world zone',
      { homePlmn: '20801', tariff: { ...TARIFF, worldZones: [{ name: 'a', mccs: ['208'], prices: PRICES }] } },
      'tariff.worldZones.0.mccs.0: MCC 208 is the home country, not a world zone',
    ],
    ['a fractional multiplier', { billShock: { monthlyFeeMultiplier: 2.5 } }, 'billShock.monthlyFeeMultiplier: must be an integer >= 0'],
    ['a lower-case keyword', { continueKeyword: { fr: 'continuer' } }, 'continueKeyword.fr: must be 2 to 20 letters or digits A-Z 0-9'],
    ['a URL that is not web', { selfCareUrl: 'ftp://example.org/caps' }, 'selfCareUrl: must be an http(s) URL'],
    ['not a URL', { selfCareUrl: 'caps page' }, 'selfCareUrl: must be an http(s) URL'],
    ['an unknown key (a typo)', { homePLMN: '20801' }, 'homePLMN: not allowed'],
    ['an unknown nested key', { tariff: { ...TARIFF, home: { ...PRICES, dataPerMB: 1 } } }, 'tariff.home.dataPerMB: not allowed'],
    ['an array', [], 'must be a JSON object (got an array)'],
    ['null', null, 'must be a JSON object (got null)'],
    ['a wrongly shaped section', { billShock: 3 }, 'billShock: must be an object { monthlyFeeMultiplier, minimumMicros }'],
  ])('%s', (_label, input, message) => {
    expect(() => parseSettings(input)).toThrow(new Error(message));
  });

  it('lets a home network outside the EU/EEA put EU countries in its world zones', () => {
    const settings = parseSettings({ homePlmn: '22801', tariff: { ...TARIFF, worldZones: [{ name: 'eu', mccs: ['208', '206'], prices: PRICES }] } });
    expect(settings.tariff.worldZones[0]!.mccs).toEqual(['208', '206']);
  });

  it('reports every fault at once', () => {
    expect(() => parseSettings({ homePlmn: 'x', selfCareUrl: 'y' })).toThrow(
      new Error('homePlmn: must be 5 or 6 digits (MCC + MNC), e.g. 20801; selfCareUrl: must be an http(s) URL'),
    );
  });
});

describe('settingsFromEnv', () => {
  it(`reads the JSON in ${ENV.settings}`, () => {
    const settings = settingsFromEnv({ [ENV.settings]: JSON.stringify({ homePlmn: '20610', tariff: TARIFF }) });
    expect(settings.homePlmn).toBe('20610');
    expect(settings.tariff).toEqual(TARIFF);
  });

  it('requires the variable: a deployment never runs on default prices by accident', () => {
    expect(() => settingsFromEnv({})).toThrow(new Error('SPENDCAP_SETTINGS: required (JSON of the deployment settings, see shared/config/settings.ts)'));
    expect(() => settingsFromEnv({ [ENV.settings]: '  ' })).toThrow(/^SPENDCAP_SETTINGS: required/);
  });

  it('uses the defaults when absent only on explicit opt-in (local runs)', () => {
    expect(settingsFromEnv({}, { allowDefaults: true })).toBe(DEFAULT_SETTINGS);
  });

  it('parses the variable even with the opt-in when it is set', () => {
    expect(settingsFromEnv({ [ENV.settings]: '{"homePlmn":"26201"}' }, { allowDefaults: true }).homePlmn).toBe('26201');
  });

  it.each([
    ['not JSON', '{homePlmn:', /^SPENDCAP_SETTINGS: not valid JSON \(/],
    ['JSON that is not an object', '[1]', /^SPENDCAP_SETTINGS: must be a JSON object \(got an array\)$/],
    ['a bad field', '{"tariff":{"home":{"dataPerMbMicros":-1,"voicePerMinuteMicros":0,"smsMicros":0},"restOfWorld":{"dataPerMbMicros":1,"voicePerMinuteMicros":1,"smsMicros":1},"nonTerrestrial":{"dataPerMbMicros":1,"voicePerMinuteMicros":1,"smsMicros":1}}}', /^SPENDCAP_SETTINGS: tariff\.home\.dataPerMbMicros: must be an integer >= 0$/],
  ])('names the variable and the fault: %s', (_label, raw, message) => {
    expect(() => settingsFromEnv({ [ENV.settings]: raw })).toThrow(message);
  });

  it('reads process.env by default', () => {
    const saved = process.env[ENV.settings];
    process.env[ENV.settings] = '{"homePlmn":"23415"}';
    try {
      expect(settingsFromEnv().homePlmn).toBe('23415');
    } finally {
      if (saved === undefined) delete process.env[ENV.settings];
      else process.env[ENV.settings] = saved;
    }
  });
});
