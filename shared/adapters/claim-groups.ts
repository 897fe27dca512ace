/**
 * The claims items of the usage table (docs/architecture.md, "Claims"), shared by the DynamoDB adapter and
 * the in-memory store so that both decide, store and charge alike.
 *
 * A subscriber's claims are grouped by the UTC hour of the events' `eventTime`. A group is a head item
 * (`R#T#<hour>`), which every claim write of the group replaces under a version condition, and, once the
 * group outgrows one item, archive items (`R#T#<hour>#<id>`) that the head lists. An archive is written
 * before the head that lists it and never changes afterwards: its id is a hash of its content, so writing
 * it again (a retry, a crash before the head) writes the same item. Every item stays within 1 KB, so that
 * each write of it costs one write unit.
 *
 * Each key maps to its holder (the claim name or redrive marker, as a compact id) and the period the record
 * is counted in. The period most keys share is stored once per item (`d`); a key in another period, or held
 * without one, says so after a `/`.
 */
import { createHash } from 'node:crypto';
import type { ClaimOutcome, KeyClaim, PerKeyClaim, RedriveHold, StoredClaim } from '../ports/usage-store.js';
import { itemSize, type Item, type ItemValue } from './dynamo-usage-store-items.js';

/** The largest claims item: what one write unit pays for. */
export const CLAIMS_ITEM_LIMIT_BYTES = 1024;

export const claimGroupSk = (group: string): string => `R#T#${group}`;
export const claimArchiveSk = (group: string, id: string): string => `${claimGroupSk(group)}#${id}`;

/** A group as read: the head item's keys, the archives it lists, and every key merged (the head wins). */
export interface ClaimGroupRead {
  /** Version of the head item; 0 = no head yet. */
  readonly version: number;
  /** Epoch seconds; 0 = no head yet. */
  readonly expiresAt: number;
  readonly head: ReadonlyMap<string, StoredClaim>;
  readonly archives: readonly string[];
  readonly claims: ReadonlyMap<string, StoredClaim>;
  /** Size of the head item as stored (what a write replacing it is charged from, with the new size). */
  readonly headBytes: number;
}

export const EMPTY_GROUP: ClaimGroupRead = { version: 0, expiresAt: 0, head: new Map(), archives: [], claims: new Map(), headBytes: 0 };

/** The archive ids a head item lists (read in a second round trip). */
export function archiveIdsOf(head: Item | undefined): string[] {
  const list = head?.o;
  return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : [];
}

/** The group from its head item and the archives it lists (missing archives are not there yet: none). */
export function claimGroupOf(head: Item | undefined, archives: ReadonlyMap<string, Item>): ClaimGroupRead {
  if (head === undefined) return EMPTY_GROUP;
  const ids = archiveIdsOf(head);
  const claims = new Map<string, StoredClaim>();
  for (const id of ids) {
    const archive = archives.get(id);
    if (archive !== undefined) for (const [key, claim] of entriesOf(archive)) claims.set(key, claim);
  }
  const own = entriesOf(head);
  for (const [key, claim] of own) claims.set(key, claim);
  return {
    version: typeof head.v === 'number' ? head.v : 0,
    expiresAt: typeof head.expiresAt === 'number' ? head.expiresAt : 0,
    head: own,
    archives: ids,
    claims,
    headBytes: itemSize(head),
  };
}

export interface ClaimsDecision {
  readonly results: ClaimOutcome[];
  /** Keys whose holder or period changes (new keys included), in claim order. */
  readonly changes: Map<string, StoredClaim>;
  readonly expiresAt: number;
  /** Whether anything needs writing: a change, or a later expiry. */
  readonly write: boolean;
}

const NONE: ReadonlyMap<string, StoredClaim> = new Map();

/**
 * What each claim gets, as the per-key conditional write did: the key is free, or held by the same record
 * (under its name, or a redrive hold it takes over): claimed, keeping the period recorded
 * first; held by another record: refused.
 *
 * `perKey`: holders of keys the group does not hold, found in the first release's per-key claim items
 * (`perKeyHolderOf`), which count as the group's own would; a key claimed from one moves into the group.
 */
export function decideClaims(group: ClaimGroupRead, keys: readonly KeyClaim[], perKey: ReadonlyMap<string, StoredClaim> = NONE): ClaimsDecision {
  const changes = new Map<string, StoredClaim>();
  const results: ClaimOutcome[] = [];
  let expiresAt = group.expiresAt;
  for (const key of keys) {
    const inGroup = changes.get(key.eventKey) ?? group.claims.get(key.eventKey);
    const existing = inGroup ?? perKey.get(key.eventKey);
    const holders = [key.claimedBy, ...(key.takesOver ?? [])];
    if (existing !== undefined && !holders.includes(existing.claimedBy)) {
      results.push({ claimed: false });
      continue;
    }
    const recorded = existing?.period;
    if (inGroup === undefined || existing?.claimedBy !== key.claimedBy || recorded === undefined) {
      changes.set(key.eventKey, { claimedBy: key.claimedBy, period: recorded ?? key.period });
    }
    expiresAt = Math.max(expiresAt, key.expiresAt);
    results.push(recorded === undefined ? { claimed: true } : { claimed: true, period: recorded });
  }
  return { results, changes, expiresAt, write: changes.size > 0 || expiresAt > group.expiresAt };
}

