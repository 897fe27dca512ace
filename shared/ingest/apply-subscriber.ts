/**
 * One subscriber's records of a batch, applied exactly once (docs/architecture.md, "Exactly once"):
 *  1. one strongly consistent read of the STATE item and of the counters of the periods touched;
 *  2. records at or below an item's watermark for their stream and shard are redeliveries: skipped;
 *  3. every other event claims its key, recording the period it is counted in, with one conditional write
 *     per group of keys (the hour of their eventTime; a carrier duplicate has the same eventTime, so it
 *     meets its original there): a carrier duplicate finds the key held by another record and changes
 *     nothing; the same record may claim again after a crash, and then keeps the period it recorded,
 *     whatever the profile says now; a group changed by another invocation is read again;
 *  4. applyEvents (pure) computes the new counters, serving MCC and policy requests;
 *  5. the counters writer (shared/counters/counters-writer.ts) writes STATE first when the serving MCC or
 *     welcomes change, then each touched counters item, once, with a version condition, its new watermark
 *     and its outbox of requests; a conflict reloads and redoes (bounded, then `ContentionError`);
 *  6. it starts every outbox request, those left by a writer that crashed included, and removes the started
 *     ones from the outboxes.
 */
import { emptyCounters } from '../domain/counters.js';
import type { CarrierEvent, PeriodCounters, PolicyRequest, PolicySettings, SubscriberProfile } from '../domain/model.js';
import { homePlmnOf, mccOf } from '../domain/networks.js';
import { billingPeriodOf } from '../domain/periods.js';
import { applyEvents, type TimedEvent } from '../domain/usage.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import type { KeyClaim, StoredUsage, UsageStore, Watermarks } from '../ports/usage-store.js';
import { startOutbox, writeCounters, type CountersWrites } from '../counters/counters-writer.js';
import { claimGroupOf, compactIdOf, holdIdOf, markerIdOf } from './claim-ids.js';
import { ContentionError } from './fates.js';
import { perKeyClaimOf } from './per-key-claims.js';
import { compareSequenceNumbers, isAtOrBelow, shardKeyOf } from './positions.js';
import type { ReadRecord } from './stream-records.js';

/** A record of the subscriber with the period it is counted in (the claimed one once known). */
export interface Entry extends ReadRecord {
  period: string;
}

/** What became of each record so far: what a failure leaves to the quarantine. */
export interface SubscriberProgress {
  readonly applied: Set<Entry>;
  readonly duplicates: Set<Entry>;
  readonly redelivered: Set<Entry>;
}

export interface SubscriberOutcome {
  readonly newRequests: number;
  readonly lateEvents: number;
  readonly starts: number;
  readonly conflicts: number;
  readonly writeUnits: number;
}

export interface ApplyDeps {
  readonly usage: UsageStore;
  readonly workflows: PolicyWorkflowStarter;
  readonly settings: PolicySettings;
  /** How long a claim lasts after the record's time (the duplicate window), ms. */
  readonly duplicateWindowMs: number;
  /** Reloads after a version conflict before `ContentionError`. */
  readonly maxAttempts: number;
  /** Epoch ms of the upgrade from the first release: older events may have its per-key claims (per-key-claims.ts). */
  readonly perKeyClaimsUntilMs?: number;
}

/** A claim outlives the duplicate window by this much: records wait on the stream (a day) and in retries. */
const CLAIM_GRACE_MS = 2 * 86_400_000;

export function newProgress(): SubscriberProgress {
  return { applied: new Set(), duplicates: new Set(), redelivered: new Set() };
}

