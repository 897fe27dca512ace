/**
 * What the subscriber (and operations) read: the notification texts, in French and English.
 *
 * SMS texts are GSM-7 (every rendered text goes through `toGsm7`, which also turns the narrow no-break
 * spaces of Intl's French number format into plain spaces) and fit in two SMS at most with the default
 * settings. The cap messages say what stopped, what it costs to continue (price per MB) and how (SMS
 * keyword, self-care URL), as Regulation (EU) 2022/612 Art. 14 asks. E-mails repeat the SMS and explain.
 */
import { capOf } from './caps.js';
import { toGsm7 } from './gsm7.js';
import type { Channel, Locale, Micros, NetworkZone, NotificationKind, PolicyRequest, PolicySettings, SpendBucketName, SubscriberProfile } from './model.js';
import { countryName, homePlmnOf, mccOf, zoneOf } from './networks.js';
import { nextPeriodStart } from './periods.js';
import { billShockThresholdMicros, bucketOfKind } from './policy.js';
import { zonePrices } from './tariff.js';

export interface MessageContext {
  /** ISO 4217 code of every amount below. */
  readonly currency: string;
  /** The cap the message is about: roaming for roaming kinds and welcomes, overage for home out-of-bundle. */
  readonly bucket: SpendBucketName;
  readonly capEnabled: boolean;
  readonly limitMicros: Micros;
  /** Spend in the bucket when it happened (80% warnings); for the bill-shock alert, roaming + overage. */
  readonly spentMicros?: Micros;
  /** Price of data where the subscriber is (roaming) or out of bundle at home (overage), per MB. */
  readonly dataPerMbMicros: Micros;
  /** Where the subscriber is, for welcomes. */
  readonly zone: NetworkZone['kind'];
  /** Country (or network family) in the subscriber's language; undefined when unknown. */
  readonly countryName?: string;
  readonly allowanceBytes: number;
  /** SMS keyword that continues past the cap, in the subscriber's language. */
  readonly continueKeyword: string;
  readonly selfCareUrl: string;
  /** Start of the next billing period (ISO): when bars lift and the allowance renews. */
  readonly nextPeriodStart: string;
  /** The plan's time zone, for dates. */
  readonly timeZone: string;
  /** Operations messages: the billing period (YYYY-MM-DD), the subscriber and the alert threshold. */
  readonly period?: string;
  /** The subscriber's pseudonym (never the id, MSISDN or address: an ops alert leaves the account). */
  readonly subscriberRef?: string;
  readonly thresholdMicros?: Micros;
}

/** The decimal text of integer micros, exactly (no float ever holds the amount). */
function microsToDecimal(micros: Micros): string {
  const negative = micros < 0;
  const digits = String(Math.abs(micros)).padStart(7, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * An amount for the subscriber's locale: fr `40,00 €` (other currencies by code: `40,00 CHF`), en
 * `EUR 40.00`. At least 2 decimals, more only when the amount has them (prices such as 0,0125 €/Mo).
 * GSM-7 safe: the no-break spaces of the French format are plain spaces.
 */
export function formatMoney(micros: Micros, locale: Locale, currency: string): string {
  const key = `${locale}|${currency}`;
  let format = moneyFormats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
      style: 'currency',
      currency,
      currencyDisplay: locale === 'fr' && currency === 'EUR' ? 'symbol' : 'code',
      minimumFractionDigits: 2,
      maximumFractionDigits: 6,
    });
    moneyFormats.set(key, format);
  }
  return toGsm7(format.format(microsToDecimal(micros) as Intl.StringNumericLiteral));
}

/** A data volume in decimal units: `1 Go` / `1 GB`, `1,5 Go`, `500 Mo` / `500 MB`, `20 ko` / `20 kB`. */
export function formatVolume(bytes: number, locale: Locale): string {
  const units = locale === 'fr' ? (['Go', 'Mo', 'ko', 'o'] as const) : (['GB', 'MB', 'kB', 'B'] as const);
  const [value, unit] =
    bytes >= 1e9 ? [bytes / 1e9, units[0]] : bytes >= 1e6 ? [bytes / 1e6, units[1]] : bytes >= 1e3 ? [bytes / 1e3, units[2]] : [bytes, units[3]];
  const number = new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2 }).format(value);
  return toGsm7(`${number} ${unit}`);
}

