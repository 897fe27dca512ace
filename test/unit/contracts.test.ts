import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { carrierEventSchema, parseCarrierEvent, parseCarrierEventJson } from '../../shared/domain/event-schema.js';
import { parseSubscriberProfile, subscriberProfileSchema } from '../../shared/domain/subscriber-schema.js';

// ajv ships CommonJS with `exports.default`; that property exists whichever way the module is imported.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const copiesDir = join(repoRoot, 'docs', 'contracts');
// CI checks the shared contracts out beside the clone.
const upstreamDir = resolve(repoRoot, '..', 'shared', 'contracts');
const CONTRACT_FILES = ['usage-event.v1.schema.json', 'subscriber.v1.schema.json', 'replay-report.v1.schema.json'];

function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(copiesDir, file), 'utf8')) as Record<string, unknown>;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const ajvEvent = ajv.compile(loadSchema('usage-event.v1.schema.json'));
const ajvProfile = ajv.compile(loadSchema('subscriber.v1.schema.json'));

type Case = { readonly name: string; readonly input: unknown; readonly valid: boolean; readonly field?: string };

const dataEvent = {
  recordId: 'chg-1:node-a:17',
  subscriberId: '208011234567890',
  eventTime: '2026-09-10T07:20:00Z',
  service: 'data',
  volumeBytes: 4_000_000,
  servingPlmn: '22801',
};
const attachEvent = {
  type: 'attach',
  eventId: 'att-1',
  subscriberId: '208011234567890',
  eventTime: '2026-09-10T07:00:00Z',
  servingPlmn: '22801',
};
const withEvent = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...dataEvent, ...patch });
const withAttach = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...attachEvent, ...patch });
const without = (input: Record<string, unknown>, key: string): Record<string, unknown> => {
  const { [key]: _dropped, ...rest } = input;
  return rest;
};
const repeat = (c: string, n: number): string => c.repeat(n);

