import { describe, expect, it } from 'vitest';
import type { NetworkZone, Tariff } from '../../shared/domain/model.js';
import {
  EU_EEA_MCCS,
  consumesAllowance,
  countryName,
  homePlmnOf,
  isRoaming,
  mccOf,
  zoneOf,
} from '../../shared/domain/networks.js';
import { DEFAULT_TARIFF } from '../../shared/domain/tariff.js';

const HOME = '20801'; // Orange France

describe('mccOf', () => {
  it.each([
    ['20801', '208'],
    ['310410', '310'],
    ['90112', '901'],
  ])('%s -> %s', (plmn, mcc) => {
    expect(mccOf(plmn)).toBe(mcc);
  });

  it.each(['2080', '2080123', 'abcde', '', '20 801'])('refuses %j, naming the rule', (plmn) => {
    expect(() => mccOf(plmn)).toThrow(/must be 5 or 6 digits/);
  });
});

describe('isRoaming', () => {
  it('is false on another network of the home country (same MCC, other MNC)', () => {
    expect(isRoaming('20810', HOME)).toBe(false);
  });

  it('is false on the home network itself', () => {
    expect(isRoaming(HOME, HOME)).toBe(false);
  });

  it('is true across a border, inside the EU as well', () => {
    expect(isRoaming('20610', HOME)).toBe(true);
    expect(isRoaming('22801', HOME)).toBe(true);
  });

  it('compares MCCs whatever the MNC length (3-digit MNC abroad)', () => {
    expect(isRoaming('310410', HOME)).toBe(true);
    expect(isRoaming('208100', HOME)).toBe(false);
  });
});

describe('zoneOf with the default tariff and a French home network', () => {
  it.each<[string, string, NetworkZone]>([
    ['home network', '20801', { kind: 'home' }],
    ['same MCC, other MNC', '20820', { kind: 'home' }],
    ['Belgium (EU)', '20610', { kind: 'rlah', mcc: '206' }],
    ['Germany (EU)', '26201', { kind: 'rlah', mcc: '262' }],
    ['Iceland (EEA)', '27402', { kind: 'rlah', mcc: '274' }],
    ['Norway (EEA)', '24201', { kind: 'rlah', mcc: '242' }],
    ['Liechtenstein (EEA)', '29501', { kind: 'rlah', mcc: '295' }],
    ['Guadeloupe/Martinique (outermost region, own MCC)', '34001', { kind: 'rlah', mcc: '340' }],
    ['Reunion (outermost region, own MCC)', '64710', { kind: 'rlah', mcc: '647' }],
    ['Switzerland (not EU/EEA)', '22801', { kind: 'world', mcc: '228', zone: 'zone-1' }],
    ['United Kingdom 234 (not EU since 2021)', '23415', { kind: 'world', mcc: '234', zone: 'zone-1' }],
    ['United Kingdom 235', '23591', { kind: 'world', mcc: '235', zone: 'zone-1' }],
    ['Monaco (not EU)', '21210', { kind: 'world', mcc: '212', zone: 'zone-1' }],
    ['Andorra (not EU)', '21303', { kind: 'world', mcc: '213', zone: 'zone-1' }],
    ['United States, 3-digit MNC', '310410', { kind: 'world', mcc: '310', zone: 'zone-1' }],
    ['Morocco', '60400', { kind: 'world', mcc: '604', zone: 'zone-2' }],
    ['Japan (no configured zone)', '44010', { kind: 'world', mcc: '440', zone: 'restOfWorld' }],
    ['French Polynesia (overseas country, not EU)', '54720', { kind: 'world', mcc: '547', zone: 'restOfWorld' }],
    ['ship or aircraft network', '90112', { kind: 'nonTerrestrial', mcc: '901' }],
  ])('%s (%s)', (_label, servingPlmn, zone) => {
    expect(zoneOf(servingPlmn, HOME, DEFAULT_TARIFF)).toEqual(zone);
  });

  it('gives no roam-like-at-home to a home network outside the EU/EEA (Swiss subscriber in France)', () => {
    expect(zoneOf('20801', '22801', DEFAULT_TARIFF)).toEqual({ kind: 'world', mcc: '208', zone: 'restOfWorld' });
  });

  it('treats the home country as home even when a world zone lists it', () => {
    const tariff: Tariff = { ...DEFAULT_TARIFF, worldZones: [{ name: 'alpine', mccs: ['208'], prices: DEFAULT_TARIFF.home }] };
    expect(zoneOf('20815', HOME, tariff)).toEqual({ kind: 'home' });
  });

  it('uses the configured world zones of the tariff it is given', () => {
    const tariff: Tariff = {
      ...DEFAULT_TARIFF,
      worldZones: [
        { name: 'asia', mccs: ['440', '441', '460'], prices: DEFAULT_TARIFF.restOfWorld },
        { name: 'asia-again', mccs: ['440'], prices: DEFAULT_TARIFF.restOfWorld },
      ],
    };
    expect(zoneOf('44010', HOME, tariff)).toEqual({ kind: 'world', mcc: '440', zone: 'asia' });
    expect(zoneOf('46000', HOME, tariff)).toEqual({ kind: 'world', mcc: '460', zone: 'asia' });
    // Not in this tariff's zones any more, whatever the default tariff says.
    expect(zoneOf('22801', HOME, tariff)).toEqual({ kind: 'world', mcc: '228', zone: 'restOfWorld' });
  });

  it('keeps EU/EEA networks roam-like-at-home even if a world zone lists them', () => {
    const tariff: Tariff = { ...DEFAULT_TARIFF, worldZones: [{ name: 'benelux', mccs: ['206'], prices: DEFAULT_TARIFF.restOfWorld }] };
    expect(zoneOf('20610', HOME, tariff)).toEqual({ kind: 'rlah', mcc: '206' });
  });
});