/** A calendar date in the plan's time zone: fr `01/10/2026`, en `1 Oct 2026`. */
export function formatDate(iso: string, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: locale === 'fr' ? 'short' : 'medium', timeZone }).format(
    new Date(iso),
  );
}

interface Parts {
  readonly money: (micros: Micros) => string;
  readonly price: string;
  readonly limit: string;
  readonly spent: string;
  readonly allowance: string;
  readonly date: string;
  readonly keyword: string;
  readonly url: string;
  readonly country: string | undefined;
}

function partsOf(locale: Locale, ctx: MessageContext): Parts {
  const money = (micros: Micros) => formatMoney(micros, locale, ctx.currency);
  return {
    money,
    price: `${money(ctx.dataPerMbMicros)}/${locale === 'fr' ? 'Mo' : 'MB'}`,
    limit: money(ctx.limitMicros),
    spent: money(ctx.spentMicros ?? 0),
    allowance: formatVolume(ctx.allowanceBytes, locale),
    date: formatDate(ctx.nextPeriodStart, locale, ctx.timeZone),
    keyword: ctx.continueKeyword,
    url: ctx.selfCareUrl,
    country: ctx.countryName,
  };
}

function smsFr(kind: NotificationKind, ctx: MessageContext, p: Parts): string {
  const roaming = ctx.bucket === 'roaming';
  switch (kind) {
    case 'DATA_ALLOWANCE_80':
      return `Vous avez utilisé 80 % de vos données mobiles incluses (${p.allowance}). Au-delà : ${p.price} hors forfait. Renouvellement le ${p.date}.`;
    case 'DATA_ALLOWANCE_100':
      return (
        `Vous avez utilisé toutes vos données mobiles incluses (${p.allowance}). Internet mobile désormais facturé ${p.price}` +
        (ctx.capEnabled ? `, plafonné à ${p.limit} par mois.` : ' (sans plafond, à votre demande).') +
        ` Renouvellement le ${p.date}.`
      );
    case 'OVERAGE_SPEND_80':
      return `Vos données hors forfait atteignent ${p.spent}, 80 % de votre plafond de ${p.limit}. Dès ${p.limit}, l'Internet mobile hors forfait sera coupé jusqu'au ${p.date}.`;
    case 'OVERAGE_CAP_REACHED':
      return `Plafond atteint : vos données hors forfait ont atteint ${p.limit}. L'Internet mobile hors forfait est coupé jusqu'au ${p.date} ; rien au-delà ne vous est facturé. Pour continuer à ${p.price}, répondez ${p.keyword} ou allez sur ${p.url}`;
    case 'ROAMING_WELCOME':
      return welcomeFr(ctx, p);
    case 'ROAMING_SPEND_80':
      return `Vos dépenses d'itinérance atteignent ${p.spent}, soit 80 % de votre plafond de ${p.limit}. Dès ${p.limit}, l'itinérance données sera coupée jusqu'au ${p.date}.`;
    case 'ROAMING_CAP_REACHED':
      return `Plafond atteint : vos dépenses d'itinérance ont atteint ${p.limit}. L'itinérance données est coupée jusqu'au ${p.date} ; rien au-delà ne vous est facturé. Pour continuer à ${p.price}, répondez ${p.keyword} ou allez sur ${p.url}`;
    case 'CAP_RESET':
      return roaming
        ? `Nouvelle période : votre plafond d'itinérance de ${p.limit} repart de zéro et l'itinérance données est rétablie.`
        : `Nouvelle période : vos données incluses (${p.allowance}) sont renouvelées et l'Internet mobile hors forfait est rétabli.`;
    case 'ROAMING_RESUMED':
      return roaming
        ? `C'est noté : l'itinérance données est rétablie pour vous, au prix de ${p.price}. Gérez votre plafond sur ${p.url}`
        : `C'est noté : l'Internet mobile hors forfait est rétabli pour vous, au prix de ${p.price}. Gérez votre plafond sur ${p.url}`;
    case 'BILL_SHOCK_ALERT':
      return opsFr(ctx, p);
  }
}