const EVENT_CASES: readonly Case[] = [
  { name: 'minimal data usage (type absent)', input: dataEvent, valid: true },
  {
    name: 'full usage',
    input: withEvent({ type: 'usage', startTime: '2026-09-10T07:00:00+02:00', chargeMicros: 2_500_000, currency: 'CHF', durationSeconds: 3 }),
    valid: true,
  },
  { name: 'voice with durationSeconds 0', input: { ...without(dataEvent, 'volumeBytes'), service: 'voice', durationSeconds: 0 }, valid: true },
  { name: 'sms with count 1', input: withEvent({ service: 'sms', count: 1 }), valid: true },
  { name: 'minimal attach', input: attachEvent, valid: true },
  { name: 'recordId missing', input: without(dataEvent, 'recordId'), valid: false, field: 'recordId' },
  { name: 'subscriberId missing', input: without(dataEvent, 'subscriberId'), valid: false, field: 'subscriberId' },
  { name: 'eventTime missing', input: without(dataEvent, 'eventTime'), valid: false, field: 'eventTime' },
  { name: 'service missing', input: without(dataEvent, 'service'), valid: false, field: 'service' },
  { name: 'servingPlmn missing', input: without(dataEvent, 'servingPlmn'), valid: false, field: 'servingPlmn' },
  { name: 'data without volumeBytes', input: without(dataEvent, 'volumeBytes'), valid: false, field: 'volumeBytes' },
  { name: 'voice without durationSeconds', input: withEvent({ service: 'voice' }), valid: false, field: 'durationSeconds' },
  { name: 'sms without count', input: withEvent({ service: 'sms' }), valid: false, field: 'count' },
  { name: 'volumeBytes 0', input: withEvent({ volumeBytes: 0 }), valid: true },
  { name: 'volumeBytes negative', input: withEvent({ volumeBytes: -1 }), valid: false, field: 'volumeBytes' },
  { name: 'volumeBytes not an integer', input: withEvent({ volumeBytes: 1.5 }), valid: false, field: 'volumeBytes' },
  { name: 'volumeBytes a string', input: withEvent({ volumeBytes: '100' }), valid: false, field: 'volumeBytes' },
  { name: 'volumeBytes null', input: withEvent({ volumeBytes: null }), valid: false, field: 'volumeBytes' },
  { name: 'durationSeconds negative', input: withEvent({ durationSeconds: -1 }), valid: false, field: 'durationSeconds' },
  { name: 'count 0', input: withEvent({ service: 'sms', count: 0 }), valid: false, field: 'count' },
  { name: 'chargeMicros negative', input: withEvent({ chargeMicros: -1 }), valid: false, field: 'chargeMicros' },
  { name: 'chargeMicros fractional', input: withEvent({ chargeMicros: 0.5 }), valid: false, field: 'chargeMicros' },
  { name: 'chargeMicros 0', input: withEvent({ chargeMicros: 0 }), valid: true },
  { name: 'servingPlmn 4 digits', input: withEvent({ servingPlmn: '2080' }), valid: false, field: 'servingPlmn' },
  { name: 'servingPlmn 7 digits', input: withEvent({ servingPlmn: '2080123' }), valid: false, field: 'servingPlmn' },
  { name: 'servingPlmn 6 digits', input: withEvent({ servingPlmn: '310260' }), valid: true },
  { name: 'servingPlmn a number', input: withEvent({ servingPlmn: 20801 }), valid: false, field: 'servingPlmn' },
  { name: 'servingPlmn with a letter', input: withEvent({ servingPlmn: '2080a' }), valid: false, field: 'servingPlmn' },
  { name: 'servingPlmn with a trailing newline', input: withEvent({ servingPlmn: '20801\n' }), valid: false, field: 'servingPlmn' },
  { name: 'eventTime without offset', input: withEvent({ eventTime: '2026-09-10T07:20:00' }), valid: false, field: 'eventTime' },
  { name: 'eventTime a date only', input: withEvent({ eventTime: '2026-09-10' }), valid: false, field: 'eventTime' },
  { name: 'eventTime 30 February', input: withEvent({ eventTime: '2026-02-30T00:00:00Z' }), valid: false, field: 'eventTime' },
  { name: 'eventTime 29 February of a non-leap year', input: withEvent({ eventTime: '2026-02-29T00:00:00Z' }), valid: false, field: 'eventTime' },
  { name: 'eventTime 29 February of a leap year', input: withEvent({ eventTime: '2028-02-29T00:00:00Z' }), valid: true },
  { name: 'eventTime hour 24', input: withEvent({ eventTime: '2026-09-10T24:00:00Z' }), valid: false, field: 'eventTime' },
  { name: 'eventTime without seconds', input: withEvent({ eventTime: '2026-09-10T07:20Z' }), valid: false, field: 'eventTime' },
  { name: 'eventTime free text', input: withEvent({ eventTime: 'yesterday' }), valid: false, field: 'eventTime' },
  { name: 'eventTime epoch seconds', input: withEvent({ eventTime: 1_757_488_800 }), valid: false, field: 'eventTime' },
  { name: 'eventTime offset +02:00', input: withEvent({ eventTime: '2026-09-10T09:20:00+02:00' }), valid: true },
  { name: 'eventTime offset -00:00', input: withEvent({ eventTime: '2026-09-10T07:20:00-00:00' }), valid: true },
  { name: 'eventTime fraction of 9 digits', input: withEvent({ eventTime: '2026-09-10T07:20:00.123456789Z' }), valid: true },
  { name: 'eventTime lower-case t and z', input: withEvent({ eventTime: '2026-09-10t07:20:00z' }), valid: true },
  { name: 'eventTime space separator', input: withEvent({ eventTime: '2026-09-10 07:20:00Z' }), valid: true },
  { name: 'eventTime offset +0200', input: withEvent({ eventTime: '2026-09-10T09:20:00+0200' }), valid: true },
  { name: 'eventTime offset +02', input: withEvent({ eventTime: '2026-09-10T09:20:00+02' }), valid: true },
  { name: 'eventTime offset +24:00', input: withEvent({ eventTime: '2026-09-10T09:20:00+24:00' }), valid: false, field: 'eventTime' },
  { name: 'eventTime leap second at 23:59 UTC', input: withEvent({ eventTime: '2016-12-31T23:59:60Z' }), valid: true },
  { name: 'eventTime leap second at 00:59 +01:00', input: withEvent({ eventTime: '2017-01-01T00:59:60+01:00' }), valid: true },
  { name: 'eventTime leap second at noon', input: withEvent({ eventTime: '2016-12-31T12:59:60Z' }), valid: false, field: 'eventTime' },
  { name: 'eventTime with two separators', input: withEvent({ eventTime: '2026-09-10T07:20:00Z ' }), valid: false, field: 'eventTime' },
  { name: 'startTime invalid', input: withEvent({ startTime: '10/09/2026 07:00' }), valid: false, field: 'startTime' },
  { name: 'extra field', input: withEvent({ imsi: '208011234567890' }), valid: false, field: 'imsi' },
  { name: 'field in the wrong case', input: withEvent({ Service: 'data' }), valid: false, field: 'Service' },
  { name: 'service mms', input: withEvent({ service: 'mms' }), valid: false, field: 'service' },
  { name: 'service upper case', input: withEvent({ service: 'DATA' }), valid: false, field: 'service' },
  { name: 'type cdr', input: withEvent({ type: 'cdr' }), valid: false, field: 'type' },
  { name: 'type null', input: withEvent({ type: null }), valid: false, field: 'type' },
  { name: 'type usage with a trailing space', input: withEvent({ type: 'usage ' }), valid: false, field: 'type' },
  { name: 'currency lower case', input: withEvent({ currency: 'eur' }), valid: false, field: 'currency' },
  { name: 'currency of 4 letters', input: withEvent({ currency: 'EURO' }), valid: false, field: 'currency' },
  { name: 'currency USD', input: withEvent({ currency: 'USD' }), valid: true },
  { name: 'recordId of 128 characters', input: withEvent({ recordId: repeat('r', 128) }), valid: true },
  { name: 'recordId of 129 characters', input: withEvent({ recordId: repeat('r', 129) }), valid: false, field: 'recordId' },
  { name: 'recordId empty', input: withEvent({ recordId: '' }), valid: false, field: 'recordId' },
  { name: 'subscriberId of 64 characters', input: withEvent({ subscriberId: repeat('s', 64) }), valid: true },
  { name: 'subscriberId of 65 characters', input: withEvent({ subscriberId: repeat('s', 65) }), valid: false, field: 'subscriberId' },
  { name: 'subscriberId of 64 astral code points', input: withEvent({ subscriberId: repeat('📱', 64) }), valid: true },
  { name: 'subscriberId of 65 astral code points', input: withEvent({ subscriberId: repeat('📱', 65) }), valid: false, field: 'subscriberId' },
  { name: 'subscriberId a number', input: withEvent({ subscriberId: 208011234567890 }), valid: false, field: 'subscriberId' },
  { name: 'attach without type is a usage event', input: without(attachEvent, 'type'), valid: false, field: 'recordId' },
  { name: 'attach without eventId', input: without(attachEvent, 'eventId'), valid: false, field: 'eventId' },
  { name: 'attach without eventTime', input: without(attachEvent, 'eventTime'), valid: false, field: 'eventTime' },
  { name: 'attach with eventId of 128 characters', input: withAttach({ eventId: repeat('e', 128) }), valid: true },
  { name: 'attach with eventId of 129 characters', input: withAttach({ eventId: repeat('e', 129) }), valid: false, field: 'eventId' },
  { name: 'attach with a usage field', input: withAttach({ service: 'data' }), valid: false, field: 'service' },
  { name: 'attach with recordId', input: withAttach({ recordId: 'r-1' }), valid: false, field: 'recordId' },
  { name: 'attach with a bad PLMN', input: withAttach({ servingPlmn: '228-01' }), valid: false, field: 'servingPlmn' },
  { name: 'usage with eventId', input: withEvent({ eventId: 'e-1' }), valid: false, field: 'eventId' },
  { name: 'an array', input: [dataEvent], valid: false, field: 'event' },
  { name: 'null', input: null, valid: false, field: 'event' },
  { name: 'a string', input: JSON.stringify(dataEvent), valid: false, field: 'event' },
];

