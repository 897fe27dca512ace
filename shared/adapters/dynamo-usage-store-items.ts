/**
 * Item shapes of the usage table (see docs/architecture.md) and the DynamoDB item-size rules that
 * decide what a write costs. Short attribute names on purpose: a counters item stays under 1 KB, so each
 * write of it costs one write unit.
 *
 * Shared by the DynamoDB adapter and the in-memory store, so both store (and charge) the same items.
 */
import type { PeriodCounters, PolicyKind, PolicyRequest, RecordPosition, SpendBucketName } from '../domain/model.js';
import type { StoredCounters, StoredSubscriberState, Watermarks } from '../ports/usage-store.js';

/** A DynamoDB item as lib-dynamodb marshals it: strings, numbers, booleans, maps and lists. */
export type ItemValue = string | number | boolean | null | undefined | ItemValue[] | { [name: string]: ItemValue };
export type Item = Record<string, ItemValue>;

export const STATE_SK = 'STATE';

/**
 * What emptying an outbox writes (`REMOVE p.<crossingId>… ADD v 1`): all a writer that only starts and
 * clears its own requests needs beyond its item writes (the IAM policy of self-care is limited to them).
 */
export const OUTBOX_ATTRIBUTES: readonly string[] = ['p', 'v'];
export const countersSk = (period: string): string => `P#${period}`;

/** Pending request as stored: the subscriber is the item's key, so it is not repeated. */
interface PendingEntry {
  k: PolicyKind;
  /** Period (YYYY-MM-DD). */
  d: string;
  a: string;
  /** Start order within the item, so that a recovered outbox starts in the order the crossings happened. */
  o: number;
  b?: SpendBucketName;
  s?: string;
  m?: number;
  /** Bar id (CAP_RESET). */
  i?: string;
  /** Cause: `<shardId>/<sequenceNumber>`. */
  c?: string;
}

function encodePending(requests: readonly PolicyRequest[]): Record<string, PendingEntry> | undefined {
  if (requests.length === 0) return undefined;
  const map: Record<string, PendingEntry> = {};
  requests.forEach((r, o) => {
    const entry: PendingEntry = { k: r.kind, d: r.period, a: r.at, o };
    if (r.bucket !== undefined) entry.b = r.bucket;
    if (r.servingPlmn !== undefined) entry.s = r.servingPlmn;
    if (r.spentMicros !== undefined) entry.m = r.spentMicros;
    if (r.barId !== undefined) entry.i = r.barId;
    if (r.cause !== undefined) entry.c = `${r.cause.shardId}/${r.cause.sequenceNumber}`;
    map[r.crossingId] = entry;
  });
  return map;
}

function decodePending(subscriberId: string, value: ItemValue): PolicyRequest[] {
  if (!isMap(value)) return [];
  const entries = Object.entries(value).filter((e): e is [string, Record<string, ItemValue>] => isMap(e[1]));
  entries.sort((x, y) => num(x[1].o) - num(y[1].o));
  return entries.map(([crossingId, e]) => {
    const request: { -readonly [K in keyof PolicyRequest]: PolicyRequest[K] } = {
      kind: String(e.k) as PolicyKind,
      subscriberId,
      period: String(e.d),
      crossingId,
      at: String(e.a),
    };
    if (typeof e.b === 'string') request.bucket = e.b as SpendBucketName;
    if (typeof e.s === 'string') request.servingPlmn = e.s;
    if (typeof e.m === 'number') request.spentMicros = e.m;
    if (typeof e.i === 'string') request.barId = e.i;
    if (typeof e.c === 'string') request.cause = positionOf(e.c);
    return request;
  });
}

function positionOf(text: string): RecordPosition {
  const slash = text.lastIndexOf('/');
  return { shardId: text.slice(0, slash), sequenceNumber: text.slice(slash + 1) };
}

function isMap(value: ItemValue): value is Record<string, ItemValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: ItemValue): number {
  return typeof value === 'number' ? value : 0;
}

function watermarks(value: ItemValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(value)) for (const [shard, seq] of Object.entries(value)) if (typeof seq === 'string') out[shard] = seq;
  return out;
}

export function countersItem(write: {
  counters: PeriodCounters;
  version: number;
  applied: Watermarks;
  pending: readonly PolicyRequest[];
  latestEventMs?: number;
}): Item {
  const c = write.counters;
  const item: Item = {
    pk: c.subscriberId,
    sk: countersSk(c.period),
    v: write.version,
    n: c.eventsApplied,
    d: c.dataBytes,
    rd: c.roamingDataBytes,
    ab: c.allowanceBytes,
    vs: c.voiceSeconds,
    sc: c.smsCount,
    rc: c.roaming.chargeMicros,
    rb: c.roaming.billableMicros,
    rw: c.roaming.writtenOffMicros,
    oc: c.overage.chargeMicros,
    ob: c.overage.billableMicros,
    ow: c.overage.writtenOffMicros,
    f: { ...c.fired },
    a: { ...write.applied },
  };
  // Consent is rare: absent means false, which keeps the common item smaller.
  if (c.consent.roaming) item.cr = true;
  if (c.consent.overage) item.co = true;
  // Late records are rare: absent means none.
  if (c.lateEvents > 0) item.le = c.lateEvents;
  if (c.lateWrittenOff.roaming > 0) item.lr = c.lateWrittenOff.roaming;
  if (c.lateWrittenOff.overage > 0) item.lo = c.lateWrittenOff.overage;
  if (write.latestEventMs !== undefined) item.lt = write.latestEventMs;
  const pending = encodePending(write.pending);
  if (pending !== undefined) item.p = pending as unknown as ItemValue;
  return item;
}