describe('EU_EEA_MCCS', () => {
  it('holds the 27 member states, the 3 EEA states and the 2 French outermost-region MCCs', () => {
    expect(EU_EEA_MCCS.size).toBe(32);
  });

  it.each([
    ['228', 'Switzerland'],
    ['234', 'United Kingdom'],
    ['235', 'United Kingdom'],
    ['266', 'Gibraltar'],
    ['212', 'Monaco'],
    ['213', 'Andorra'],
    ['292', 'San Marino'],
    ['225', 'Vatican City'],
    ['288', 'Faroe Islands'],
    ['290', 'Greenland'],
    ['546', 'New Caledonia'],
    ['547', 'French Polynesia'],
    ['308', 'Saint Pierre and Miquelon'],
    ['901', 'international networks'],
  ])('excludes %s (%s)', (mcc) => {
    expect(EU_EEA_MCCS.has(mcc)).toBe(false);
  });
});

describe('consumesAllowance', () => {
  it.each<[NetworkZone, boolean]>([
    [{ kind: 'home' }, true],
    [{ kind: 'rlah', mcc: '206' }, true],
    [{ kind: 'world', mcc: '228', zone: 'zone-1' }, false],
    [{ kind: 'nonTerrestrial', mcc: '901' }, false],
  ])('%j -> %s', (zone, expected) => {
    expect(consumesAllowance(zone)).toBe(expected);
  });
});

describe('countryName', () => {
  it.each([
    ['228', 'Suisse', 'Switzerland'],
    ['234', 'Royaume-Uni', 'United Kingdom'],
    ['206', 'Belgique', 'Belgium'],
    ['310', 'États-Unis', 'United States'],
    ['302', 'Canada', 'Canada'],
    ['604', 'Maroc', 'Morocco'],
    ['605', 'Tunisie', 'Tunisia'],
    ['603', 'Algérie', 'Algeria'],
    ['286', 'Turquie', 'Türkiye'],
    ['212', 'Monaco', 'Monaco'],
    ['213', 'Andorre', 'Andorra'],
    ['440', 'Japon', 'Japan'],
    ['460', 'Chine', 'China'],
    ['505', 'Australie', 'Australia'],
    ['901', 'réseaux internationaux (navires, avions)', 'international networks (ships, aircraft)'],
  ])('%s is %s / %s', (mcc, fr, en) => {
    expect(countryName(mcc, 'fr')).toBe(fr);
    expect(countryName(mcc, 'en')).toBe(en);
  });

  it('names every EU/EEA MCC in both languages', () => {
    for (const mcc of EU_EEA_MCCS) {
      expect(countryName(mcc, 'fr'), mcc).toEqual(expect.any(String));
      expect(countryName(mcc, 'en'), mcc).toEqual(expect.any(String));
    }
  });

  it('names every MCC of the default world zones', () => {
    for (const zone of DEFAULT_TARIFF.worldZones) {
      for (const mcc of zone.mccs) expect(countryName(mcc, 'en'), mcc).toEqual(expect.any(String));
    }
  });

  it('is undefined for an MCC it does not know', () => {
    expect(countryName('999', 'fr')).toBeUndefined();
    expect(countryName('999', 'en')).toBeUndefined();
  });
});

describe('homePlmnOf', () => {
  it("prefers the subscriber's own home PLMN", () => {
    expect(homePlmnOf({ homePlmn: '20610' }, { homePlmn: HOME })).toBe('20610');
  });

  it("falls back to the deployment's home PLMN", () => {
    expect(homePlmnOf({}, { homePlmn: HOME })).toBe(HOME);
  });
});