const profile = {
  subscriberId: 'P1',
  msisdn: '+33611111111',
  plan: { dataAllowanceBytes: 1_000_000_000 },
};
const fullProfile = {
  subscriberId: 'P2',
  msisdn: '+33622222222',
  email: 'p2@example.org',
  accountId: 'ACME-42',
  locale: 'en',
  homePlmn: '20801',
  plan: { name: '1 GB', dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 20_000_000, billingCycleDay: 15, timeZone: 'Europe/Brussels' },
  roamingCap: { enabled: false, limitMicros: 0 },
  notifications: { sms: false, email: true },
  overageCap: { enabled: true, limitMicros: 100_000_000 },
};
const withProfile = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...profile, ...patch });
const withPlan = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...profile, plan: { ...profile.plan, ...patch } });

const PROFILE_CASES: readonly Case[] = [
  { name: 'minimal', input: profile, valid: true },
  { name: 'full', input: fullProfile, valid: true },
  { name: 'subscriberId missing', input: without(profile, 'subscriberId'), valid: false, field: 'subscriberId' },
  { name: 'msisdn missing', input: without(profile, 'msisdn'), valid: false, field: 'msisdn' },
  { name: 'plan missing', input: without(profile, 'plan'), valid: false, field: 'plan' },
  { name: 'plan.dataAllowanceBytes missing', input: withProfile({ plan: {} }), valid: false, field: 'plan.dataAllowanceBytes' },
  { name: 'plan not an object', input: withProfile({ plan: 'unlimited' }), valid: false, field: 'plan' },
  { name: 'subscriberId of 64 characters', input: withProfile({ subscriberId: repeat('s', 64) }), valid: true },
  { name: 'subscriberId of 65 characters', input: withProfile({ subscriberId: repeat('s', 65) }), valid: false, field: 'subscriberId' },
  { name: 'subscriberId empty', input: withProfile({ subscriberId: '' }), valid: false, field: 'subscriberId' },
  { name: 'msisdn national format', input: withProfile({ msisdn: '0611111111' }), valid: false, field: 'msisdn' },
  { name: 'msisdn starting +0', input: withProfile({ msisdn: '+0611111111' }), valid: false, field: 'msisdn' },
  { name: 'msisdn with spaces', input: withProfile({ msisdn: '+33 6 11 11 11 11' }), valid: false, field: 'msisdn' },
  { name: 'msisdn of 6 digits', input: withProfile({ msisdn: '+123456' }), valid: false, field: 'msisdn' },
  { name: 'msisdn of 7 digits', input: withProfile({ msisdn: '+1234567' }), valid: true },
  { name: 'msisdn of 15 digits', input: withProfile({ msisdn: '+123456789012345' }), valid: true },
  { name: 'msisdn of 16 digits', input: withProfile({ msisdn: '+1234567890123456' }), valid: false, field: 'msisdn' },
  { name: 'msisdn a number', input: withProfile({ msisdn: 33611111111 }), valid: false, field: 'msisdn' },
  { name: 'email plain', input: withProfile({ email: 'first.last+tag@example.co.uk' }), valid: true },
  { name: 'email upper case', input: withProfile({ email: 'First.Last@Example.ORG' }), valid: true },
  { name: 'email without @', input: withProfile({ email: 'not-an-email' }), valid: false, field: 'email' },
  { name: 'email without a dot in the domain', input: withProfile({ email: 'a@localhost' }), valid: false, field: 'email' },
  { name: 'email with two dots in a row', input: withProfile({ email: 'a..b@example.org' }), valid: false, field: 'email' },
  { name: 'email domain starting with a hyphen', input: withProfile({ email: 'a@-example.org' }), valid: false, field: 'email' },
  { name: 'email with a space', input: withProfile({ email: 'a b@example.org' }), valid: false, field: 'email' },
  { name: 'accountId a number', input: withProfile({ accountId: 42 }), valid: false, field: 'accountId' },
  { name: 'accountId empty', input: withProfile({ accountId: '' }), valid: true },
  { name: 'locale de', input: withProfile({ locale: 'de' }), valid: false, field: 'locale' },
  { name: 'homePlmn of 4 digits', input: withProfile({ homePlmn: '2080' }), valid: false, field: 'homePlmn' },
  { name: 'homePlmn of 6 digits', input: withProfile({ homePlmn: '310260' }), valid: true },
  { name: 'billingCycleDay 0', input: withPlan({ billingCycleDay: 0 }), valid: false, field: 'plan.billingCycleDay' },
  { name: 'billingCycleDay 1', input: withPlan({ billingCycleDay: 1 }), valid: true },
  { name: 'billingCycleDay 28', input: withPlan({ billingCycleDay: 28 }), valid: true },
  { name: 'billingCycleDay 29', input: withPlan({ billingCycleDay: 29 }), valid: false, field: 'plan.billingCycleDay' },
  { name: 'billingCycleDay 1.5', input: withPlan({ billingCycleDay: 1.5 }), valid: false, field: 'plan.billingCycleDay' },
  { name: 'dataAllowanceBytes 0', input: withPlan({ dataAllowanceBytes: 0 }), valid: true },
  { name: 'dataAllowanceBytes negative', input: withPlan({ dataAllowanceBytes: -1 }), valid: false, field: 'plan.dataAllowanceBytes' },
  { name: 'dataAllowanceBytes fractional', input: withPlan({ dataAllowanceBytes: 0.5 }), valid: false, field: 'plan.dataAllowanceBytes' },
  { name: 'monthlyFeeMicros negative', input: withPlan({ monthlyFeeMicros: -1 }), valid: false, field: 'plan.monthlyFeeMicros' },
  { name: 'plan.name a number', input: withPlan({ name: 1 }), valid: false, field: 'plan.name' },
  { name: 'plan.timeZone a number', input: withPlan({ timeZone: 1 }), valid: false, field: 'plan.timeZone' },
  { name: 'plan extra field', input: withPlan({ price: 10 }), valid: false, field: 'plan.price' },
  { name: 'extra field', input: withProfile({ imsi: '208011234567890' }), valid: false, field: 'imsi' },
  { name: 'roamingCap empty', input: withProfile({ roamingCap: {} }), valid: true },
  { name: 'roamingCap.enabled a string', input: withProfile({ roamingCap: { enabled: 'yes' } }), valid: false, field: 'roamingCap.enabled' },
  { name: 'roamingCap.limitMicros negative', input: withProfile({ roamingCap: { limitMicros: -1 } }), valid: false, field: 'roamingCap.limitMicros' },
  { name: 'roamingCap extra field', input: withProfile({ roamingCap: { currency: 'EUR' } }), valid: false, field: 'roamingCap.currency' },
  { name: 'overageCap null', input: withProfile({ overageCap: null }), valid: false, field: 'overageCap' },
  { name: 'notifications.sms a number', input: withProfile({ notifications: { sms: 1 } }), valid: false, field: 'notifications.sms' },
  { name: 'notifications an array', input: withProfile({ notifications: [] }), valid: false, field: 'notifications' },
  { name: 'an array', input: [profile], valid: false, field: 'profile' },
];