function welcomeFr(ctx: MessageContext, p: Parts): string {
  const where = p.country === undefined ? "Vous voici à l'étranger" : `Vous voici en itinérance (${p.country})`;
  const cap = ctx.capEnabled
    ? `Votre plafond de ${p.limit} par mois vous alerte à 80 % puis coupe l'itinérance données.`
    : "Vous avez choisi de ne pas plafonner vos dépenses d'itinérance.";
  switch (ctx.zone) {
    case 'nonTerrestrial':
      return `Attention : votre mobile utilise le réseau d'un navire ou d'un avion, hors UE. Données : ${p.price}. Coupez les données mobiles pour éviter des frais. ${cap}`;
    case 'rlah':
    case 'home':
      return `${where} : vos données sont décomptées de votre forfait comme chez vous, sans supplément (hors forfait : ${p.price}). ${cap}`;
    case 'world':
      return `${where} : données à ${p.price}. ${cap}`;
  }
}

function opsFr(ctx: MessageContext, p: Parts): string {
  const threshold = p.money(ctx.thresholdMicros ?? 0);
  return `Alerte facture : abonné ${ctx.subscriberRef ?? '?'}, période du ${ctx.period ?? '?'} : charges cumulées ${p.spent}, au-delà du seuil d'alerte de ${threshold} (itinérance + hors forfait, facturables ou non).`;
}

function smsEn(kind: NotificationKind, ctx: MessageContext, p: Parts): string {
  const roaming = ctx.bucket === 'roaming';
  switch (kind) {
    case 'DATA_ALLOWANCE_80':
      return `You have used 80% of your included data (${p.allowance}). Beyond it: ${p.price} out of bundle. Renews on ${p.date}.`;
    case 'DATA_ALLOWANCE_100':
      return (
        `You have used all your included data (${p.allowance}). Mobile data now costs ${p.price}` +
        (ctx.capEnabled ? `, capped at ${p.limit} a month.` : ' (no limit, as you chose).') +
        ` Renews on ${p.date}.`
      );
    case 'OVERAGE_SPEND_80':
      return `Your out-of-bundle data spend is ${p.spent}, 80% of your ${p.limit} limit. At ${p.limit}, out-of-bundle data will be stopped until ${p.date}.`;
    case 'OVERAGE_CAP_REACHED':
      return `Limit reached: your out-of-bundle data spend reached ${p.limit}. Out-of-bundle data is stopped until ${p.date}; nothing above it is billed to you. To continue at ${p.price}, reply ${p.keyword} or visit ${p.url}`;
    case 'ROAMING_WELCOME':
      return welcomeEn(ctx, p);
    case 'ROAMING_SPEND_80':
      return `Your roaming data spend is ${p.spent}, 80% of your ${p.limit} limit. At ${p.limit}, data roaming will be stopped until ${p.date}.`;
    case 'ROAMING_CAP_REACHED':
      return `Limit reached: your roaming spend reached ${p.limit}. Data roaming is stopped until ${p.date}; nothing above it is billed to you. To continue at ${p.price}, reply ${p.keyword} or visit ${p.url}`;
    case 'CAP_RESET':
      return roaming
        ? `New billing period: your ${p.limit} roaming limit starts again from zero and data roaming is back on.`
        : `New billing period: your included data (${p.allowance}) is renewed and out-of-bundle data is back on.`;
    case 'ROAMING_RESUMED':
      return roaming
        ? `Done: data roaming is back on for you, at ${p.price}. Manage your limit at ${p.url}`
        : `Done: out-of-bundle data is back on for you, at ${p.price}. Manage your limit at ${p.url}`;
    case 'BILL_SHOCK_ALERT':
      return opsEn(ctx, p);
  }
}

