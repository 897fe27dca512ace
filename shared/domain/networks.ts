/**
 * Networks and zones: where a subscriber is, seen from its home network, and so which prices and
 * which rules (roam-like-at-home or not) apply to its usage.
 *
 * Sources:
 * - MCCs: ITU-T Recommendation E.212, "List of Mobile Country Codes", Annex to ITU Operational
 *   Bulletin (the complement of E.212; the version in force when this table was written).
 * - Roam-like-at-home scope: Regulation (EU) 2022/612 (roaming recast), Art. 4 and recitals, applying
 *   to the Member States, incorporated into the EEA Agreement for Iceland, Liechtenstein and Norway.
 *   The outermost regions (Art. 349 TFEU: Guadeloupe, French Guiana, Martinique, Reunion, Mayotte,
 *   Saint-Martin, the Azores, Madeira, the Canary Islands) are part of the Union; they keep their
 *   national MCCs except the French ones, which have MCCs of their own (340, 647).
 *   Not EU/EEA (roaming there is charged as in the rest of the world): Switzerland, the United Kingdom
 *   and Gibraltar, Monaco, Andorra, San Marino, Vatican City, the Faroe Islands, Greenland, and the
 *   overseas countries and territories (French Polynesia, New Caledonia, Saint-Pierre-et-Miquelon, ...).
 *
 * Why a table of our own rather than a package: the maintained MCC/MNC datasets on npm
 * (e.g. mcc-mnc-list) are MNC-level lists of a few thousand entries in English only, which would weigh
 * on every Lambda bundle, and none says which MCCs the EU roaming rules cover: that is a legal fact we
 * must own and cite anyway.
 */
import type { Locale, NetworkZone, PolicySettings, SubscriberProfile, Tariff } from './model.js';

/** MCC of the networks on ships and aircraft (E.212 "International Mobile, shared code"). */
export const NON_TERRESTRIAL_MCC = '901';

/** Name of the implicit world zone for any MCC that no configured world zone lists. */
export const REST_OF_WORLD_ZONE = 'restOfWorld';

/**
 * MCCs where roam-like-at-home applies (EU 27 + EEA 3, and the French outermost regions' own MCCs).
 * 340 also covers Saint-Barthelemy (an overseas country, not EU since 2012): carriers there use the
 * same MCC as Guadeloupe and Martinique, so it cannot be told apart by MCC and is treated as EU.
 */
export const EU_EEA_MCCS: ReadonlySet<string> = new Set([
  '232', // Austria
  '206', // Belgium
  '284', // Bulgaria
  '219', // Croatia
  '280', // Cyprus
  '230', // Czechia
  '238', // Denmark (not the Faroe Islands 288 nor Greenland 290)
  '248', // Estonia
  '244', // Finland (incl. Aland)
  '208', // France (metropolitan)
  '340', // French Antilles and French Guiana (outermost regions)
  '647', // Reunion and Mayotte (outermost regions)
  '262', // Germany
  '202', // Greece
  '216', // Hungary
  '272', // Ireland
  '222', // Italy (not San Marino 292 nor Vatican City 225)
  '247', // Latvia
  '246', // Lithuania
  '270', // Luxembourg
  '278', // Malta
  '204', // Netherlands (not the Caribbean Netherlands 362)
  '260', // Poland
  '268', // Portugal (incl. Azores and Madeira)
  '226', // Romania
  '231', // Slovakia
  '293', // Slovenia
  '214', // Spain (incl. Canary Islands, Ceuta, Melilla)
  '240', // Sweden
  '274', // Iceland (EEA)
  '295', // Liechtenstein (EEA)
  '242', // Norway (EEA)
]);