function reasonOf(result: { ok: true } | { ok: false; reason: string }): string {
  return result.ok ? '' : result.reason;
}

describe('contract copies', () => {
  it.runIf(existsSync(upstreamDir))('are byte-identical to the shared contracts', () => {
    for (const file of CONTRACT_FILES) {
      const copy = readFileSync(join(copiesDir, file));
      const upstream = readFileSync(join(upstreamDir, file));
      expect(copy.equals(upstream), file).toBe(true);
    }
  });

  it('are all in docs/contracts', () => {
    for (const file of CONTRACT_FILES) expect(existsSync(join(copiesDir, file)), file).toBe(true);
  });
});

describe('usage-event.v1: zod and ajv agree', () => {
  it.each(EVENT_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const byAjv = ajvEvent(c.input);
    const byZod = parseCarrierEvent(c.input);

    expect(byAjv, 'ajv').toBe(c.valid);
    expect(byZod.ok, `zod: ${reasonOf(byZod)}`).toBe(c.valid);
    if (c.field !== undefined) expect(reasonOf(byZod)).toContain(`${c.field}:`);
  });

  it('has a table wide enough to mean something', () => {
    expect(EVENT_CASES.length).toBeGreaterThanOrEqual(40);
    expect(EVENT_CASES.filter((c) => c.valid).length).toBeGreaterThanOrEqual(10);
  });
});

