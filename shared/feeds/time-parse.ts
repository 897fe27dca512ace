/**
 * Times of an export as instants (epoch ms). Exports write local time in many layouts (`20260910092000`,
 * `10/09/2026 09:20:00`, ISO without offset) in a zone the mapping names, or with the offset in a column
 * of its own (TAP: local time + UTC offset). A file holds millions of lines, so the common layouts are
 * read by position without a date library, and a zone's offset is looked up once per local hour;
 * anything else falls back to Luxon.
 */
import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

/** Reads a time text to epoch ms, given the zone of the line (a zone text: IANA, UTC, +02:00, +0200). */
export type TimeReader = (text: string, zone: string) => number | { error: string };

const FAST_TOKENS = new Set(['yyyy', 'MM', 'dd', 'HH', 'mm', 'ss']);

interface Slot {
  readonly token: string;
  readonly at: number;
  readonly length: number;
}

/** Splits a Luxon-style pattern into tokens (runs of the same letter) and literals ('quoted' text is literal). */
function tokenize(pattern: string): Array<{ token?: string; literal?: string }> {
  const parts: Array<{ token?: string; literal?: string }> = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const text = end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end);
      parts.push({ literal: text });
      i = end < 0 ? pattern.length : end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (j < pattern.length && pattern[j] === c) j++;
      parts.push({ token: pattern.slice(i, j) });
      i = j;
    } else {
      parts.push({ literal: c });
      i++;
    }
  }
  return parts;
}

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** A compiled time format. Throws on a fast pattern that lacks the date (checked when the mapping loads). */
export function timeReader(format: string): TimeReader {
  if (format === 'epoch-s' || format === 'epoch-ms') {
    const factor = format === 'epoch-s' ? 1000 : 1;
    return (text) => {
      if (!/^\d{1,13}(\.\d{1,6})?$/.test(text)) return { error: `is not ${format === 'epoch-s' ? 'epoch seconds' : 'epoch milliseconds'}` };
      return Math.round(Number(text) * factor);
    };
  }
  if (format === 'iso') {
    return (text, zone) => {
      const m = ISO_LOCAL.exec(text);
      if (m === null) return { error: 'is not an ISO 8601 date-time (yyyy-MM-ddTHH:mm:ss)' };
      const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
      return instantOf(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] === undefined ? 0 : +m[6], fraction, m[8] ?? zone);
    };
  }
  const parts = tokenize(format);
  const fast = parts.every((p) => p.literal !== undefined || FAST_TOKENS.has(p.token!) || /^S+$/.test(p.token!));
  if (fast) {
    const slots: Slot[] = [];
    const literals: Array<{ at: number; text: string }> = [];
    let at = 0;
    for (const p of parts) {
      if (p.literal !== undefined) {
        literals.push({ at, text: p.literal });
        at += p.literal.length;
      } else {
        slots.push({ token: p.token!.startsWith('S') ? 'S' : p.token!, at, length: p.token!.length });
        at += p.token!.length;
      }
    }
    const width = at;
    const has = (token: string): boolean => slots.some((s) => s.token === token);
    if (!has('yyyy') || !has('MM') || !has('dd')) throw new Error(`time format "${format}" needs yyyy, MM and dd`);
    return (text, zone) => {
      if (text.length !== width) return { error: `does not match the format ${format}` };
      for (const l of literals) if (text.slice(l.at, l.at + l.text.length) !== l.text) return { error: `does not match the format ${format}` };
      const v: Record<string, number> = { yyyy: 0, MM: 1, dd: 1, HH: 0, mm: 0, ss: 0, S: 0 };
      for (const s of slots) {
        const digits = text.slice(s.at, s.at + s.length);
        if (!/^\d+$/.test(digits)) return { error: `does not match the format ${format}` };
        v[s.token] = s.token === 'S' ? Math.floor(Number(`0.${digits}`) * 1000) : Number(digits);
      }
      return instantOf(v.yyyy!, v.MM!, v.dd!, v.HH!, v.mm!, v.ss!, v.S!, zone);
    };
  }
  // Anything else (month names, unpadded fields, ...): Luxon reads it, in the line's zone.
  return (text, zone) => {
    const parsed = DateTime.fromFormat(text, format, { zone: luxonZone(zone) ?? 'invalid', setZone: true });
    if (!parsed.isValid) return { error: `does not match the format ${format}` };
    return parsed.toMillis();
  };
}

/** Zone texts as a mapping or a column gives them, to Luxon zones (cached: a few distinct values per file). */
const zoneCache = new Map<string, FixedOffsetZone | IANAZone | null>();

function luxonZone(zone: string): FixedOffsetZone | IANAZone | undefined {
  const cached = zoneCache.get(zone);
  if (cached !== undefined) return cached ?? undefined;
  let result: FixedOffsetZone | IANAZone | null = null;
  const offset = fixedOffsetMinutes(zone);
  if (offset !== undefined) result = FixedOffsetZone.instance(offset);
  else if (IANAZone.isValidZone(zone)) result = IANAZone.create(zone);
  if (zoneCache.size < 1_000) zoneCache.set(zone, result);
  return result ?? undefined;
}

/** `Z`, `UTC`, `+02:00`, `+0200`, `+02`, `-0330` as minutes east of UTC; undefined for anything else. */
export function fixedOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (m === null) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Whether a zone text names a zone this module can use (checked when the mapping loads). */
export function isKnownZone(zone: string): boolean {
  return luxonZone(zone) !== undefined;
}

/** Offset of an IANA zone at a local hour, cached per zone and local hour: DST changes on the hour. */
const hourOffsets = new Map<string, Map<number, number>>();

function offsetAt(zone: IANAZone, year: number, month: number, day: number, hour: number): number {
  let byHour = hourOffsets.get(zone.name);
  if (byHour === undefined) hourOffsets.set(zone.name, (byHour = new Map()));
  const key = ((year * 100 + month) * 100 + day) * 100 + hour;
  const cached = byHour.get(key);
  if (cached !== undefined) return cached;
  // In the hour a clock skips (spring) or repeats (autumn), Luxon picks one offset; an export in local
  // time cannot say which instant it meant there either.
  const offset = DateTime.fromObject({ year, month, day, hour }, { zone }).offset;
  if (byHour.size > 100_000) byHour.clear();
  byHour.set(key, offset);
  return offset;
}

function instantOf(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, zone: string): number | { error: string } {
  const utcGuess = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utcGuess);
  if (
    !Number.isFinite(utcGuess) ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return { error: 'is not a valid date and time' };
  }
  const fixed = fixedOffsetMinutes(zone);
  if (fixed !== undefined) return utcGuess - fixed * 60_000;
  const named = luxonZone(zone);
  if (named === undefined) return { error: `has an unknown time zone "${zone.slice(0, 40)}"` };
  if (named instanceof FixedOffsetZone) return utcGuess - named.offset(0) * 60_000;
  return utcGuess - offsetAt(named, year, month, day, hour) * 60_000;
}

/** An instant as the contract writes it: RFC 3339 in UTC, milliseconds only when there are some. */
export function isoOf(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text;
}