/** A hold for redrive: the key free, or held by the record itself or its marker, becomes the marker's. */
export function decideHold(
  group: ClaimGroupRead,
  hold: RedriveHold,
  perKey: ReadonlyMap<string, StoredClaim> = NONE,
): { held: boolean; changes: Map<string, StoredClaim>; expiresAt: number } {
  const existing = group.claims.get(hold.eventKey) ?? perKey.get(hold.eventKey);
  const changes = new Map<string, StoredClaim>();
  if (existing !== undefined && ![hold.claimedBy, hold.marker].includes(existing.claimedBy)) {
    return { held: false, changes, expiresAt: group.expiresAt };
  }
  changes.set(hold.eventKey, existing?.period === undefined ? { claimedBy: hold.marker } : { claimedBy: hold.marker, period: existing.period });
  return { held: true, changes, expiresAt: Math.max(group.expiresAt, hold.expiresAt) };
}

/**
 * A live per-key claim item of the first release as a holder of the key: a raw holder the claim names as the
 * record's own becomes the id it has in the groups; any other stays raw (a raw name has a `/` or `:`, which
 * no id has, so it never passes for one). Undefined when the item is absent, expired (TTL deletes lazily) or
 * not a claim.
 */
export function perKeyHolderOf(item: Item | undefined, claim: PerKeyClaim, nowSeconds: number): StoredClaim | undefined {
  if (item === undefined || typeof item.claimedBy !== 'string') return undefined;
  if (typeof item.expiresAt === 'number' && item.expiresAt < nowSeconds) return undefined;
  const claimedBy = Object.hasOwn(claim.own, item.claimedBy) ? (claim.own[item.claimedBy] as string) : item.claimedBy;
  return typeof item.pd === 'string' ? { claimedBy, period: item.pd } : { claimedBy };
}

/** The items one claim write puts: new archives first (unconditionally), then the head (version condition). */
export interface GroupWrite {
  readonly archives: Item[];
  readonly head: Item;
}

/**
 * The head with the changes applied; when it would outgrow one item, its oldest keys move to archives,
 * each as full as 1 KB allows, until the head fits.
 */
export function planGroupWrite(subscriberId: string, group: string, read: ClaimGroupRead, changes: ReadonlyMap<string, StoredClaim>, expiresAt: number): GroupWrite {
  const merged = new Map(read.head);
  for (const [key, claim] of changes) merged.set(key, claim);
  let entries = [...merged];
  const archiveIds = [...read.archives];
  const archives: Item[] = [];
  const headOf = (rest: Array<[string, StoredClaim]>): Item =>
    withEntries({ pk: subscriberId, sk: claimGroupSk(group), v: read.version + 1, expiresAt, ...(archiveIds.length > 0 && { o: [...archiveIds] }) }, rest);
  let head = headOf(entries);
  while (itemSize(head) > CLAIMS_ITEM_LIMIT_BYTES && entries.length > 1) {
    let n = 1;
    while (n < entries.length && itemSize(archiveOf(subscriberId, group, entries.slice(0, n + 1), expiresAt)) <= CLAIMS_ITEM_LIMIT_BYTES) n += 1;
    const archive = archiveOf(subscriberId, group, entries.slice(0, n), expiresAt);
    archives.push(archive);
    archiveIds.push(String(archive.sk).slice(claimGroupSk(group).length + 1));
    entries = entries.slice(n);
    head = headOf(entries);
  }
  return { archives, head };
}

const ARCHIVE_ID_CHARS = 8;

function archiveOf(subscriberId: string, group: string, entries: Array<[string, StoredClaim]>, expiresAt = 0): Item {
  const id = createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, ARCHIVE_ID_CHARS);
  return withEntries({ pk: subscriberId, sk: claimArchiveSk(group, id), expiresAt }, entries);
}

/** The item with its keys: `k` {key: holder, or holder/period when not the item's period `d`}. */
function withEntries(base: Item, entries: ReadonlyArray<[string, StoredClaim]>): Item {
  const counts = new Map<string, number>();
  for (const [, claim] of entries) if (claim.period !== undefined) counts.set(claim.period, (counts.get(claim.period) ?? 0) + 1);
  let common: string | undefined;
  for (const [period, count] of counts) if (common === undefined || count > (counts.get(common) ?? 0)) common = period;
  const keys: Record<string, ItemValue> = {};
  for (const [key, claim] of entries) keys[key] = claim.period === common ? claim.claimedBy : `${claim.claimedBy}/${claim.period ?? ''}`;
  return { ...base, ...(common !== undefined && { d: common }), k: keys };
}

function entriesOf(item: Item): Map<string, StoredClaim> {
  const out = new Map<string, StoredClaim>();
  const keys = item.k;
  const common = typeof item.d === 'string' ? item.d : undefined;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return out;
  for (const [key, value] of Object.entries(keys)) {
    if (typeof value !== 'string') continue;
    const slash = value.indexOf('/');
    if (slash < 0) out.set(key, common === undefined ? { claimedBy: value } : { claimedBy: value, period: common });
    else {
      const period = value.slice(slash + 1);
      out.set(key, period === '' ? { claimedBy: value.slice(0, slash) } : { claimedBy: value.slice(0, slash), period });
    }
  }
  return out;
}