describe('subscriber.v1: zod and ajv agree', () => {
  it.each(PROFILE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const byAjv = ajvProfile(c.input);
    const byZod = parseSubscriberProfile(c.input);

    expect(byAjv, 'ajv').toBe(c.valid);
    expect(byZod.ok, `zod: ${reasonOf(byZod)}`).toBe(c.valid);
    if (c.field !== undefined) expect(reasonOf(byZod)).toContain(`${c.field}:`);
  });

  it('has a table wide enough to mean something', () => {
    expect(PROFILE_CASES.length).toBeGreaterThanOrEqual(25);
  });
});

describe('defaults', () => {
  it('a usage event without type or currency is a usage in EUR', () => {
    const result = parseCarrierEvent(dataEvent);

    expect(result).toEqual({ ok: true, value: { ...dataEvent, type: 'usage', currency: 'EUR' } });
  });

  it('an explicit currency is kept', () => {
    const result = parseCarrierEvent(withEvent({ currency: 'CHF' }));

    expect(result.ok && result.value.type === 'usage' && result.value.currency).toBe('CHF');
  });

  it('an attach event gets no usage defaults', () => {
    const result = parseCarrierEvent(attachEvent);

    expect(result).toEqual({ ok: true, value: attachEvent });
  });

  it('a minimal profile gets every default of subscriber.v1, and no homePlmn', () => {
    const result = parseSubscriberProfile(profile);

    expect(result).toEqual({
      ok: true,
      value: {
        subscriberId: 'P1',
        msisdn: '+33611111111',
        locale: 'fr',
        plan: { dataAllowanceBytes: 1_000_000_000, monthlyFeeMicros: 0, billingCycleDay: 1, timeZone: 'Europe/Paris' },
        roamingCap: { enabled: true, limitMicros: 50_000_000 },
        overageCap: { enabled: true, limitMicros: 50_000_000 },
        notifications: { sms: true, email: false },
      },
    });
  });

  it('partial caps and notifications are completed field by field', () => {
    const result = parseSubscriberProfile(
      withProfile({ roamingCap: { enabled: false }, overageCap: { limitMicros: 10_000_000 }, notifications: { email: true } }),
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.roamingCap).toEqual({ enabled: false, limitMicros: 50_000_000 });
    expect(result.value.overageCap).toEqual({ enabled: true, limitMicros: 10_000_000 });
    expect(result.value.notifications).toEqual({ sms: true, email: true });
  });

  it('a full profile is kept as given', () => {
    const result = parseSubscriberProfile(fullProfile);

    expect(result).toEqual({ ok: true, value: fullProfile });
  });

  it('two parsed profiles never share default objects', () => {
    const a = parseSubscriberProfile(profile);
    const b = parseSubscriberProfile(profile);

    expect(a.ok && b.ok && a.value.roamingCap !== b.value.roamingCap && a.value.notifications !== b.value.notifications).toBe(true);
  });

  it('parsing does not change the input', () => {
    const input = structuredClone(profile);

    parseSubscriberProfile(input);

    expect(input).toEqual(profile);
  });
});

describe('error messages name the field and the rule', () => {
  it.each([
    [withEvent({ volumeBytes: -5 }), 'volumeBytes: must be an integer >= 0'],
    [withEvent({ servingPlmn: '2080' }), 'servingPlmn: must be 5 or 6 digits (MCC+MNC)'],
    [withEvent({ service: 'mms' }), 'service: must be one of data, voice, sms'],
    [without(dataEvent, 'volumeBytes'), 'volumeBytes: required when service is data'],
    [withEvent({ service: 'voice' }), 'durationSeconds: required when service is voice'],
    [withEvent({ service: 'sms' }), 'count: required when service is sms'],
    [withEvent({ unknownField: 1 }), 'unknownField: not allowed'],
    [withEvent({ type: 'cdr' }), 'type: must be "usage" or "attach"'],
    [without(dataEvent, 'recordId'), 'recordId: required'],
  ])('%j -> %s', (input, expected) => {
    expect(parseCarrierEvent(input)).toEqual({ ok: false, reason: expected });
  });

  it('a bad eventTime says what a date-time must look like', () => {
    const reason = reasonOf(parseCarrierEvent(withEvent({ eventTime: '2026-09-10T07:20:00' })));

    expect(reason).toMatch(/^eventTime: must be an RFC 3339 date-time with offset/);
  });

  it('several faults are all listed, separated by "; "', () => {
    const reason = reasonOf(parseCarrierEvent(withEvent({ volumeBytes: -1, servingPlmn: 'x', extra: true })));

    expect(reason).toBe('volumeBytes: must be an integer >= 0; servingPlmn: must be 5 or 6 digits (MCC+MNC); extra: not allowed');
  });

  it('a flood of unknown fields is cut short', () => {
    const input = withEvent(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])));

    const reason = reasonOf(parseCarrierEvent(input));

    expect(reason.split('; ')).toHaveLength(11);
    expect(reason).toMatch(/; and 20 more$/);
  });

  it('nested profile fields are named by their dotted path', () => {
    const reason = reasonOf(parseSubscriberProfile(withProfile({ plan: {} })));

    expect(reason).toBe('plan.dataAllowanceBytes: required');
  });

  it('an attach event is judged on attach fields only', () => {
    const reason = reasonOf(parseCarrierEvent(without(attachEvent, 'eventId')));

    expect(reason).toBe('eventId: required');
  });

  it('no reason leaks a zod default message', () => {
    const zodDefaults = /Invalid input|expected \w+, received|Unrecognized key|Too (small|big)/;
    for (const c of EVENT_CASES) expect(reasonOf(parseCarrierEvent(c.input)), c.name).not.toMatch(zodDefaults);
    for (const c of PROFILE_CASES) expect(reasonOf(parseSubscriberProfile(c.input)), c.name).not.toMatch(zodDefaults);
  });
});