export function storedCountersOf(item: Item): StoredCounters {
  const subscriberId = String(item.pk);
  const period = String(item.sk).slice(2);
  const fired: Record<string, string> = {};
  if (isMap(item.f)) for (const [id, at] of Object.entries(item.f)) if (typeof at === 'string') fired[id] = at;
  return {
    counters: {
      subscriberId,
      period,
      dataBytes: num(item.d),
      roamingDataBytes: num(item.rd),
      allowanceBytes: num(item.ab),
      voiceSeconds: num(item.vs),
      smsCount: num(item.sc),
      roaming: { chargeMicros: num(item.rc), billableMicros: num(item.rb), writtenOffMicros: num(item.rw) },
      overage: { chargeMicros: num(item.oc), billableMicros: num(item.ob), writtenOffMicros: num(item.ow) },
      consent: { roaming: item.cr === true, overage: item.co === true },
      fired,
      eventsApplied: num(item.n),
      lateEvents: num(item.le),
      lateWrittenOff: { roaming: num(item.lr), overage: num(item.lo) },
    },
    version: num(item.v),
    applied: watermarks(item.a),
    pending: decodePending(subscriberId, item.p),
    ...(typeof item.lt === 'number' && { latestEventMs: item.lt }),
  };
}

/** The attributes of the STATE item (ingest is its only writer). */
export function stateAttributes(write: {
  servingMcc?: string;
  latestEventMs?: number;
  version: number;
  applied: Watermarks;
  pending: readonly PolicyRequest[];
}): { set: Item; remove: string[] } {
  const set: Item = { v: write.version, a: { ...write.applied } };
  const remove: string[] = [];
  if (write.servingMcc !== undefined) set.m = write.servingMcc;
  else remove.push('m');
  if (write.latestEventMs !== undefined) set.mt = write.latestEventMs;
  const pending = encodePending(write.pending);
  if (pending !== undefined) set.p = pending as unknown as ItemValue;
  else remove.push('p');
  return { set, remove };
}

export function storedStateOf(subscriberId: string, item: Item | undefined): StoredSubscriberState {
  if (item === undefined) return { version: 0, applied: {}, pending: [] };
  const state: { -readonly [K in keyof StoredSubscriberState]: StoredSubscriberState[K] } = {
    version: num(item.v),
    applied: watermarks(item.a),
    pending: decodePending(subscriberId, item.p),
  };
  if (typeof item.m === 'string') state.servingMcc = item.m;
  if (typeof item.mt === 'number') state.latestEventMs = item.mt;
  return state;
}

/** Failed attempts at a subscriber's records from one position (bounded attempts, then the quarantine). */
export const failureSk = (position: string): string => `F#${position}`;

/**
 * Size of an item by the DynamoDB rules: attribute names and strings in UTF-8 bytes; a number about one
 * byte per two significant digits plus one; booleans and null one byte; maps and lists 3 bytes plus one
 * per element plus their content.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}

function valueSize(value: ItemValue): number {
  if (value === undefined || value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return numberSize(value);
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + 1 + valueSize(v), 3);
  let size = 3;
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined) continue;
    size += 1 + Buffer.byteLength(name, 'utf8') + valueSize(v);
  }
  return size;
}

/**
 * DynamoDB stores numbers as base-100 digit pairs aligned on the exponent: one byte of exponent, one per
 * pair of significant digits (plus one when the alignment splits them), one for a negative sign.
 */
function numberSize(n: number): number {
  if (n === 0) return 1;
  // Items hold integers only (micros, bytes, counts); anything else is sized generously.
  if (!Number.isSafeInteger(n)) return 2 + Math.ceil(String(Math.abs(n)).replace(/[^0-9]/g, '').length / 2) + (n < 0 ? 1 : 0);
  const whole = String(Math.abs(n));
  const digits = whole.replace(/0+$/, '');
  const exponent = whole.length - 1;
  const extra = digits.length % 2 !== 0 || exponent % 2 !== 0 ? 0 : 1;
  return 1 + Math.ceil(digits.length / 2) + extra + (n < 0 ? 1 : 0);
}

/** Write units of one write: 1 per started KB of the larger of the item before and after (minimum 1). */
export function writeUnitsOf(...sizes: number[]): number {
  return Math.max(1, Math.ceil(Math.max(0, ...sizes) / 1024));
}
