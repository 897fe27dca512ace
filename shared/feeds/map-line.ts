/**
 * A feed mapping compiled into a function from one line of an export to one usage-event.v1 record
 * (pure: no I/O). The same function serves the file-ingest Lambda, the local replay and `--follow`,
 * so that a mapping checked on a laptop against a real export behaves the same once deployed.
 *
 * Each line gives one of: a record (validated by the contract's own schema, as ingest will validate it
 * again), `skip` (not usage: blank, ignored prefix, skip rule, service mapped to skip), or `bad` with a
 * reason that names the field and column but never quotes the value (it may be an IMSI or MSISDN).
 *
 * recordIds are built from the line's content only (never from the file name or the line number), so a
 * re-sent file or a re-read line yields the same recordId and the same eventTime, and ingest counts it
 * once (the contract's duplicate rule).
 */
// One-shot `hash` (Node 20.12+) costs about half of createHash().update().digest() for short keys, once per event.
import { hash } from 'node:crypto';
import { parseCarrierEvent } from '../domain/event-schema.js';
import type { UsageEvent } from '../domain/model.js';
import { splitCsvLine } from './csv.js';
import { parseDecimal, plainIntegerTimes, scaleToInteger, type Rounding } from './decimal.js';
import {
  columnRefsOf,
  MONEY_UNITS,
  VOLUME_UNITS,
  type ChargeField,
  type CountField,
  type DurationField,
  type FeedMapping,
  type RecordIdField,
  type ServiceField,
  type TextField,
  type TimeField,
  type VolumeField,
} from './mapping-schema.js';
import { isKnownZone, isoOf, timeReader } from './time-parse.js';

export type MapOutcome =
  | { readonly kind: 'record'; readonly event: UsageEvent; readonly json: string; readonly eventMs: number }
  | { readonly kind: 'skip' }
  | { readonly kind: 'bad'; readonly reason: string; readonly recordId?: string };

export interface LineMapper {
  readonly mapping: FeedMapping;
  /** The first line that is not blank or ignored is a header, to be handed to `useHeader`. */
  readonly needsHeader: boolean;
  /** Whether the line is not a record by the mapping's rules (blank, ignored prefix); checked before the header too. */
  isIgnored(text: string): boolean;
  /** Reads the header line; returns a reason when the file is not what the mapping says (missing column). */
  useHeader(text: string): string | undefined;
  map(text: string): MapOutcome;
}

/** The values of one line, by column reference. `undefined` = absent or empty. */
interface Row {
  get(ref: string | number): string | undefined | { error: string };
}

class BadLine extends Error {}

function bad(message: string): never {
  throw new BadLine(message);
}

const MAX_RECORD_ID = 128;