/** Country names by MCC: [English, French]. EU/EEA countries and the common destinations. */
const COUNTRY_NAMES: ReadonlyMap<string, readonly [en: string, fr: string]> = new Map<string, readonly [string, string]>([
  // EU/EEA
  ['232', ['Austria', 'Autriche']],
  ['206', ['Belgium', 'Belgique']],
  ['284', ['Bulgaria', 'Bulgarie']],
  ['219', ['Croatia', 'Croatie']],
  ['280', ['Cyprus', 'Chypre']],
  ['230', ['Czechia', 'Tchéquie']],
  ['238', ['Denmark', 'Danemark']],
  ['248', ['Estonia', 'Estonie']],
  ['244', ['Finland', 'Finlande']],
  ['208', ['France', 'France']],
  ['340', ['French Antilles and French Guiana', 'Antilles françaises et Guyane']],
  ['647', ['Reunion and Mayotte', 'La Réunion et Mayotte']],
  ['262', ['Germany', 'Allemagne']],
  ['202', ['Greece', 'Grèce']],
  ['216', ['Hungary', 'Hongrie']],
  ['272', ['Ireland', 'Irlande']],
  ['222', ['Italy', 'Italie']],
  ['247', ['Latvia', 'Lettonie']],
  ['246', ['Lithuania', 'Lituanie']],
  ['270', ['Luxembourg', 'Luxembourg']],
  ['278', ['Malta', 'Malte']],
  ['204', ['Netherlands', 'Pays-Bas']],
  ['260', ['Poland', 'Pologne']],
  ['268', ['Portugal', 'Portugal']],
  ['226', ['Romania', 'Roumanie']],
  ['231', ['Slovakia', 'Slovaquie']],
  ['293', ['Slovenia', 'Slovénie']],
  ['214', ['Spain', 'Espagne']],
  ['240', ['Sweden', 'Suède']],
  ['274', ['Iceland', 'Islande']],
  ['295', ['Liechtenstein', 'Liechtenstein']],
  ['242', ['Norway', 'Norvège']],
  // Europe outside the EU/EEA
  ['228', ['Switzerland', 'Suisse']],
  ['234', ['United Kingdom', 'Royaume-Uni']],
  ['235', ['United Kingdom', 'Royaume-Uni']],
  ['266', ['Gibraltar', 'Gibraltar']],
  ['212', ['Monaco', 'Monaco']],
  ['213', ['Andorra', 'Andorre']],
  ['292', ['San Marino', 'Saint-Marin']],
  ['225', ['Vatican City', 'Vatican']],
  ['288', ['Faroe Islands', 'Îles Féroé']],
  ['290', ['Greenland', 'Groenland']],
  ['286', ['Türkiye', 'Turquie']],
  ['220', ['Serbia', 'Serbie']],
  ['297', ['Montenegro', 'Monténégro']],
  ['276', ['Albania', 'Albanie']],
  ['218', ['Bosnia and Herzegovina', 'Bosnie-Herzégovine']],
  ['294', ['North Macedonia', 'Macédoine du Nord']],
  ['255', ['Ukraine', 'Ukraine']],
  ['259', ['Moldova', 'Moldavie']],
  ['282', ['Georgia', 'Géorgie']],
  ['250', ['Russia', 'Russie']],
  // Americas
  ['310', ['United States', 'États-Unis']],
  ['311', ['United States', 'États-Unis']],
  ['312', ['United States', 'États-Unis']],
  ['313', ['United States', 'États-Unis']],
  ['314', ['United States', 'États-Unis']],
  ['315', ['United States', 'États-Unis']],
  ['316', ['United States', 'États-Unis']],
  ['302', ['Canada', 'Canada']],
  ['334', ['Mexico', 'Mexique']],
  ['724', ['Brazil', 'Brésil']],
  ['722', ['Argentina', 'Argentine']],
  ['308', ['Saint Pierre and Miquelon', 'Saint-Pierre-et-Miquelon']],
  // Africa and the Middle East
  ['604', ['Morocco', 'Maroc']],
  ['605', ['Tunisia', 'Tunisie']],
  ['603', ['Algeria', 'Algérie']],
  ['602', ['Egypt', 'Égypte']],
  ['608', ['Senegal', 'Sénégal']],
  ['612', ["Côte d'Ivoire", "Côte d'Ivoire"]],
  ['655', ['South Africa', 'Afrique du Sud']],
  ['425', ['Israel', 'Israël']],
  ['424', ['United Arab Emirates', 'Émirats arabes unis']],
  ['430', ['United Arab Emirates', 'Émirats arabes unis']],
  ['431', ['United Arab Emirates', 'Émirats arabes unis']],
  ['420', ['Saudi Arabia', 'Arabie saoudite']],
  // Asia and Oceania
  ['440', ['Japan', 'Japon']],
  ['441', ['Japan', 'Japon']],
  ['460', ['China', 'Chine']],
  ['461', ['China', 'Chine']],
  ['450', ['South Korea', 'Corée du Sud']],
  ['454', ['Hong Kong', 'Hong Kong']],
  ['525', ['Singapore', 'Singapour']],
  ['520', ['Thailand', 'Thaïlande']],
  ['452', ['Vietnam', 'Viêt Nam']],
  ['404', ['India', 'Inde']],
  ['405', ['India', 'Inde']],
  ['406', ['India', 'Inde']],
  ['505', ['Australia', 'Australie']],
  ['530', ['New Zealand', 'Nouvelle-Zélande']],
  ['546', ['New Caledonia', 'Nouvelle-Calédonie']],
  ['547', ['French Polynesia', 'Polynésie française']],
  ['543', ['Wallis and Futuna', 'Wallis-et-Futuna']],
  // Ships and aircraft
  [NON_TERRESTRIAL_MCC, ['international networks (ships, aircraft)', 'réseaux internationaux (navires, avions)']],
]);

