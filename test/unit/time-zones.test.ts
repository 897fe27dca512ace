import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKnownTimeZone, localMidnightUtcMs, zoneOffsetMs } from '../../shared/domain/time-zones.js';

const ZONES = Intl.supportedValuesOf('timeZone');

/** The local date (YYYY-MM-DD) of an instant in a zone, read with a formatter of its own. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function localDateOf(zone: string, utcMs: number): string {
  let format = dateFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(zone, format);
  }
  return format.format(utcMs);
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('time zones on the runtime database', () => {
  it('knows IANA names and refuses what is not one', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });

  it.each([
    ['Paris in winter', 'Europe/Paris', '2026-01-15T12:00:00Z', 3_600_000],
    ['Paris in summer', 'Europe/Paris', '2026-07-15T12:00:00Z', 7_200_000],
    ['Kolkata, half an hour', 'Asia/Kolkata', '2026-07-15T12:00:00Z', 19_800_000],
    ['Kathmandu, three quarters', 'Asia/Kathmandu', '2026-07-15T12:00:00Z', 20_700_000],
    ['Honolulu, behind UTC', 'Pacific/Honolulu', '2026-07-15T12:00:00.999Z', -36_000_000],
  ])('gives the offset of %s', (_label, zone, instant, offset) => {
    expect(zoneOffsetMs(zone, Date.parse(instant))).toBe(offset);
  });

  it.each([
    ['Paris, an ordinary day', 'Europe/Paris', [2026, 9, 1], '2026-08-31T22:00:00.000Z'],
    ['Santiago, where clocks skip midnight: the day begins at 01:00', 'America/Santiago', [2026, 9, 6], '2026-09-06T04:00:00.000Z'],
    ['Havana, where midnight happens twice: the first one', 'America/Havana', [2023, 11, 5], '2023-11-05T04:00:00.000Z'],
    ['Apia, which skipped 30 December 2011: the next day begins', 'Pacific/Apia', [2011, 12, 30], '2011-12-30T10:00:00.000Z'],
    ['Kiritimati, 14 hours ahead', 'Pacific/Kiritimati', [2026, 1, 1], '2025-12-31T10:00:00.000Z'],
    ['Shanghai on 1 January 1970, before the epoch', 'Asia/Shanghai', [1970, 1, 1], '1969-12-31T16:00:00.000Z'],
    ['year 50 is not 1950', 'UTC', [50, 3, 1], '0050-03-01T00:00:00.000Z'],
  ])('begins the day of %s', (_label, zone, [year, month, day], expected) => {
    expect(iso(localMidnightUtcMs(zone, year!, month!, day!))).toBe(expected);
  });

  it('begins each day at its first instant: the second before is on an earlier date, in every zone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        (zone, year, month, day) => {
          // Arrange
          const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

          // Act
          const start = localMidnightUtcMs(zone, year, month, day);

          // Assert: on that date (or the next, where the zone skipped the whole date), and the first second of it
          expect(localDateOf(zone, start) >= date, `${zone} ${date} starts ${iso(start)}`).toBe(true);
          expect(localDateOf(zone, start - 1000) < date, `${zone} ${date}: ${iso(start - 1000)} is already on it`).toBe(true);
          // Whole seconds (a start before 1970 is negative: its remainder is -0)
          expect(Math.abs(start % 1000)).toBe(0);
        },
      ),
      { numRuns: 3000 },
    );
    // Half a second alone; the headroom is for a CI machine busy with the other test files.
  }, 30_000);
});