/** Compiles a validated mapping. Throws an Error naming the key when a time format or zone cannot be used. */
export function compileMapping(mapping: FeedMapping): LineMapper {
  const { format, fields } = mapping;
  const decimal = format.decimalSeparator;
  const prefix = mapping.recordIdPrefix ?? `${mapping.feed}:`;
  const ignored = format.ignoreLinesStartingWith;
  let headerIndex: Map<string, number> | undefined;
  let headerWidth = 0;

  const describe = (ref: string | number): string => (typeof ref === 'number' ? `column ${ref}` : `column ${ref}`);

  // --- rows ------------------------------------------------------------------------------------
  const rowOf = (text: string): Row => {
    if (format.type === 'jsonl') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return bad('not valid JSON');
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('must be a JSON object');
      const root = value as Record<string, unknown>;
      return {
        get(ref) {
          let node: unknown = root;
          for (const key of String(ref).split('.')) {
            if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
            node = (node as Record<string, unknown>)[key];
          }
          if (node === undefined || node === null) return undefined;
          if (typeof node === 'string') return node.trim() === '' ? undefined : node.trim();
          if (typeof node === 'number' || typeof node === 'boolean') return String(node);
          return { error: `${describe(ref)} is not a plain value` };
        },
      };
    }
    if (format.type === 'fixed') {
      const byName = new Map(format.fields.map((f) => [f.name, f]));
      return {
        get(ref) {
          const f = byName.get(String(ref));
          if (f === undefined) return { error: `${describe(ref)} is not a field of the layout` };
          if (text.length < f.start - 1 + f.length) return { error: `the line is too short for ${describe(ref)}` };
          const value = text.slice(f.start - 1, f.start - 1 + f.length).trim();
          return value === '' ? undefined : value;
        },
      };
    }
    const split = splitCsvLine(text, format.delimiter, format.quote);
    if (!Array.isArray(split)) return bad(split.error);
    const values = split;
    if (format.header && values.length !== headerWidth) bad(`has ${values.length} fields, the header has ${headerWidth}`);
    return {
      get(ref) {
        let index: number | undefined;
        if (typeof ref === 'number') index = ref - 1;
        else if (format.header) index = headerIndex?.get(ref);
        else index = format.columns?.indexOf(ref);
        if (index === undefined || index < 0) return { error: `${describe(ref)} is not in the file` };
        if (index >= values.length) return { error: `has ${values.length} fields, ${describe(ref)} is missing` };
        const value = values[index]!.trim();
        return value === '' ? undefined : value;
      },
    };
  };

  const read = (row: Row, ref: string | number, field: string): string | undefined => {
    const value = row.get(ref);
    if (typeof value === 'object') return bad(`${field}: ${value.error}`);
    return value;
  };

  // --- text ------------------------------------------------------------------------------------
  type Part = { column: string | number; zeroPad?: number | undefined } | { const: string };
  const partValue = (row: Row, part: Part, field: string): string | undefined => {
    if ('const' in part) return part.const;
    const value = read(row, part.column, field);
    return value === undefined || part.zeroPad === undefined ? value : value.padStart(part.zeroPad, '0');
  };
  const concatValue = (row: Row, parts: readonly Part[], separator: string | undefined, field: string): string | undefined => {
    const values: string[] = [];
    for (const part of parts) {
      const value = partValue(row, part, field);
      if (value === undefined) return undefined;
      values.push(value);
    }
    return values.join(separator ?? '');
  };
  const text = (f: TextField, field: string) => {
    const source = (row: Row): string | undefined => {
      if (f.const !== undefined) return f.const;
      if (f.concat !== undefined) return concatValue(row, f.concat, f.separator, field);
      const value = read(row, f.column!, field);
      return value === undefined || f.zeroPad === undefined ? value : value.padStart(f.zeroPad, '0');
    };
    if (f.map === undefined) return source;
    const map = new Map(Object.entries(f.map));
    return (row: Row): string | undefined => {
      const value = source(row);
      if (value === undefined) return f.default;
      const mapped = map.get(value);
      if (mapped !== undefined) return mapped;
      if (f.default !== undefined) return f.default;
      // A code (network, service) helps the operator; a subscriber key is personal data and is not quoted.
      return bad(field === 'subscriberId' ? `${field}: the value is not in ${field}.map` : `${field}: value "${value.slice(0, 20)}" is not in ${field}.map`);
    };
  };

  // --- record id ---------------------------------------------------------------------------------
  const recordIdOf = (f: RecordIdField): ((row: Row, line: string) => string | undefined) => {
    const finish = (id: string | undefined): string | undefined => {
      if (id === undefined) return undefined;
      const full = `${prefix}${id}`;
      // Deterministic either way: the same line always gets the same id.
      return full.length <= MAX_RECORD_ID ? full : `${prefix}h:${sha256(full)}`;
    };
    if (f.hashOfLine === true) return (_row, line) => finish(sha256(line));
    if (f.hash !== undefined) {
      const parts = f.hash;
      return (row) => {
        const values: string[] = [];
        for (const part of parts) values.push(partValue(row, part, 'recordId') ?? '');
        return finish(sha256(values.join('\u001f')));
      };
    }
    if (f.concat !== undefined) {
      const parts = f.concat;
      return (row) => finish(concatValue(row, parts, f.separator, 'recordId'));
    }
    const column = f.column!;
    return (row) => finish(read(row, column, 'recordId'));
  };

  // --- quantities --------------------------------------------------------------------------------
  const quantity = (
    f: { column?: string | number | undefined; sum?: Array<string | number> | undefined; const?: number | undefined },
    field: string,
    convert: (text: string) => number | undefined,
  ) => {
    if (f.const !== undefined) {
      const value = f.const;
      return (): number | undefined => value;
    }
    const refs = f.sum ?? [f.column!];
    return (row: Row): number | undefined => {
      let total: number | undefined;
      for (const ref of refs) {
        const raw = read(row, ref, field);
        if (raw === undefined) continue;
        const value = convert(raw);
        if (value === undefined) return bad(`${field}: ${describe(ref)} is not a number in the unit the mapping gives`);
        total = (total ?? 0) + value;
      }
      return total;
    };
  };
  const scaled = (factor: bigint, divisor: bigint, rounding: Rounding) => {
    const fastFactor = divisor === 1n ? Number(factor) : undefined;
    return (raw: string): number | undefined => {
      if (fastFactor !== undefined) {
        const fast = plainIntegerTimes(raw, fastFactor);
        if (fast !== undefined) return fast;
      }
      const parsed = parseDecimal(raw, decimal);
      return parsed === undefined ? undefined : scaleToInteger(parsed, factor, divisor, rounding);
    };
  };
  const volumeOf = (f: VolumeField) => quantity(f, 'volumeBytes', scaled(VOLUME_UNITS[f.unit], 1n, 'ceil'));
  const durationOf = (f: DurationField, field: string) => {
    if (f.unit === 'hh:mm:ss') {
      return quantity(f, field, (raw) => {
        const m = /^(\d{1,6}):([0-5]\d):([0-5]\d)$/.exec(raw);
        return m === null ? undefined : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
      });
    }
    const [factor, divisor] = f.unit === 'ms' ? [1n, 1000n] : f.unit === 'min' ? [60n, 1n] : [1n, 1n];
    return quantity(f, field, scaled(factor, divisor, 'ceil'));
  };
  const countOf = (f: CountField) => quantity(f, 'count', scaled(1n, 1n, 'ceil'));
  const chargeOf = (f: ChargeField) => quantity(f, 'chargeMicros', scaled(MONEY_UNITS[f.unit], 1n, 'halfUp'));

  // --- times ------------------------------------------------------------------------------------
  const timeOf = (f: TimeField, field: string) => {
    let reader: ReturnType<typeof timeReader>;
    try {
      reader = timeReader(f.format);
    } catch (e: unknown) {
      throw new Error(`fields.${field}.format: ${e instanceof Error ? e.message : String(e)}`);
    }
    const zone = f.zone ?? 'UTC';
    if (typeof zone === 'string' && !isKnownZone(zone)) throw new Error(`fields.${field}.zone: unknown time zone "${zone}"`);
    const plus = f.plus === undefined ? undefined : durationOf(f.plus, `${field}.plus`);
    return (row: Row): number | undefined => {
      const raw = f.concat !== undefined ? concatValue(row, f.concat, f.separator, field) : read(row, f.column!, field);
      if (raw === undefined) return undefined;
      const lineZone = typeof zone === 'string' ? zone : (read(row, zone.column, `${field}.zone`) ?? bad(`${field}.zone: the zone column is empty`));
      const ms = reader(raw, lineZone);
      if (typeof ms === 'object') return bad(`${field}: ${f.concat !== undefined ? 'the concatenated value' : describe(f.column!)} ${ms.error}`);
      const extra = plus?.(row) ?? 0;
      return ms + extra * 1000;
    };
  };

  // --- service -----------------------------------------------------------------------------------
  const serviceOf = (f: ServiceField) => {
    if ('const' in f) {
      const value = f.const;
      return (): 'data' | 'voice' | 'sms' | 'skip' => value;
    }
    const map = new Map(Object.entries(f.map));
    return (row: Row): 'data' | 'voice' | 'sms' | 'skip' => {
      const code = read(row, f.column, 'service');
      const mapped = code === undefined ? undefined : map.get(code);
      if (mapped !== undefined) return mapped;
      if (f.default !== undefined) return f.default;
      return code === undefined ? bad(`service: ${describe(f.column)} is empty`) : bad(`service: code "${code.slice(0, 20)}" is not in service.map`);
    };
  };

  const recordId = recordIdOf(fields.recordId);
  const subscriberId = text(fields.subscriberId, 'subscriberId');
  const eventTime = timeOf(fields.eventTime, 'eventTime');
  const startTime = fields.startTime === undefined ? undefined : timeOf(fields.startTime, 'startTime');
  const service = serviceOf(fields.service);
  const volume = fields.volumeBytes === undefined ? undefined : volumeOf(fields.volumeBytes);
  const duration = fields.durationSeconds === undefined ? undefined : durationOf(fields.durationSeconds, 'durationSeconds');
  const count = fields.count === undefined ? undefined : countOf(fields.count);
  const servingPlmn = text(fields.servingPlmn, 'servingPlmn');
  const charge = fields.chargeMicros === undefined ? undefined : chargeOf(fields.chargeMicros);
  const currency = fields.currency === undefined ? undefined : text(fields.currency, 'currency');
  const skipRules = mapping.skip.map((rule) => ({ column: rule.column, values: new Set(rule.equals) }));

  const isIgnored = (line: string): boolean => line.trim() === '' || ignored.some((p) => line.startsWith(p));

  return {
    mapping,
    needsHeader: format.type === 'csv' && format.header,
    isIgnored,
    useHeader(line) {
      if (format.type !== 'csv') return undefined;
      const split = splitCsvLine(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line, format.delimiter, format.quote);
      if (!Array.isArray(split)) return `the header line: ${split.error}`;
      const names = split.map((name) => name.trim());
      headerIndex = new Map();
      names.forEach((name, i) => {
        if (!headerIndex!.has(name)) headerIndex!.set(name, i);
      });
      headerWidth = names.length;
      const missing = [...new Set(columnRefsOf(mapping).map((r) => r.ref).filter((ref): ref is string => typeof ref === 'string'))].filter(
        (name) => !headerIndex!.has(name),
      );
      if (missing.length > 0) {
        return `the header has no column ${missing.slice(0, 5).map((m) => `"${m.slice(0, 40)}"`).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (delimiter "${format.delimiter}")`;
      }
      const positions = columnRefsOf(mapping).map((r) => r.ref).filter((ref): ref is number => typeof ref === 'number');
      const widest = Math.max(0, ...positions);
      if (widest > headerWidth) return `the header has ${headerWidth} columns, the mapping reads column ${widest}`;
      return undefined;
    },
    map(line) {
      if (isIgnored(line)) return { kind: 'skip' };
      let id: string | undefined;
      try {
        const row = rowOf(line);
        for (const rule of skipRules) {
          const value = read(row, rule.column, 'skip');
          if (value !== undefined && rule.values.has(value)) return { kind: 'skip' };
        }
        const kind = service(row);
        if (kind === 'skip') return { kind: 'skip' };
        id = recordId(row, line);
        const end = eventTime(row);
        const start = startTime?.(row);
        // Built key by key (no spreads): this runs for every line of files of millions of lines.
        const candidate: Record<string, unknown> = { type: 'usage', recordId: id, subscriberId: subscriberId(row) };
        if (end !== undefined) candidate.eventTime = isoOf(end);
        if (start !== undefined) candidate.startTime = isoOf(start);
        candidate.service = kind;
        setDefined(candidate, 'volumeBytes', volume?.(row));
        setDefined(candidate, 'durationSeconds', duration?.(row));
        setDefined(candidate, 'count', count?.(row));
        candidate.servingPlmn = servingPlmn(row);
        setDefined(candidate, 'chargeMicros', charge?.(row));
        setDefined(candidate, 'currency', currency?.(row));
        const parsed = parseCarrierEvent(candidate);
        if (!parsed.ok) return { kind: 'bad', reason: parsed.reason, ...(id !== undefined ? { recordId: id } : {}) };
        const event = parsed.value as UsageEvent;
        return { kind: 'record', event, json: JSON.stringify(event), eventMs: end! };
      } catch (e: unknown) {
        if (e instanceof BadLine) return { kind: 'bad', reason: e.message, ...(id !== undefined ? { recordId: id } : {}) };
        throw e;
      }
    },
  };
}

function setDefined(target: Record<string, unknown>, key: string, value: number | string | undefined): void {
  if (value !== undefined) target[key] = value;
}

function sha256(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 32);
}