const PLMN_PATTERN = /^[0-9]{5,6}$/;

/** The Mobile Country Code: the first 3 digits of a PLMN (MCC + 2- or 3-digit MNC). */
export function mccOf(plmn: string): string {
  if (!PLMN_PATTERN.test(plmn)) {
    throw new Error(`PLMN "${plmn}": must be 5 or 6 digits (MCC + MNC)`);
  }
  return plmn.slice(0, 3);
}

/** The subscriber's own home PLMN, else the deployment's (the MVNO's host network). */
export function homePlmnOf(profile: Pick<SubscriberProfile, 'homePlmn'>, settings: Pick<PolicySettings, 'homePlmn'>): string {
  return profile.homePlmn ?? settings.homePlmn;
}

/**
 * Roaming = served in another country. Another network of the home country (national roaming,
 * another MNC of the same MCC) is not roaming in the sense of the EU rules nor of the caps.
 */
export function isRoaming(servingPlmn: string, homePlmn: string): boolean {
  return mccOf(servingPlmn) !== mccOf(homePlmn);
}

/** Per tariff (configuration is immutable once parsed): MCC -> world zone name, built once. */
const worldZoneIndex = new WeakMap<Tariff, ReadonlyMap<string, string>>();

function worldZoneOf(mcc: string, tariff: Tariff): string {
  let index = worldZoneIndex.get(tariff);
  if (index === undefined) {
    const built = new Map<string, string>();
    for (const zone of tariff.worldZones) {
      for (const zoneMcc of zone.mccs) {
        // First listing wins, so a configuration that lists an MCC twice stays deterministic.
        if (!built.has(zoneMcc)) built.set(zoneMcc, zone.name);
      }
    }
    worldZoneIndex.set(tariff, built);
    index = built;
  }
  return index.get(mcc) ?? REST_OF_WORLD_ZONE;
}

/**
 * The zone of a serving network for a subscriber of `homePlmn`.
 * Roam-like-at-home only applies to a home network that is itself in the EU/EEA: a Swiss subscriber
 * in France is in the rest of the world. EU/EEA membership takes precedence over the configured
 * world zones, as the regulation does over any commercial zoning.
 */
export function zoneOf(servingPlmn: string, homePlmn: string, tariff: Tariff): NetworkZone {
  const mcc = mccOf(servingPlmn);
  const homeMcc = mccOf(homePlmn);
  if (mcc === homeMcc) return { kind: 'home' };
  if (mcc === NON_TERRESTRIAL_MCC) return { kind: 'nonTerrestrial', mcc };
  if (EU_EEA_MCCS.has(mcc) && EU_EEA_MCCS.has(homeMcc)) return { kind: 'rlah', mcc };
  return { kind: 'world', mcc, zone: worldZoneOf(mcc, tariff) };
}

/** Data at home and roam-like-at-home consumes the plan's allowance; data elsewhere is charged in full. */
export function consumesAllowance(zone: NetworkZone): boolean {
  return zone.kind === 'home' || zone.kind === 'rlah';
}

/** The country (or network family, for 901) of an MCC in the subscriber's language; undefined if unknown. */
export function countryName(mcc: string, locale: Locale): string | undefined {
  const names = COUNTRY_NAMES.get(mcc);
  if (names === undefined) return undefined;
  return locale === 'fr' ? names[1] : names[0];
}