describe('parseCarrierEventJson', () => {
  it('parses one line of a replay file', () => {
    const result = parseCarrierEventJson(JSON.stringify(dataEvent));

    expect(result.ok && result.value.subscriberId).toBe(dataEvent.subscriberId);
  });

  it('says when the text is not JSON', () => {
    const result = parseCarrierEventJson('{"recordId": "p1-3", ');

    expect(reasonOf(result)).toMatch(/^not valid JSON: /);
  });

  it('does not quote the text in the reason, which may hold personal data', () => {
    const text = '{"recordId": "r", "subscriberId": +33611111111}';

    const reason = reasonOf(parseCarrierEventJson(text));

    expect(reason).toMatch(/^not valid JSON: /);
    expect(reason).not.toMatch(/336/);
  });

  it('says when the JSON is not an object', () => {
    expect(reasonOf(parseCarrierEventJson('[1, 2]'))).toBe('event: must be a JSON object (got an array)');
    expect(reasonOf(parseCarrierEventJson('42'))).toBe('event: must be a JSON object (got a number)');
  });

  it('rejects the malformed line of the border-roaming scenario, naming the missing fields', () => {
    const reason = reasonOf(parseCarrierEventJson('{"recordId": "p1-bad", "subscriberId": "P1"}'));

    expect(reason).toBe('eventTime: required; service: required; servingPlmn: required');
  });

  it('treats a JSON "__proto__" key as an unknown field, as ajv does', () => {
    const text = '{"__proto__": {"x": 1}, "recordId": "r", "subscriberId": "S", "eventTime": "2026-09-10T07:20:00Z", "service": "sms", "count": 1, "servingPlmn": "20801"}';

    const result = parseCarrierEventJson(text);

    expect(ajvEvent(JSON.parse(text))).toBe(false);
    expect(reasonOf(result)).toBe('__proto__: not allowed');
  });
});

describe('date-times are handed on in canonical RFC 3339 form', () => {
  it.each([
    ['2026-09-10T07:20:00Z', '2026-09-10T07:20:00Z'],
    ['2026-09-10T09:20:00.5+02:00', '2026-09-10T09:20:00.5+02:00'],
    ['2026-09-10t07:20:00z', '2026-09-10T07:20:00Z'],
    ['2026-09-10 09:20:00+0200', '2026-09-10T09:20:00+02:00'],
    ['2026-09-10T09:20:00+02', '2026-09-10T09:20:00+02:00'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
    ['2017-01-01T00:59:60.5+01:00', '2016-12-31T23:59:59.999Z'],
  ])('%s -> %s', (given, canonical) => {
    const result = parseCarrierEvent(withEvent({ eventTime: given, startTime: given }));

    expect(result.ok && [result.value.eventTime, result.value.type === 'usage' && result.value.startTime]).toEqual([canonical, canonical]);
  });
});

describe('documented additions to the contract (zod is stricter on purpose)', () => {
  it('rejects a time zone that is not an IANA zone, which ajv accepts', () => {
    for (const timeZone of ['Mars/Olympus_Mons', 'CET+1', '+02:00', '']) {
      const input = withPlan({ timeZone });

      const result = parseSubscriberProfile(input);

      expect(ajvProfile(input), timeZone).toBe(true);
      expect(reasonOf(result), timeZone).toBe('plan.timeZone: must be an IANA time zone name (e.g. Europe/Paris)');
    }
  });

  it('accepts real IANA zones', () => {
    for (const timeZone of ['Europe/Paris', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT-2', 'Asia/Kolkata']) {
      expect(parseSubscriberProfile(withPlan({ timeZone })).ok, timeZone).toBe(true);
    }
  });

  it('rejects integers beyond 2^53, which lose precision as JSON numbers', () => {
    const input = withEvent({ volumeBytes: 2 ** 53 });

    expect(ajvEvent(input)).toBe(true);
    expect(reasonOf(parseCarrierEvent(input))).toBe('volumeBytes: must be an integer >= 0');
  });
});

// Inputs that are mostly right, each field wrong now and then in the ways a mediation layer or a provisioning
// system gets it wrong, so that both verdicts occur often (about half accepted) and every rule is exercised.
const mostly = (valid: fc.Arbitrary<unknown>, wrong: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: wrong, weight: 1 });
const ABSENT = Symbol('absent');
/** A required field: present and usually right, sometimes wrong, rarely absent. */
const required = (valid: fc.Arbitrary<unknown>, wrong: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: mostly(valid, wrong), weight: 40 }, { arbitrary: fc.constant(ABSENT), weight: 1 });
/** An optional field: often absent, usually right when present. */
const optional = (valid: fc.Arbitrary<unknown>, wrong: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 1 }, { arbitrary: mostly(valid, wrong), weight: 1 });
const rareExtra = fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 30 }, { arbitrary: fc.constant(1), weight: 1 });
const present = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ABSENT));