function welcomeEn(ctx: MessageContext, p: Parts): string {
  const where = p.country === undefined ? 'You are roaming abroad' : `You are roaming (${p.country})`;
  const cap = ctx.capEnabled
    ? `Your ${p.limit} monthly limit warns you at 80%, then stops data roaming.`
    : 'You chose to have no limit on your roaming spend.';
  switch (ctx.zone) {
    case 'nonTerrestrial':
      return `Warning: you are connected to a ship or aircraft network, outside the EU. Data: ${p.price}. Turn mobile data off to avoid charges. ${cap}`;
    case 'rlah':
    case 'home':
      return `${where}: your data comes out of your plan as at home, at no extra cost (out of bundle: ${p.price}). ${cap}`;
    case 'world':
      return `${where}: data costs ${p.price}. ${cap}`;
  }
}

function opsEn(ctx: MessageContext, p: Parts): string {
  const threshold = p.money(ctx.thresholdMicros ?? 0);
  return `Bill-shock alert: subscriber ${ctx.subscriberRef ?? '?'}, period ${ctx.period ?? '?'}: accrued charges ${p.spent} exceed the alert threshold of ${threshold} (roaming + out-of-bundle, billable or not).`;
}

function emailDetailsFr(kind: NotificationKind, ctx: MessageContext, p: Parts): string {
  switch (kind) {
    case 'ROAMING_CAP_REACHED':
    case 'OVERAGE_CAP_REACHED':
      return `Rien ne vous sera facturé au-delà de votre plafond sans votre accord. Si vous ne faites rien, le service reprend automatiquement le ${p.date}.`;
    case 'ROAMING_SPEND_80':
    case 'OVERAGE_SPEND_80':
    case 'DATA_ALLOWANCE_80':
    case 'DATA_ALLOWANCE_100':
      return `Vous pouvez modifier votre plafond ou désactiver ces alertes à tout moment, gratuitement, sur ${p.url}.`;
    case 'ROAMING_WELCOME':
      return `Dans l'UE et l'EEE, vos données sont décomptées de votre forfait comme chez vous. Ailleurs, elles sont facturées au prix de la zone (ici ${p.price}). Vous pouvez modifier ou désactiver votre plafond sur ${p.url}.`;
    default:
      return `Retrouvez le détail de votre consommation sur ${p.url}.`;
  }
}

function emailDetailsEn(kind: NotificationKind, ctx: MessageContext, p: Parts): string {
  switch (kind) {
    case 'ROAMING_CAP_REACHED':
    case 'OVERAGE_CAP_REACHED':
      return `Nothing above your limit will be billed to you without your consent. If you do nothing, service resumes automatically on ${p.date}.`;
    case 'ROAMING_SPEND_80':
    case 'OVERAGE_SPEND_80':
    case 'DATA_ALLOWANCE_80':
    case 'DATA_ALLOWANCE_100':
      return `You can change your limit or turn these alerts off at any time, free of charge, at ${p.url}.`;
    case 'ROAMING_WELCOME':
      return `In the EU and EEA your data comes out of your plan as at home. Elsewhere it is charged at the zone price (here ${p.price}). You can change or turn off your limit at ${p.url}.`;
    default:
      return `See the details of your usage at ${p.url}.`;
  }
}

/**
 * The text of a notification. `channel` picks the form: `sms` (GSM-7, 1-2 SMS), `email` (the SMS text,
 * then details and a footer), `ops` (the operations alert; the bill-shock alert is always in that form).
 */
export function renderMessage(kind: NotificationKind, locale: Locale, ctx: MessageContext, channel: Channel = 'sms'): string {
  const p = partsOf(locale, ctx);
  const sms = toGsm7(locale === 'fr' ? smsFr(kind, ctx, p) : smsEn(kind, ctx, p));
  if (channel !== 'email' || kind === 'BILL_SHOCK_ALERT') return sms;
  const details = locale === 'fr' ? emailDetailsFr(kind, ctx, p) : emailDetailsEn(kind, ctx, p);
  const footer =
    locale === 'fr'
      ? 'Ce message est gratuit. Vos alertes restent consultables dans votre espace client.'
      : 'This message is free of charge. Your alerts remain available in your account.';
  const greeting = locale === 'fr' ? 'Bonjour,' : 'Hello,';
  return `${greeting}\n\n${sms}\n\n${details}\n\n${footer}`;
}

