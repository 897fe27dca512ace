import { describe, expect, it } from 'vitest';
import { smsEncoding, smsSegments } from '../../shared/domain/gsm7.js';
import {
  formatDate,
  formatMoney,
  formatVolume,
  messageContextFor,
  type MessageRequest,
  messageSubject,
  renderMessage,
  type MessageContext,
} from '../../shared/domain/messages.js';
import type { Locale, NotificationKind, PolicySettings, SubscriberProfile } from '../../shared/domain/model.js';
import { DEFAULT_TARIFF } from '../../shared/domain/tariff.js';

const settings: PolicySettings = {
  homePlmn: '20801',
  tariff: DEFAULT_TARIFF,
  billShock: { monthlyFeeMultiplier: 10, minimumMicros: 100_000_000 },
  continueKeyword: { fr: 'CONTINUER', en: 'CONTINUE' },
  selfCareUrl: 'https://selfcare.example.invalid/caps',
};

function profileWith(locale: Locale, overrides: Partial<SubscriberProfile> = {}): SubscriberProfile {
  return {
    subscriberId: 'S1',
    msisdn: '+33600000001',
    locale,
    homePlmn: '20801',
    plan: { dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 30_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    roamingCap: { enabled: true, limitMicros: 50_000_000 },
    overageCap: { enabled: true, limitMicros: 50_000_000 },
    notifications: { sms: true, email: false },
    ...overrides,
  };
}

function request(kind: NotificationKind, extra: Partial<MessageRequest> = {}): MessageRequest {
  return { kind, subscriberId: 'S1', period: '2026-09-01', crossingId: kind, at: '2026-09-10T12:00:00Z', ...extra };
}

/** The request each kind arrives with from ingest, the reset scheduler or the consent API. */
const REQUESTS: Record<NotificationKind, MessageRequest> = {
  DATA_ALLOWANCE_80: request('DATA_ALLOWANCE_80', { servingPlmn: '20801' }),
  DATA_ALLOWANCE_100: request('DATA_ALLOWANCE_100', { servingPlmn: '20801' }),
  OVERAGE_SPEND_80: request('OVERAGE_SPEND_80', { servingPlmn: '20801', bucket: 'overage', spentMicros: 40_000_000 }),
  OVERAGE_CAP_REACHED: request('OVERAGE_CAP_REACHED', { servingPlmn: '20801', bucket: 'overage', spentMicros: 50_000_000 }),
  ROAMING_WELCOME: request('ROAMING_WELCOME', { servingPlmn: '22801' }),
  ROAMING_SPEND_80: request('ROAMING_SPEND_80', { servingPlmn: '22801', bucket: 'roaming', spentMicros: 40_000_000 }),
  ROAMING_CAP_REACHED: request('ROAMING_CAP_REACHED', { servingPlmn: '22801', bucket: 'roaming', spentMicros: 50_000_000 }),
  CAP_RESET: request('CAP_RESET', { period: '2026-10-01', bucket: 'roaming' }),
  ROAMING_RESUMED: request('ROAMING_RESUMED', { servingPlmn: '22801', bucket: 'roaming' }),
  BILL_SHOCK_ALERT: request('BILL_SHOCK_ALERT', { servingPlmn: '22801', spentMicros: 320_000_000 }),
};

const FRENCH_WORDS = /\b(vous|votre|vos)\b|données|itinérance/i;
const ENGLISH_WORDS = /\b(you|your|data|roaming)\b/i;

// [kind, locale, SMS segments, fragments the text must contain]
/** What the planner passes as the subscriber's reference: its pseudonym, never the id. */
const REF = 'sub-0123456789abcdef';

const TABLE: ReadonlyArray<readonly [NotificationKind, Locale, number, readonly string[]]> = [
  ['DATA_ALLOWANCE_80', 'fr', 1, ['80 %', '1 Go', '0,04 €/Mo', '01/10/2026']],
  ['DATA_ALLOWANCE_80', 'en', 1, ['80%', '1 GB', 'EUR 0.04/MB', '1 Oct 2026']],
  ['DATA_ALLOWANCE_100', 'fr', 2, ['1 Go', '0,04 €/Mo', '50,00 €']],
  ['DATA_ALLOWANCE_100', 'en', 1, ['1 GB', 'EUR 0.04/MB', 'EUR 50.00']],
  ['OVERAGE_SPEND_80', 'fr', 1, ['40,00 €', '80 %', '50,00 €', 'hors forfait']],
  ['OVERAGE_SPEND_80', 'en', 1, ['EUR 40.00', '80%', 'EUR 50.00', 'out-of-bundle']],
  ['OVERAGE_CAP_REACHED', 'fr', 2, ['50,00 €', 'coupé', '0,04 €/Mo', 'CONTINUER', settings.selfCareUrl]],
  ['OVERAGE_CAP_REACHED', 'en', 2, ['EUR 50.00', 'stopped', 'EUR 0.04/MB', 'CONTINUE', settings.selfCareUrl]],
  ['ROAMING_WELCOME', 'fr', 1, ['Suisse', '0,50 €/Mo', '50,00 €', 'itinérance']],
  ['ROAMING_WELCOME', 'en', 1, ['Switzerland', 'EUR 0.50/MB', 'EUR 50.00', 'roaming']],
  ['ROAMING_SPEND_80', 'fr', 1, ['40,00 €', '80 %', '50,00 €', 'itinérance']],
  ['ROAMING_SPEND_80', 'en', 1, ['EUR 40.00', '80%', 'EUR 50.00', 'roaming']],
  ['ROAMING_CAP_REACHED', 'fr', 2, ['50,00 €', "L'itinérance données est coupée", '0,50 €/Mo', 'répondez CONTINUER', settings.selfCareUrl]],
  ['ROAMING_CAP_REACHED', 'en', 2, ['EUR 50.00', 'Data roaming is stopped', 'EUR 0.50/MB', 'reply CONTINUE', settings.selfCareUrl]],
  ['CAP_RESET', 'fr', 1, ['50,00 €', 'rétablie']],
  ['CAP_RESET', 'en', 1, ['EUR 50.00', 'back on']],
  ['ROAMING_RESUMED', 'fr', 1, ['rétablie', '0,50 €/Mo']],
  ['ROAMING_RESUMED', 'en', 1, ['back on', 'EUR 0.50/MB']],
  ['BILL_SHOCK_ALERT', 'fr', 2, [REF, '2026-09-01', '320,00 €', '300,00 €']],
  ['BILL_SHOCK_ALERT', 'en', 2, [REF, '2026-09-01', 'EUR 320.00', 'EUR 300.00']],
];

describe('renderMessage: every kind in both languages', () => {
  it('covers every notification kind in both languages', () => {
    const covered = new Set(TABLE.map(([kind, locale]) => `${kind}/${locale}`));
    expect(covered.size).toBe(Object.keys(REQUESTS).length * 2);
  });

  it.each(TABLE)('%s (%s) is GSM-7 in %i SMS and says what it must', (kind, locale, segments, fragments) => {
    const profile = profileWith(locale);
    const text = renderMessage(kind, locale, messageContextFor(REQUESTS[kind], profile, settings, undefined, REF));
    expect(smsEncoding(text)).toBe('GSM-7');
    expect(text).not.toContain(profile.subscriberId);
    expect(smsSegments(text)).toBe(segments);
    expect(text).toMatch(locale === 'fr' ? FRENCH_WORDS : ENGLISH_WORDS);
    for (const fragment of fragments) expect(text).toContain(fragment);
  });

  it.each(TABLE)('%s (%s) e-mail repeats the SMS and adds details', (kind, locale) => {
    const ctx = messageContextFor(REQUESTS[kind], profileWith(locale), settings);
    const sms = renderMessage(kind, locale, ctx, 'sms');
    const email = renderMessage(kind, locale, ctx, 'email');
    expect(email).toContain(sms);
    if (kind === 'BILL_SHOCK_ALERT') expect(email).toBe(sms);
    else expect(email.length).toBeGreaterThan(sms.length + 40);
  });

  it('defaults to the SMS form', () => {
    const ctx = messageContextFor(REQUESTS.ROAMING_SPEND_80, profileWith('en'), settings);
    expect(renderMessage('ROAMING_SPEND_80', 'en', ctx)).toBe(renderMessage('ROAMING_SPEND_80', 'en', ctx, 'sms'));
  });
});

describe('renderMessage: variants', () => {
  const variants: Array<[string, Locale, MessageRequest, Partial<SubscriberProfile>, readonly string[]]> = [
    ['welcome in the EU (roam-like-at-home)', 'fr', request('ROAMING_WELCOME', { servingPlmn: '26201' }), {}, ['Allemagne', 'forfait', 'sans supplément']],
    ['welcome in the EU (roam-like-at-home)', 'en', request('ROAMING_WELCOME', { servingPlmn: '26201' }), {}, ['Germany', 'at home', 'no extra cost']],
    ['welcome on a ship or aircraft', 'fr', request('ROAMING_WELCOME', { servingPlmn: '90112' }), {}, ['Attention', 'navire', '10,00 €/Mo']],
    ['welcome on a ship or aircraft', 'en', request('ROAMING_WELCOME', { servingPlmn: '90112' }), {}, ['Warning', 'ship or aircraft', 'EUR 10.00/MB']],
    ['welcome in an unknown country', 'fr', request('ROAMING_WELCOME', { servingPlmn: '74401' }), {}, ["l'étranger", '2,00 €/Mo']],
    ['welcome in an unknown country', 'en', request('ROAMING_WELCOME', { servingPlmn: '74401' }), {}, ['abroad', 'EUR 2.00/MB']],
    ['welcome after opting out', 'fr', request('ROAMING_WELCOME', { servingPlmn: '22801' }), { roamingCap: { enabled: false, limitMicros: 50_000_000 } }, ['ne pas plafonner']],
    ['welcome after opting out', 'en', request('ROAMING_WELCOME', { servingPlmn: '22801' }), { roamingCap: { enabled: false, limitMicros: 50_000_000 } }, ['no limit']],
    ['allowance used up without an overage cap', 'fr', request('DATA_ALLOWANCE_100'), { overageCap: { enabled: false, limitMicros: 0 } }, ['sans plafond']],
    ['allowance used up without an overage cap', 'en', request('DATA_ALLOWANCE_100'), { overageCap: { enabled: false, limitMicros: 0 } }, ['no limit']],
    ['overage reset', 'fr', request('CAP_RESET', { bucket: 'overage' }), {}, ['1 Go', 'hors forfait', 'rétabli']],
    ['overage reset', 'en', request('CAP_RESET', { bucket: 'overage' }), {}, ['1 GB', 'out-of-bundle', 'back on']],
    ['overage resumed', 'fr', request('ROAMING_RESUMED', { bucket: 'overage' }), {}, ['hors forfait', '0,04 €/Mo']],
    ['overage resumed', 'en', request('ROAMING_RESUMED', { bucket: 'overage' }), {}, ['out-of-bundle', 'EUR 0.04/MB']],
  ];

  it.each(variants)('%s (%s)', (_name, locale, req, overrides, fragments) => {
    const text = renderMessage(req.kind, locale, messageContextFor(req, profileWith(locale, overrides), settings));
    expect(smsEncoding(text)).toBe('GSM-7');
    expect(smsSegments(text)).toBeLessThanOrEqual(2);
    for (const fragment of fragments) expect(text).toContain(fragment);
  });

  it('renders a minimal context without optional parts', () => {
    const ctx: MessageContext = {
      currency: 'EUR',
      bucket: 'roaming',
      capEnabled: true,
      limitMicros: 50_000_000,
      dataPerMbMicros: 500_000,
      zone: 'world',
      allowanceBytes: 0,
      continueKeyword: 'CONTINUE',
      selfCareUrl: 'https://x.invalid',
      nextPeriodStart: '2026-09-30T22:00:00.000Z',
      timeZone: 'Europe/Paris',
    };
    expect(renderMessage('ROAMING_SPEND_80', 'en', ctx)).toContain('EUR 0.00, 80%');
    expect(renderMessage('BILL_SHOCK_ALERT', 'en', ctx)).toContain('subscriber ?, period ?');
    expect(renderMessage('BILL_SHOCK_ALERT', 'fr', ctx)).toContain('abonné ?, période du ?');
  });
});

describe('messageContextFor', () => {
  it('prices the roaming cap at the serving zone and the overage cap at the home out-of-bundle price', () => {
    const profile = profileWith('fr');
    expect(messageContextFor(REQUESTS.ROAMING_CAP_REACHED, profile, settings)).toMatchObject({
      bucket: 'roaming',
      dataPerMbMicros: 500_000,
      zone: 'world',
      countryName: 'Suisse',
      continueKeyword: 'CONTINUER',
      nextPeriodStart: '2026-09-30T22:00:00Z',
      spentMicros: 50_000_000,
    });
    expect(messageContextFor(REQUESTS.OVERAGE_CAP_REACHED, profile, settings)).toMatchObject({
      bucket: 'overage',
      dataPerMbMicros: 40_000,
      zone: 'home',
    });
  });

  it('uses the subscriber language for the keyword and the country, and the bill-shock threshold for ops', () => {
    const ctx = messageContextFor(REQUESTS.BILL_SHOCK_ALERT, profileWith('en'), settings, undefined, REF);
    expect(ctx).toMatchObject({ continueKeyword: 'CONTINUE', countryName: 'Switzerland', thresholdMicros: 300_000_000, subscriberRef: REF });
    // Without a reference the alert names nobody: the domain never falls back to the subscriber id.
    expect(messageContextFor(REQUESTS.BILL_SHOCK_ALERT, profileWith('en'), settings).subscriberRef).toBeUndefined();
  });

  it('leaves the country out when unknown and the spend out when the request has none', () => {
    const ctx = messageContextFor(request('ROAMING_WELCOME', { servingPlmn: '74401' }), profileWith('en'), settings);
    expect(ctx.countryName).toBeUndefined();
    expect(ctx.spentMicros).toBeUndefined();
    expect(ctx.thresholdMicros).toBeUndefined();
  });
});

describe('formatMoney', () => {
  it.each([
    [40_000_000, 'fr', 'EUR', '40,00 €'],
    [40_000_000, 'en', 'EUR', 'EUR 40.00'],
    [12_345_678_900_000, 'fr', 'EUR', '12 345 678,90 €'],
    [12_345_678_900_000, 'en', 'EUR', 'EUR 12,345,678.90'],
    [12_500, 'fr', 'EUR', '0,0125 €'],
    [1, 'en', 'EUR', 'EUR 0.000001'],
    [2_500_000, 'fr', 'CHF', '2,50 CHF'],
    [-1_500_000, 'en', 'EUR', '-EUR 1.50'],
  ] as const)('%i micros in %s %s is %s', (micros, locale, currency, expected) => {
    const text = formatMoney(micros, locale, currency);
    expect(text).toBe(expected);
    expect(smsEncoding(text)).toBe('GSM-7');
  });
});

describe('formatVolume and formatDate', () => {
  it.each([
    [1_000_000_000, 'fr', '1 Go'],
    [1_500_000_000, 'fr', '1,5 Go'],
    [500_000_000, 'en', '500 MB'],
    [20_000, 'fr', '20 ko'],
    [999, 'en', '999 B'],
    [2_000_000_000_000, 'fr', '2 000 Go'],
  ] as const)('%i bytes in %s is %s', (bytes, locale, expected) => {
    expect(formatVolume(bytes, locale)).toBe(expected);
  });

  it('dates a period start in the plan time zone', () => {
    expect(formatDate('2026-09-30T22:00:00.000Z', 'fr', 'Europe/Paris')).toBe('01/10/2026');
    expect(formatDate('2026-09-30T22:00:00.000Z', 'en', 'Europe/Paris')).toBe('1 Oct 2026');
    expect(formatDate('2026-09-30T22:00:00.000Z', 'en', 'America/New_York')).toBe('30 Sept 2026');
  });
});

describe('messageSubject', () => {
  it('has a subject for every kind in both languages', () => {
    for (const kind of Object.keys(REQUESTS) as NotificationKind[]) {
      expect(messageSubject(kind, 'fr').length).toBeGreaterThan(5);
      expect(messageSubject(kind, 'en').length).toBeGreaterThan(5);
      expect(messageSubject(kind, 'fr')).not.toBe(messageSubject(kind, 'en'));
    }
    expect(messageSubject('ROAMING_CAP_REACHED', 'fr')).toContain('itinérance');
  });
});