// Integers past 2^53 are a deliberate difference (tested above), so the doubles stay clear of them.
const jsonNumber = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n) || Number.isSafeInteger(n));
const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), jsonNumber, fc.string(), fc.constant([]), fc.constant({}));
const nat = (min: number) => fc.oneof(fc.integer({ min, max: 1_000_000_000 }), fc.constant(min), fc.maxSafeNat().filter((n) => n >= min));
const wrongNat = (min: number) => fc.oneof(fc.constant(min - 1), fc.integer({ min: -1_000, max: min - 1 }), fc.double({ min: 0.01, max: 1e9, noNaN: true }).filter((n) => !Number.isInteger(n)), fc.constant('5'), anyJson);
/** Strings around a length limit, in code units and in code points (astral characters are 2 units, 1 point). */
const text = (max: number) =>
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'binary', minLength: max - 1, maxLength: max }),
    fc.string({ minLength: max - 1, maxLength: max }),
  );
const wrongText = (max: number) => fc.oneof(fc.constant(''), fc.string({ unit: 'binary', minLength: max + 1, maxLength: max + 2 }), fc.string({ minLength: max + 1, maxLength: max + 3 }), anyJson);
const plmn = fc.stringMatching(/^[0-9]{5,6}$/);
const wrongPlmn = fc.oneof(fc.stringMatching(/^[0-9]{3,4}$/), fc.stringMatching(/^[0-9]{7,8}$/), fc.constantFrom('2080a', ' 20801', '20801\n', '２０８０１'), fc.integer(), anyJson);
const twoDigits = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
const instant = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });
/** Date-times in the many shapes RFC 3339 (as ajv reads it) allows, and in shapes it does not. */
const dateTimeShapes = fc
  .tuple(
    fc.integer({ min: 1970, max: 2099 }),
    twoDigits(13),
    twoDigits(31),
    fc.constantFrom('T', 'T', 't', ' ', '_'),
    twoDigits(24),
    twoDigits(60),
    fc.constantFrom('00', '30', '59', '60', '61'),
    fc.constantFrom('', '.5', '.123456789', '.'),
    fc.constantFrom('Z', 'z', '', '+02:00', '-05:30', '+0200', '+02', '+24:00', '+02:60', '-00:00', '+2:00'),
  )
  .map(([y, mo, d, sep, h, mi, s, frac, tz]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac}${tz}`);
const dateTime = fc.oneof(
  { arbitrary: instant.map((d) => d.toISOString()), weight: 3 },
  { arbitrary: dateTimeShapes, weight: 2 },
  { arbitrary: fc.constantFrom('2016-12-31T23:59:60Z', '2017-01-01T00:59:60+01:00', '2016-12-31T22:59:60-01:00', '2016-12-31T23:59:60.999+00:00'), weight: 1 },
);
const wrongDateTime = fc.oneof(instant.map((d) => d.toISOString().slice(0, 19)), instant.map((d) => d.toISOString().slice(0, 10)), instant.map((d) => d.getTime()), anyJson);

const usageOf = (service: 'data' | 'voice' | 'sms') =>
  fc
    .record({
      type: fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 10 }, { arbitrary: fc.constant('usage'), weight: 10 }, { arbitrary: fc.constantFrom('Usage', null, 'attach', 'cdr'), weight: 1 }),
      recordId: required(text(128), wrongText(128)),
      subscriberId: required(text(64), wrongText(64)),
      eventTime: required(dateTime, wrongDateTime),
      startTime: optional(dateTime, wrongDateTime),
      service: required(fc.constant(service), fc.constantFrom('mms', 'DATA', 1, null)),
      volumeBytes: service === 'data' ? required(nat(0), wrongNat(0)) : fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 5 }, { arbitrary: nat(0), weight: 1 }),
      durationSeconds: service === 'voice' ? required(nat(0), wrongNat(0)) : fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 5 }, { arbitrary: nat(0), weight: 1 }),
      count: service === 'sms' ? required(nat(1), wrongNat(1)) : fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 5 }, { arbitrary: nat(1), weight: 1 }),
      servingPlmn: required(plmn, wrongPlmn),
      chargeMicros: optional(nat(0), wrongNat(0)),
      currency: optional(fc.constantFrom('EUR', 'CHF', 'USD'), fc.oneof(fc.stringMatching(/^[A-Za-z]{2,4}$/), anyJson)),
      eventId: rareExtra,
      extra: rareExtra,
    })
    .map(present);
// One record per service, built once: fc.chain would rebuild the arbitraries for every run.
const usageLike = fc.oneof(usageOf('data'), usageOf('voice'), usageOf('sms'));
const attachLike = fc
  .record({
    type: fc.oneof({ arbitrary: fc.constant('attach'), weight: 20 }, { arbitrary: fc.constantFrom(ABSENT, 'Attach', 'usage'), weight: 1 }),
    eventId: required(text(128), wrongText(128)),
    subscriberId: required(text(64), wrongText(64)),
    eventTime: required(dateTime, wrongDateTime),
    servingPlmn: required(plmn, wrongPlmn),
    recordId: rareExtra,
    service: rareExtra,
  })
  .map(present);
const eventLike = fc.oneof({ arbitrary: usageLike, weight: 3 }, { arbitrary: attachLike, weight: 1 });

const object = (arb: fc.Arbitrary<Record<string, unknown>>) => fc.oneof({ arbitrary: arb, weight: 30 }, { arbitrary: anyJson, weight: 1 });
const bool = (b: fc.Arbitrary<boolean>) => mostly(b, fc.oneof(fc.constantFrom('true', 0, 1, null), anyJson));
const capLike = object(fc.record({ enabled: optional(fc.boolean(), anyJson), limitMicros: optional(nat(0), wrongNat(0)), extra: rareExtra }).map(present));
const profileLike = fc
  .record({
    subscriberId: required(text(64), wrongText(64)),
    msisdn: required(fc.stringMatching(/^\+[1-9][0-9]{6,14}$/), fc.oneof(fc.stringMatching(/^\+?[0-9]{4,17}$/), fc.constantFrom('+33 6 11 11 11 11', '+0611111111'), anyJson)),
    email: optional(fc.oneof(fc.emailAddress(), fc.constantFrom('A@B.CO', 'first.last+tag@example.co.uk')), fc.oneof(fc.string(), fc.constantFrom('a..b@example.org', 'x@y', 'a@-b.org', '.a@b.org'), anyJson)),
    accountId: optional(fc.string(), anyJson),
    locale: optional(fc.constantFrom('fr', 'en'), fc.constantFrom('de', 'FR', null)),
    homePlmn: optional(plmn, wrongPlmn),
    plan: required(
      fc
        .record({
          name: optional(fc.string(), anyJson),
          dataAllowanceBytes: required(nat(0), wrongNat(0)),
          monthlyFeeMicros: optional(nat(0), wrongNat(0)),
          billingCycleDay: optional(fc.integer({ min: 1, max: 28 }), fc.oneof(fc.constantFrom(0, 29, 31, 1.5, '1'), anyJson)),
          // Only real zones or non-strings: an unknown zone name is a deliberate addition (tested above).
          timeZone: optional(fc.constantFrom('Europe/Paris', 'UTC', 'America/New_York', 'Asia/Kolkata'), fc.constantFrom(1, null, true, [], {})),
          extra: rareExtra,
        })
        .map(present),
      anyJson,
    ),
    roamingCap: optional(capLike, anyJson),
    overageCap: optional(capLike, anyJson),
    notifications: optional(object(fc.record({ sms: optional(bool(fc.boolean()), anyJson), email: optional(bool(fc.boolean()), anyJson), extra: rareExtra }).map(present)), anyJson),
    extra: rareExtra,
  })
  .map(present);

describe('properties: zod gives the verdict of the JSON Schema', () => {
  it('on carrier events', () => {
    fc.assert(
      fc.property(eventLike, (input) => {
        const byZod = parseCarrierEvent(input);
        expect(byZod.ok, `${JSON.stringify(input)} -> ${reasonOf(byZod)}`).toBe(ajvEvent(input));
      }),
      { numRuns: 3_000 },
    );
  });

  it('on subscriber profiles', () => {
    fc.assert(
      fc.property(profileLike, (input) => {
        const byZod = parseSubscriberProfile(input);
        expect(byZod.ok, `${JSON.stringify(input)} -> ${reasonOf(byZod)}`).toBe(ajvProfile(input));
      }),
      { numRuns: 3_000 },
    );
  });

  it('every accepted date-time reads as a valid instant in luxon and Date', () => {
    fc.assert(
      fc.property(fc.oneof(dateTime, wrongDateTime), (eventTime) => {
        const result = parseCarrierEvent(withEvent({ eventTime }));
        if (!result.ok) return;
        expect(DateTime.fromISO(result.value.eventTime, { setZone: true }).isValid, result.value.eventTime).toBe(true);
        expect(Number.isNaN(Date.parse(result.value.eventTime)), result.value.eventTime).toBe(false);
      }),
      { numRuns: 3_000 },
    );
  });

  it('the exported schemas are the ones the parse functions use', () => {
    fc.assert(
      fc.property(eventLike, profileLike, (event, prof) => {
        expect(carrierEventSchema.safeParse(event).success).toBe(parseCarrierEvent(event).ok);
        expect(subscriberProfileSchema.safeParse(prof).success).toBe(parseSubscriberProfile(prof).ok);
      }),
      { numRuns: 500 },
    );
  });
});
