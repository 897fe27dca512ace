import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { billingPeriodById, billingPeriodOf, nextPeriodStart, type BillingPeriod } from '../../shared/domain/periods.js';

const plan = (timeZone: string, billingCycleDay: number) => ({ timeZone, billingCycleDay });

describe('billingPeriodOf across DST changes and offsets', () => {
  it.each<[string, string, number, string, BillingPeriod]>([
    // Europe/Paris: CET +01:00, CEST +02:00 from the last Sunday of March (2026-03-29) to the last Sunday of October (2026-10-25).
    ['Paris, the DST day in March', 'Europe/Paris', 1, '2026-03-29T12:00:00Z', { id: '2026-03-01', start: '2026-02-28T23:00:00Z', end: '2026-03-31T22:00:00Z' }],
    ['Paris, day 15 across the March change', 'Europe/Paris', 15, '2026-04-01T00:00:00Z', { id: '2026-03-15', start: '2026-03-14T23:00:00Z', end: '2026-04-14T22:00:00Z' }],
    ['Paris, day 28 across the March change', 'Europe/Paris', 28, '2026-03-29T01:30:00Z', { id: '2026-03-28', start: '2026-03-27T23:00:00Z', end: '2026-04-27T22:00:00Z' }],
    ['Paris, cycle day on the DST day itself (2027-03-28): midnight is still +01:00', 'Europe/Paris', 28, '2027-03-28T10:00:00Z', { id: '2027-03-28', start: '2027-03-27T23:00:00Z', end: '2027-04-27T22:00:00Z' }],
    ['Paris, day 1 across the October change', 'Europe/Paris', 1, '2026-10-25T12:00:00Z', { id: '2026-10-01', start: '2026-09-30T22:00:00Z', end: '2026-10-31T23:00:00Z' }],
    ['Paris, day 15 across the October change', 'Europe/Paris', 15, '2026-10-26T00:00:00Z', { id: '2026-10-15', start: '2026-10-14T22:00:00Z', end: '2026-11-14T23:00:00Z' }],
    ['Paris, day 28 in the October period', 'Europe/Paris', 28, '2026-10-27T22:59:59.999Z', { id: '2026-09-28', start: '2026-09-27T22:00:00Z', end: '2026-10-27T23:00:00Z' }],
    // America/New_York: EST -05:00, EDT -04:00 from 2026-03-08 to 2026-11-01.
    ['New York, day 1 across the March change', 'America/New_York', 1, '2026-03-10T12:00:00Z', { id: '2026-03-01', start: '2026-03-01T05:00:00Z', end: '2026-04-01T04:00:00Z' }],
    ['New York, day 1 when DST ends on the 1st (midnight still EDT)', 'America/New_York', 1, '2026-11-01T04:00:00Z', { id: '2026-11-01', start: '2026-11-01T04:00:00Z', end: '2026-12-01T05:00:00Z' }],
    ['New York, day 15 before the March change', 'America/New_York', 15, '2026-03-01T00:00:00Z', { id: '2026-02-15', start: '2026-02-15T05:00:00Z', end: '2026-03-15T04:00:00Z' }],
    ['New York, day 28', 'America/New_York', 28, '2026-11-27T12:00:00Z', { id: '2026-10-28', start: '2026-10-28T04:00:00Z', end: '2026-11-28T05:00:00Z' }],
    // Australia/Sydney, southern DST: AEDT +11:00 until 2026-04-05, AEST +10:00 until 2026-10-04.
    ['Sydney, day 1 across the April change (DST ends)', 'Australia/Sydney', 1, '2026-04-10T00:00:00Z', { id: '2026-04-01', start: '2026-03-31T13:00:00Z', end: '2026-04-30T14:00:00Z' }],
    ['Sydney, day 1 across the October change (DST starts)', 'Australia/Sydney', 1, '2026-10-10T00:00:00Z', { id: '2026-10-01', start: '2026-09-30T14:00:00Z', end: '2026-10-31T13:00:00Z' }],
    ['Sydney, day 15', 'Australia/Sydney', 15, '2026-04-14T13:59:59.999Z', { id: '2026-03-15', start: '2026-03-14T13:00:00Z', end: '2026-04-14T14:00:00Z' }],
    // Asia/Kolkata: +05:30 all year.
    ['Kolkata, half-hour offset, day 15', 'Asia/Kolkata', 15, '2026-06-14T18:30:00Z', { id: '2026-06-15', start: '2026-06-14T18:30:00Z', end: '2026-07-14T18:30:00Z' }],
    ['Kolkata, day 28', 'Asia/Kolkata', 28, '2026-02-27T18:29:59.999Z', { id: '2026-01-28', start: '2026-01-27T18:30:00Z', end: '2026-02-27T18:30:00Z' }],
    // America/Santiago skips midnight when DST starts (2026-09-06 00:00 -> 01:00): the day starts at 01:00.
    ['Santiago, cycle day on a day without midnight', 'America/Santiago', 6, '2026-09-06T04:00:00Z', { id: '2026-09-06', start: '2026-09-06T04:00:00Z', end: '2026-10-06T03:00:00Z' }],
  ])('%s', (_label, timeZone, day, eventTime, expected) => {
    expect(billingPeriodOf(eventTime, plan(timeZone, day))).toEqual(expected);
  });

  describe('at the period start (Paris, day 1, period 2026-09-01 starts 2026-08-31T22:00:00Z)', () => {
    const paris = plan('Europe/Paris', 1);
    it.each([
      ['exactly at the start, Z', '2026-08-31T22:00:00Z', '2026-09-01'],
      ['exactly at the start, +02:00', '2026-09-01T00:00:00+02:00', '2026-09-01'],
      ['exactly at the start, -05:00', '2026-08-31T17:00:00-05:00', '2026-09-01'],
      ['one millisecond before, Z', '2026-08-31T21:59:59.999Z', '2026-08-01'],
      ['one millisecond before, +02:00', '2026-08-31T23:59:59.999+02:00', '2026-08-01'],
      ['one millisecond before, -05:00', '2026-08-31T16:59:59.999-05:00', '2026-08-01'],
      ['last millisecond of the period', '2026-09-30T21:59:59.999Z', '2026-09-01'],
      ['the end is exclusive', '2026-09-30T22:00:00Z', '2026-10-01'],
    ])('%s', (_label, eventTime, id) => {
      expect(billingPeriodOf(eventTime, paris).id).toBe(id);
    });

    it('takes a Date as well', () => {
      expect(billingPeriodOf(new Date('2026-08-31T22:00:00Z'), paris).id).toBe('2026-09-01');
    });
  });

  describe('year rollover', () => {
    it.each<[string, string, number, string, string]>([
      ['Paris: the January period starts on 31 December in UTC', 'Europe/Paris', 1, '2026-12-31T23:00:00Z', '2027-01-01'],
      ['Paris: one millisecond earlier is still December', 'Europe/Paris', 1, '2026-12-31T22:59:59.999Z', '2026-12-01'],
      ['Sydney: local January while UTC is still December', 'Australia/Sydney', 1, '2026-12-31T13:00:00Z', '2027-01-01'],
      ['Sydney: one millisecond earlier', 'Australia/Sydney', 1, '2026-12-31T12:59:59.999Z', '2026-12-01'],
      ['New York: UTC January while local is still December', 'America/New_York', 1, '2027-01-01T02:00:00Z', '2026-12-01'],
      ['Paris, day 15: the December period runs into January', 'Europe/Paris', 15, '2027-01-10T00:00:00+01:00', '2026-12-15'],
    ])('%s', (_label, timeZone, day, eventTime, id) => {
      expect(billingPeriodOf(eventTime, plan(timeZone, day)).id).toBe(id);
    });

    it('the December period ends where January starts', () => {
      expect(billingPeriodById('2026-12-01', plan('Europe/Paris', 1))).toEqual({ id: '2026-12-01', start: '2026-11-30T23:00:00Z', end: '2026-12-31T23:00:00Z' });
    });
  });
});