const SUBJECTS: Readonly<Record<NotificationKind, readonly [fr: string, en: string]>> = {
  DATA_ALLOWANCE_80: ['80 % de vos données mobiles utilisées', '80% of your mobile data used'],
  DATA_ALLOWANCE_100: ['Vos données mobiles incluses sont épuisées', 'Your included mobile data is used up'],
  OVERAGE_SPEND_80: ['80 % de votre plafond hors forfait', '80% of your out-of-bundle limit'],
  OVERAGE_CAP_REACHED: ['Plafond hors forfait atteint : données coupées', 'Out-of-bundle limit reached: data stopped'],
  ROAMING_WELCOME: ["Bienvenue en itinérance : prix et plafond", 'Roaming: prices and your limit'],
  ROAMING_SPEND_80: ["80 % de votre plafond d'itinérance", '80% of your roaming limit'],
  ROAMING_CAP_REACHED: ["Plafond d'itinérance atteint : itinérance données coupée", 'Roaming limit reached: data roaming stopped'],
  CAP_RESET: ['Nouvelle période : service rétabli', 'New billing period: service back on'],
  ROAMING_RESUMED: ['Service de données rétabli', 'Data service back on'],
  BILL_SHOCK_ALERT: ['Alerte facture', 'Bill-shock alert'],
};

/** E-mail subject line. */
export function messageSubject(kind: NotificationKind, locale: Locale): string {
  const [fr, en] = SUBJECTS[kind];
  return locale === 'fr' ? fr : en;
}

/**
 * Builds the context of a request's messages from the profile and settings: the cap in question, the
 * data price where the subscriber is (the request's serving network, else `servingMcc`; home
 * out-of-bundle price for the overage cap), the country name, and when the next period starts.
 */
/** What a message is about: a policy request, as the notification kind it is told as. */
export type MessageRequest = Omit<PolicyRequest, 'kind'> & { readonly kind: NotificationKind };

export function messageContextFor(
  request: MessageRequest,
  profile: SubscriberProfile,
  settings: PolicySettings,
  servingMcc?: string,
  subscriberRef?: string,
): MessageContext {
  const bucket: SpendBucketName = request.bucket ?? bucketOfKind(request.kind) ?? (request.kind.startsWith('DATA_') ? 'overage' : 'roaming');
  const cap = capOf(profile, bucket);
  const homePlmn = homePlmnOf(profile, settings);
  const tariff = settings.tariff;
  // Where the subscriber is: the request's network, else the last one ingest saw (an MCC is enough for a zone).
  const where = request.servingPlmn ?? (servingMcc === undefined ? undefined : `${servingMcc}00`);
  const zone: NetworkZone = where !== undefined && bucket === 'roaming' ? zoneOf(where, homePlmn, tariff) : { kind: 'home' };
  const context: { -readonly [K in keyof MessageContext]: MessageContext[K] } = {
    currency: tariff.currency,
    bucket,
    capEnabled: cap.enabled,
    limitMicros: cap.limitMicros,
    dataPerMbMicros: zonePrices(zone, tariff).dataPerMbMicros,
    zone: zone.kind,
    allowanceBytes: profile.plan.dataAllowanceBytes,
    continueKeyword: settings.continueKeyword[profile.locale],
    selfCareUrl: settings.selfCareUrl,
    nextPeriodStart: nextPeriodStart(request.period, profile.plan),
    timeZone: profile.plan.timeZone,
    period: request.period,
  };
  if (subscriberRef !== undefined) context.subscriberRef = subscriberRef;
  if (request.spentMicros !== undefined) context.spentMicros = request.spentMicros;
  if (request.servingPlmn !== undefined) {
    const name = countryName(mccOf(request.servingPlmn), profile.locale);
    if (name !== undefined) context.countryName = name;
  }
  if (request.kind === 'BILL_SHOCK_ALERT') context.thresholdMicros = billShockThresholdMicros(profile, settings);
  return context;
}
