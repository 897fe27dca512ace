/**
 * The realtime table (online charging and spending limit control): its key design and item shapes, shared
 * by the DynamoDB adapters and the in-memory stores of the tests so that both store the same items.
 * docs/realtime.md describes them.
 *
 * | pk | sk | what |
 * |---|---|---|
 * | `S#<chargingDataRef>` | `S` | a charging session: grants, answers kept for retransmissions, pending usage |
 * | `U#<subscriberId>` | `P#<period>` | the subscriber's budget in a billing period: reservations, uncounted usage, refused sessions |
 * | `U#<subscriberId>` | `PC` | the policy counters' statuses (set by carrier commands) |
 * | `U#<subscriberId>` | `N#<subscriptionId>` | a PCF's subscription |
 * | `N#<subscriptionId>` | `N` | which subscriber a subscription belongs to (its URI names only the id) |
 *
 * Budgets are written on every update of every session of the subscriber, so they are encoded compactly
 * (positional arrays): a subscriber with a few sessions stays under 1 KB, one write unit per write.
 */
import type { SpendBucketName } from '../domain/model.js';
import type { Budget, Reservation, UncountedUsage } from '../domain/quota.js';
import type { StoredCounterStatus } from '../domain/policy-counters.js';
import type { ChargingSession } from '../ports/charging-store.js';
import type { SpendingLimitSubscription } from '../ports/spending-limit-store.js';
import type { TableDesign } from './tables.js';

export const REALTIME_TABLE: TableDesign = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' };

export const sessionKey = (ref: string) => ({ pk: `S#${ref}`, sk: 'S' });
export const budgetKey = (subscriberId: string, period: string) => ({ pk: `U#${subscriberId}`, sk: `P#${period}` });
export const statusesKey = (subscriberId: string) => ({ pk: `U#${subscriberId}`, sk: 'PC' });
export const subscriptionKey = (subscriberId: string, id: string) => ({ pk: `U#${subscriberId}`, sk: `N#${id}` });
export const subscriptionIndexKey = (id: string) => ({ pk: `N#${id}`, sk: 'N' });
export const SUBSCRIPTION_PREFIX = 'N#';

const DAY_SECONDS = 86_400;
/** A session item outlives its last change by this long (retransmissions, late reports, audit). */
export const SESSION_TTL_SECONDS = 3 * DAY_SECONDS;
/**
 * A budget outlives its period by this long (late reports of the period still find it): counted from the
 * period's start date (its id), as a period never lasts more than 31 days.
 */
export const BUDGET_TTL_SECONDS = (31 + 45) * DAY_SECONDS;

export type RealtimeItem = Record<string, unknown>;

// ---- sessions --------------------------------------------------------------------------------------

export function sessionItem(session: ChargingSession, version: number, nowSeconds: number): RealtimeItem {
  const { version: _v, ...doc } = session;
  return { ...sessionKey(session.ref), v: version, d: JSON.stringify(doc), expiresAt: nowSeconds + SESSION_TTL_SECONDS };
}

export function sessionOf(item: RealtimeItem): ChargingSession {
  const doc = JSON.parse(String(item.d)) as Omit<ChargingSession, 'version'>;
  return { ...doc, version: Number(item.v) };
}

// ---- budgets ---------------------------------------------------------------------------------------

type BucketCode = 'r' | 'o';
const codeOf = (bucket: SpendBucketName): BucketCode => (bucket === 'roaming' ? 'r' : 'o');
const bucketOf = (code: unknown): SpendBucketName => (code === 'r' ? 'roaming' : 'overage');

/** [bucket, charge, allowance, bytes, price/MB, servingPlmn, grantedAt ms, validity s, expiresAt ms, final 0/1, seq] */
type ReservationRow = [BucketCode, number, number, number, number, string, number, number, number, 0 | 1, number];
/** [bucket, charge, allowance, shardId | '', sequenceNumber | ''] */
type UncountedRow = [BucketCode, number, number, string, string];

interface BudgetDoc {
  r: Record<string, ReservationRow>;
  u: Record<string, UncountedRow>;
  q: Record<string, number>;
  n: Record<string, string>;
}