describe('billingPeriodById and nextPeriodStart', () => {
  const paris = plan('Europe/Paris', 1);

  it('finds a period by its id', () => {
    expect(billingPeriodById('2026-03-01', paris)).toEqual({ id: '2026-03-01', start: '2026-02-28T23:00:00Z', end: '2026-03-31T22:00:00Z' });
  });

  it.each<[string, string, number, string]>([
    ['Paris, into summer time', 'Europe/Paris', 1, '2026-03-01'],
    ['Paris, year rollover', 'Europe/Paris', 1, '2026-12-01'],
    ['New York, day 15', 'America/New_York', 15, '2026-10-15'],
    ['Sydney, day 28', 'Australia/Sydney', 28, '2026-09-28'],
    ['Kolkata, day 1', 'Asia/Kolkata', 1, '2026-12-01'],
  ])('nextPeriodStart is the end of the period (%s)', (_label, timeZone, day, id) => {
    const p = plan(timeZone, day);
    expect(nextPeriodStart(id, p)).toBe(billingPeriodById(id, p).end);
  });

  it.each([
    ['2026-12-01', '2026-12-31T23:00:00Z'],
    ['2026-03-01', '2026-03-31T22:00:00Z'],
    ['2026-10-01', '2026-10-31T23:00:00Z'],
  ])('nextPeriodStart(%s) in Paris is %s', (id, expected) => {
    expect(nextPeriodStart(id, paris)).toBe(expected);
  });

  it('after a change of cycle day, nextPeriodStart is the first start under the new plan after that date', () => {
    const day15 = plan('Europe/Paris', 15);
    expect(nextPeriodStart('2026-09-01', day15)).toBe('2026-09-14T22:00:00Z');
    expect(nextPeriodStart('2026-09-20', day15)).toBe('2026-10-14T22:00:00Z');
  });

  it('refuses an id that is not on the cycle day, naming it', () => {
    expect(() => billingPeriodById('2026-09-15', paris)).toThrow('period: 2026-09-15 does not start on plan.billingCycleDay 1');
  });

  it.each(['2026-02-30', '2026-9-01', '2026-13-01', 'september', ''])('refuses the id %j', (id) => {
    expect(() => billingPeriodById(id, paris)).toThrow(/period: must be a date YYYY-MM-DD/);
    expect(() => nextPeriodStart(id, paris)).toThrow(/period: must be a date YYYY-MM-DD/);
  });
});