export async function applySubscriber(
  profile: SubscriberProfile,
  entries: readonly Entry[],
  deps: ApplyDeps,
  progress: SubscriberProgress,
): Promise<SubscriberOutcome> {
  const subscriberId = profile.subscriberId;
  const homeMcc = mccOf(homePlmnOf(profile, deps.settings));
  /** Claim outcomes survive a reload: the claim is the record's, whatever the attempt. */
  const claims = new Map<Entry, boolean>();
  let writeUnits = 0;
  let conflicts = 0;

  for (let attempt = 1; ; ) {
    const stored = await deps.usage.load(subscriberId, [...new Set(entries.map((e) => e.period))]);

    // Redeliveries: at or below the watermark of the item the event updates.
    const fresh = entries.filter((e) => !isAtOrBelow(stored.counters.get(e.period)?.applied ?? {}, e.record.stream, e.record.shardId, e.record.sequenceNumber));

    // The first record of a key in the batch claims it; later ones are duplicates without a write.
    const firstOfKey = new Map<string, Entry>();
    const duplicates = new Set<Entry>();
    for (const entry of fresh) {
      if (firstOfKey.has(entry.key)) duplicates.add(entry);
      else firstOfKey.set(entry.key, entry);
    }
    const toClaim = [...firstOfKey.values()].filter((e) => !claims.has(e));
    // One claim write per group (hour of eventTime) of the keys still to claim.
    const groups = new Map<string, Entry[]>();
    for (const e of toClaim) {
      const group = claimGroupOf(e.event.eventTime);
      const members = groups.get(group);
      if (members === undefined) groups.set(group, [e]);
      else members.push(e);
    }
    const grouped = [...groups];
    // Settled, not raced: when one write fails, none is still in flight while the failure is handled.
    const outcomes = settledOrThrow(
      await Promise.allSettled(grouped.map(([group, members]) => deps.usage.claim({ subscriberId, group, keys: members.map((e) => keyClaimOf(e, deps.duplicateWindowMs, deps.perKeyClaimsUntilMs)) }))),
    );
    let moved = false;
    let contended = false;
    grouped.forEach(([, members], g) => {
      const outcome = outcomes[g];
      if (outcome === undefined) return;
      writeUnits += outcome.writeUnits;
      // Another invocation claimed in the group since it was read: nothing was written; read again.
      if (!outcome.saved) {
        contended = true;
        return;
      }
      members.forEach((e, i) => {
        const result = outcome.results[i];
        if (result === undefined) return;
        claims.set(e, result.claimed);
        // Claimed before by the same record, in another period (the plan changed since): that one holds.
        if (result.claimed && result.period !== undefined && result.period !== e.period) {
          e.period = result.period;
          moved = true;
        }
      });
    });
    if (contended) {
      conflicts += 1;
      await backOff(attempt++, deps.maxAttempts, 'claims');
      continue;
    }
    // Each record moves at most once (its recorded period does not change), so this ends.
    if (moved) continue;
    for (const e of firstOfKey.values()) if (claims.get(e) === false) duplicates.add(e);
    const genuine = [...firstOfKey.values()].filter((e) => claims.get(e) === true);

    const plan = planWrites(stored, entries, genuine, profile, deps.settings, homeMcc);
    const written = await writeCounters(deps.usage, subscriberId, stored, plan);
    writeUnits += written.writeUnits;
    for (const e of genuine) if (written.periods.has(e.period) || (written.complete && e.event.type === 'attach')) progress.applied.add(e);
    if (written.error !== undefined) throw written.error;
    if (!written.complete) {
      conflicts += 1;
      await backOff(attempt++, deps.maxAttempts, 'counters');
      continue;
    }

    for (const e of duplicates) progress.duplicates.add(e);
    for (const e of entries) if (!progress.applied.has(e) && !progress.duplicates.has(e)) progress.redelivered.add(e);

    const started = await startOutbox(deps, subscriberId, [...plan.leftovers, ...plan.newRequests], stored, plan);
    writeUnits += started.writeUnits;
    return { newRequests: plan.newRequests.length, lateEvents: plan.lateEvents, starts: started.starts, conflicts, writeUnits };
  }
}

/**
 * The record's claim on its key, with compact ids (a claims item holds dozens of them per write unit). No
 * legacy name: claims items are only ever written with stream-qualified names.
 */
