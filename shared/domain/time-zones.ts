/**
 * Wall-clock times in IANA time zones, on the runtime's own time zone database (Intl, ICU): the offset of a
 * zone at an instant, and the instant a local date begins. Billing periods need nothing more, and a date
 * library would put about 70 KB into every Lambda bundle that rates an event.
 *
 * Where a zone skips midnight (a daylight saving change at 00:00, as America/Santiago had), the day begins
 * at its first existing instant; where midnight happens twice, at the first of the two.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Profiles come from provisioning: bound the caches so odd inputs cannot grow them without limit. */
const MAX_ZONES = 1_000;

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size >= MAX_ZONES) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows `zone` as a time zone (Intl refuses what it does not know). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at `utcMs`, in ms (whole seconds: the instant's milliseconds are left out). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const whole = utcMs - (((utcMs % 1000) + 1000) % 1000);
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatterOf(zone).formatToParts(whole)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        bc = part.value.startsWith('B');
        break;
      default:
        break;
    }
  }
  return utcOfWallClock(bc ? 1 - year : year, month, day, hour, minute, second) - whole;
}

/** A wall-clock reading as if it were UTC, epoch ms (Date.UTC alone maps years 0-99 to 1900-1999). */
function utcOfWallClock(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (year >= 0 && year < 100) date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/**
 * The instant (epoch ms) at which local date `year-month-day` begins in `zone`: local midnight, or the first
 * instant of that day when the zone skips midnight. Throws for a zone the runtime does not know.
 */
export function localMidnightUtcMs(zone: string, year: number, month: number, day: number): number {
  const wall = utcOfWallClock(year, month, day, 0, 0, 0);
  // Offsets around that midnight: a change within a day of it is seen by one of the two probes.
  const before = zoneOffsetMs(zone, wall - 86_400_000);
  const after = zoneOffsetMs(zone, wall + 86_400_000);
  const candidates = [wall - Math.max(before, after), wall - Math.min(before, after)];
  for (const utc of candidates) {
    if (utc + zoneOffsetMs(zone, utc) === wall) return utc;
  }
  // Midnight does not exist (clocks jumped over it): the day begins when the jump lands, at the transition.
  let lo = wall - Math.max(before, after);
  let hi = wall - Math.min(before, after);
  const startOffset = zoneOffsetMs(zone, lo);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (zoneOffsetMs(zone, mid) === startOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}