export function budgetItem(budget: Budget, version: number): RealtimeItem {
  const doc: BudgetDoc = { r: {}, u: {}, q: { ...budget.lastSeq }, n: { ...budget.denied } };
  for (const [key, r] of Object.entries(budget.reservations)) {
    doc.r[key] = [codeOf(r.bucket), r.chargeMicros, r.allowanceBytes, r.bytes, r.pricePerMbMicros, r.servingPlmn, r.grantedAtMs, r.validitySeconds, r.expiresAtMs, r.finalUnit ? 1 : 0, r.seq];
  }
  for (const [id, u] of Object.entries(budget.uncounted)) {
    doc.u[id] = [codeOf(u.bucket), u.chargeMicros, u.allowanceBytes, u.shardId ?? '', u.sequenceNumber ?? ''];
  }
  const periodStartSeconds = Math.floor(Date.parse(`${budget.period}T00:00:00Z`) / 1000);
  return { ...budgetKey(budget.subscriberId, budget.period), v: version, d: JSON.stringify(doc), expiresAt: periodStartSeconds + BUDGET_TTL_SECONDS };
}

export function budgetOf(subscriberId: string, period: string, item: RealtimeItem): Budget {
  const doc = JSON.parse(String(item.d)) as BudgetDoc;
  const reservations: Record<string, Reservation> = {};
  for (const [key, row] of Object.entries(doc.r ?? {})) {
    const [b, chargeMicros, allowanceBytes, bytes, pricePerMbMicros, servingPlmn, grantedAtMs, validitySeconds, expiresAtMs, final, seq] = row;
    reservations[key] = { bucket: bucketOf(b), chargeMicros, allowanceBytes, bytes, pricePerMbMicros, servingPlmn, grantedAtMs, validitySeconds, expiresAtMs, finalUnit: final === 1, seq };
  }
  const uncounted: Record<string, UncountedUsage> = {};
  for (const [id, row] of Object.entries(doc.u ?? {})) {
    const [b, chargeMicros, allowanceBytes, shardId, sequenceNumber] = row;
    uncounted[id] = { bucket: bucketOf(b), chargeMicros, allowanceBytes, period, ...(shardId !== '' && sequenceNumber !== '' ? { shardId, sequenceNumber } : {}) };
  }
  return { subscriberId, period, reservations, uncounted, lastSeq: doc.q ?? {}, denied: doc.n ?? {} };
}

// ---- spending limit control ------------------------------------------------------------------------

export function subscriptionItem(subscription: SpendingLimitSubscription): RealtimeItem {
  const expiry = subscription.expiry === undefined ? undefined : Math.floor(Date.parse(subscription.expiry) / 1000);
  return { ...subscriptionKey(subscription.subscriberId, subscription.id), d: JSON.stringify(subscription), ...(expiry !== undefined ? { expiresAt: expiry } : {}) };
}

export function subscriptionIndexItem(subscription: SpendingLimitSubscription): RealtimeItem {
  const expiry = subscription.expiry === undefined ? undefined : Math.floor(Date.parse(subscription.expiry) / 1000);
  return { ...subscriptionIndexKey(subscription.id), s: subscription.subscriberId, ...(expiry !== undefined ? { expiresAt: expiry } : {}) };
}

export function subscriptionOf(item: RealtimeItem): SpendingLimitSubscription {
  return JSON.parse(String(item.d)) as SpendingLimitSubscription;
}

export function statusesItem(subscriberId: string, statuses: Readonly<Record<string, StoredCounterStatus>>, version: number): RealtimeItem {
  return { ...statusesKey(subscriberId), v: version, d: JSON.stringify(statuses) };
}

export function statusesOf(item: RealtimeItem): Record<string, StoredCounterStatus> {
  return JSON.parse(String(item.d)) as Record<string, StoredCounterStatus>;
}

/** A subscription whose expiry has passed is gone, whether or not TTL has deleted its items yet. */
export function isExpired(subscription: SpendingLimitSubscription, nowMs: number): boolean {
  return subscription.expiry !== undefined && Date.parse(subscription.expiry) <= nowMs;
}