function keyClaimOf(entry: Entry, windowMs: number, perKeyClaimsUntilMs?: number): KeyClaim {
  const claimedBy = compactIdOf(entry.claimName);
  // Its own hold (left by a quarantine whose message could not be stored) is taken back; a redriven
  // record takes over its original's.
  const ownHold = holdIdOf(claimedBy);
  const claim: { -readonly [K in keyof KeyClaim]: KeyClaim[K] } = {
    eventKey: compactIdOf(entry.key),
    claimedBy,
    takesOver: entry.takesOver === undefined ? [ownHold] : [ownHold, markerIdOf(entry.takesOver)],
    period: entry.period,
    expiresAt: claimExpiryOf(entry, windowMs),
  };
  // Set on the object rather than copied into a new one (`{ ...claim, perKeyClaim }` is V8's slow path on Node 20).
  if (perKeyClaimsUntilMs !== undefined && entry.eventMs < perKeyClaimsUntilMs) claim.perKeyClaim = perKeyClaimOf(entry, claimedBy);
  return claim;
}

/** Epoch seconds: the claim outlives the duplicate window counted from the later of eventTime and arrival. */
export function claimExpiryOf(entry: Pick<Entry, 'eventMs' | 'arrivalMs'>, windowMs: number): number {
  return Math.floor((Math.max(entry.eventMs, entry.arrivalMs ?? 0) + windowMs + CLAIM_GRACE_MS) / 1000);
}

interface WritePlan extends CountersWrites {
  readonly state?: { servingMcc?: string; latestEventMs?: number; applied: Watermarks; pending: PolicyRequest[] };
  readonly counters: Array<{
    counters: PeriodCounters;
    expectedVersion: number;
    applied: Watermarks;
    pending: PolicyRequest[];
    latestEventMs?: number;
  }>;
  /** Outbox requests found on the items read: started again (idempotent), then cleared. */
  readonly leftovers: PolicyRequest[];
  readonly newRequests: PolicyRequest[];
  readonly lateEvents: number;
}

function timed(entry: Entry): TimedEvent {
  const cause = { shardId: entry.record.shardId, sequenceNumber: entry.record.sequenceNumber };
  return entry.knownAtMs === undefined
    ? { event: entry.event, cause, period: entry.period }
    : { event: entry.event, cause, period: entry.period, knownAtMs: entry.knownAtMs };
}

function maxEventMs(entries: readonly Entry[], type: CarrierEvent['type']): number | undefined {
  let max: number | undefined;
  for (const e of entries) {
    if (e.event.type !== type) continue;
    if (max === undefined || e.eventMs > max) max = e.eventMs;
  }
  return max;
}

function laterOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function planWrites(
  stored: StoredUsage,
  entries: readonly Entry[],
  genuine: readonly Entry[],
  profile: SubscriberProfile,
  settings: PolicySettings,
  homeMcc: string,
): WritePlan {
  const leftovers = [...stored.state.pending, ...[...stored.counters.values()].flatMap((c) => c.pending)];

  // The STATE item is written before the counters: so an event whose counters are written has its
  // state effect (serving MCC, welcome) written too. Events past the counters watermark but at or
  // below STATE's were applied to STATE by a write whose counters did not land (crash, conflict).
  const stateWm = stored.state.applied;
  const forState = genuine.filter((e) => !isAtOrBelow(stateWm, e.record.stream, e.record.shardId, e.record.sequenceNumber));
  const counters = new Map<string, PeriodCounters>();
  for (const period of new Set(entries.map((e) => e.period))) {
    counters.set(period, stored.counters.get(period)?.counters ?? emptyCounters(profile.subscriberId, period));
  }
  // The latest event seen. STATE keeps its time whenever the network changes, an attach is the latest, or
  // the latest event moves into another period; each counters item keeps the latest of its own usage. So
  // the latest is STATE's, or that of the item of its period, which a batch loads when it has an event
  // between the two (such an event is in that period).
  let latestSeen = stored.state.latestEventMs;
  for (const c of stored.counters.values()) latestSeen = laterOf(latestSeen, c.latestEventMs);
  const before = {
    counters,
    ...(stored.state.servingMcc !== undefined && { servingMcc: stored.state.servingMcc }),
    ...(latestSeen !== undefined && { latestEventMs: latestSeen }),
  };
  const applied = applyEvents(before, genuine.map(timed), profile, settings);
  const crossings = applied.requests.filter((r) => r.kind !== 'ROAMING_WELCOME');
  let welcomes = applied.requests.filter((r) => r.kind === 'ROAMING_WELCOME');
  let servingMcc = applied.servingMcc ?? stored.state.servingMcc;
  let latestEventMs = applied.latestEventMs;
  if (forState.length !== genuine.length) {
    const stateOnly = applyEvents(before, forState.map(timed), profile, settings);
    welcomes = stateOnly.requests.filter((r) => r.kind === 'ROAMING_WELCOME');
    servingMcc = stateOnly.servingMcc ?? stored.state.servingMcc;
    latestEventMs = stateOnly.latestEventMs;
  }
  // The home MCC is stored as "absent": both mean "no welcome when back home", and a subscriber at
  // home never needs a STATE write for it.
  if (servingMcc === homeMcc) servingMcc = undefined;
  // An attach is recorded nowhere else: when it is the latest event seen, STATE keeps its time.
  const attachLatest = maxEventMs(forState, 'attach');
  const attachAdvanced = attachLatest !== undefined && (latestSeen === undefined || attachLatest > latestSeen);

  const plan: {
    state?: WritePlan['state'];
    counters: WritePlan['counters'];
    leftovers: PolicyRequest[];
    newRequests: PolicyRequest[];
    lateEvents: number;
  } = { counters: [], leftovers, newRequests: [...welcomes, ...crossings], lateEvents: applied.lateEvents };

  const periodOfMs = (ms: number | undefined) => (ms === undefined ? undefined : billingPeriodOf(ms, profile.plan).id);
  const latestMoved = latestEventMs !== undefined && periodOfMs(latestEventMs) !== periodOfMs(stored.state.latestEventMs);
  if (servingMcc !== stored.state.servingMcc || welcomes.length > 0 || attachAdvanced || latestMoved) {
    const stateLatest = laterOf(stored.state.latestEventMs, latestEventMs);
    plan.state = {
      applied: advance(stateWm, entries),
      pending: [...stored.state.pending, ...welcomes],
      ...(servingMcc !== undefined && { servingMcc }),
      ...(stateLatest !== undefined && { latestEventMs: stateLatest }),
    };
  }
  for (const [period, after] of applied.counters) {
    const old = stored.counters.get(period);
    const latest = laterOf(old?.latestEventMs, maxEventMs(genuine.filter((e) => e.period === period), 'usage'));
    plan.counters.push({
      counters: after,
      expectedVersion: old?.version ?? 0,
      applied: advance(old?.applied ?? {}, entries.filter((e) => e.period === period)),
      pending: [...(old?.pending ?? []), ...crossings.filter((r) => r.period === period)],
      ...(latest !== undefined && { latestEventMs: latest }),
    });
  }
  return plan;
}

function settledOrThrow<T>(results: ReadonlyArray<PromiseSettledResult<T>>): T[] {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Watermarks raised to the highest sequence number, per stream and shard, of the given records. */
function advance(watermarks: Watermarks, entries: readonly Entry[]): Watermarks {
  const next: Record<string, string> = { ...watermarks };
  for (const { record } of entries) {
    const key = shardKeyOf(record.stream, record.shardId);
    const current = next[key];
    if (current === undefined || compareSequenceNumbers(record.sequenceNumber, current) > 0) next[key] = record.sequenceNumber;
  }
  return next;
}

/** After the `attempt`-th conflict: gives up (`ContentionError`) at `maxAttempts`, else waits a little longer each time. */
function backOff(attempt: number, maxAttempts: number, what: string): Promise<void> {
  if (attempt >= maxAttempts) throw new ContentionError(`usage: ${what} still conflicting after ${attempt} attempts`);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * (attempt + 1)));
}