describe('errors name the field at fault', () => {
  it.each([0, 29, 31, 1.5, Number.NaN])('billingCycleDay %d', (day) => {
    expect(() => billingPeriodOf('2026-09-10T07:00:00Z', plan('Europe/Paris', day))).toThrow(/plan\.billingCycleDay: must be an integer from 1 to 28/);
    expect(() => nextPeriodStart('2026-09-01', plan('Europe/Paris', day))).toThrow(/plan\.billingCycleDay/);
  });

  it('an unknown time zone', () => {
    expect(() => billingPeriodOf('2026-09-10T07:00:00Z', plan('Mars/Olympus_Mons', 1))).toThrow('plan.timeZone: not a known IANA time zone (got "Mars/Olympus_Mons")');
  });

  it('an eventTime that is not a date-time', () => {
    expect(() => billingPeriodOf('yesterday', plan('Europe/Paris', 1))).toThrow(/eventTime: not an RFC 3339 date-time/);
  });
});

describe('properties', () => {
  // Zones whose midnight always exists, so every period starts at local 00:00.
  const zones = fc.constantFrom('Europe/Paris', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Auckland', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC', 'Europe/London');
  const days = fc.integer({ min: 1, max: 28 });
  const instants = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2080, 0, 1) });

  it('an instant lies in [start, end) of its period, which starts at local midnight on the cycle day and is found again by id', () => {
    fc.assert(
      fc.property(zones, days, instants, (timeZone, day, ms) => {
        const p = plan(timeZone, day);
        const period = billingPeriodOf(new Date(ms).toISOString(), p);
        const start = Date.parse(period.start);
        const end = Date.parse(period.end);
        expect(start).toBeLessThanOrEqual(ms);
        expect(ms).toBeLessThan(end);
        expect(period.start.endsWith('Z')).toBe(true);
        const local = DateTime.fromMillis(start, { zone: timeZone });
        expect([local.day, local.hour, local.minute, local.second]).toEqual([day, 0, 0, 0]);
        expect(local.toISODate()).toBe(period.id);
        expect(billingPeriodById(period.id, p)).toEqual(period);
        expect(nextPeriodStart(period.id, p)).toBe(period.end);
      }),
      { numRuns: 500 },
    );
  });

  it('periods are contiguous: the period at `end` starts at `end`, and the period just before `start` ends at `start`', () => {
    fc.assert(
      fc.property(zones, days, instants, (timeZone, day, ms) => {
        const p = plan(timeZone, day);
        const period = billingPeriodOf(new Date(ms).toISOString(), p);
        expect(billingPeriodOf(period.end, p).start).toBe(period.end);
        expect(billingPeriodOf(new Date(Date.parse(period.start) - 1), p).end).toBe(period.start);
      }),
      { numRuns: 300 },
    );
  });

  it('the same instant written with any offset falls in the same period', () => {
    fc.assert(
      fc.property(zones, days, instants, fc.integer({ min: -12 * 60, max: 14 * 60 }), (timeZone, day, ms, offsetMinutes) => {
        const written = DateTime.fromMillis(ms, { zone: `UTC${offsetMinutes >= 0 ? '+' : '-'}${Math.floor(Math.abs(offsetMinutes) / 60)}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}` }).toISO();
        expect(billingPeriodOf(written!, plan(timeZone, day))).toEqual(billingPeriodOf(new Date(ms), plan(timeZone, day)));
      }),
      { numRuns: 300 },
    );
  });

  it('stays correct when its cache is refilled (more distinct months than it keeps)', () => {
    const p = plan('Europe/Paris', 1);
    const before = billingPeriodOf('2026-09-10T07:00:00Z', p);
    for (let day = 1; day <= 28; day++) {
      for (let month = 0; month < 400; month++) billingPeriodById(DateTime.utc(2000 + Math.floor(month / 12), (month % 12) + 1, day).toISODate()!, plan('Asia/Kolkata', day));
    }
    expect(billingPeriodOf('2026-09-10T07:00:00Z', p)).toEqual(before);
    expect(billingPeriodById('2010-05-07', plan('Asia/Kolkata', 7))).toEqual({ id: '2010-05-07', start: '2010-05-06T18:30:00Z', end: '2010-06-06T18:30:00Z' });
  });
});
