/**
 * The ingest use case: one batch of stream records in, exactly-once counter updates, policy requests
 * started once, bad inputs quarantined. Clock-free: every time comes from the events (and the stream's
 * arrival time), so the replay's virtual time holds.
 *
 * Per subscriber and batch (docs/architecture.md, "Exactly once"):
 *  1. one strongly consistent read of the STATE item and of the counters of the periods touched;
 *  2. records at or below an item's watermark for their shard are redeliveries: skipped;
 *  3. every other event claims its key with a conditional put (a carrier duplicate finds the key held
 *     by another record and changes nothing; the same record may claim again after a crash);
 *  4. applyEvents (pure) computes the new counters, serving MCC and policy requests;
 *  5. STATE is written first when the serving MCC or welcomes change, then each touched counters item,
 *     once, with a version condition, its new watermark and its outbox of requests; a conflict reloads
 *     and redoes (bounded);
 *  6. every outbox request is started (deterministic execution names make starts idempotent).
 */
import type { CarrierEvent, PolicyRequest, PolicySettings, SubscriberProfile } from '../domain/model.js';
import { emptyCounters } from '../domain/counters.js';
import { parseCarrierEventJson } from '../domain/event-schema.js';
import { homePlmnOf, mccOf } from '../domain/networks.js';
import { billingPeriodOf } from '../domain/periods.js';
import { applyEvents, type TimedEvent } from '../domain/usage.js';
import type { PeriodCounters } from '../domain/model.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { Quarantine, RejectedInput } from '../ports/quarantine.js';
import {
  compareSequenceNumbers,
  type StoredUsage,
  type UsageStore,
  type Watermarks,
} from '../ports/usage-store.js';
import { StartedRequests } from './started-requests.js';

/** One stream record, as the handler decoded it from the Kinesis event. */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The record's payload as UTF-8 text. */
  readonly data: string;
  /** When the stream received it, epoch seconds (Kinesis `approximateArrivalTimestamp`). */
  readonly arrivalTime?: number;
}

export interface IngestLog {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface IngestDeps {
  readonly usage: UsageStore;
  readonly profiles: Pick<ProfileStore, 'getMany'>;
  readonly quarantine: Quarantine;
  readonly workflows: PolicyWorkflowStarter;
  readonly settings: PolicySettings;
  /** Per container: requests known started, so outboxes empty without extra writes. */
  readonly started?: StartedRequests;
  /** How long a claim guards an event key against carrier duplicates (default 45 days). */
  readonly claimTtlDays?: number;
  /** Reloads after a version conflict before the subscriber's records are failed back (default 8). */
  readonly maxAttempts?: number;
  /** Subscribers processed at once (default 16). */
  readonly concurrency?: number;
  readonly log?: IngestLog;
  /** Hashes a subscriber id for logs (never log the id itself). */
  readonly mask?: (subscriberId: string) => string;
}

export interface IngestStats {
  records: number;
  /** Events that changed the counters or the subscriber state. */
  applied: number;
  /** Carrier duplicates: another record holds the same recordId / eventId. */
  duplicates: number;
  /** Records already applied (a redelivered batch, half or tail). */
  redelivered: number;
  rejected: number;
  /** New threshold crossings and welcomes detected in this batch. */
  crossings: number;
  /** Events of a period that had ended when they arrived: counted and capped, too late to warn or bar. */
  lateEvents: number;
  /** Workflow start requests sent (new and recovered from outboxes). */
  starts: number;
  /** DynamoDB write units consumed (claims, counters, state; refused conditional writes included). */
  writeUnits: number;
  conflicts: number;
  failedSubscribers: number;
}

export interface IngestResult {
  readonly stats: IngestStats;
  /** Positions (`<shardId>:<sequenceNumber>`) to report as batch item failures. */
  readonly failed: ReadonlySet<string>;
}

export const positionKey = (shardId: string, sequenceNumber: string): string => `${shardId}:${sequenceNumber}`;

interface Entry {
  readonly record: StreamRecord;
  readonly event: CarrierEvent;
  /** De-duplication key: usage and attach keys live apart (a recordId may equal an eventId). */
  readonly key: string;
  readonly period: string;
}

const DAY_SECONDS = 86_400;

export async function ingestBatch(records: readonly StreamRecord[], deps: IngestDeps): Promise<IngestResult> {
  const stats: IngestStats = {
    records: records.length,
    applied: 0,
    duplicates: 0,
    redelivered: 0,
    rejected: 0,
    crossings: 0,
    lateEvents: 0,
    starts: 0,
    writeUnits: 0,
    conflicts: 0,
    failedSubscribers: 0,
  };
  const failed = new Set<string>();
  const rejects: RejectedInput[] = [];
  const bySubscriber = new Map<string, Array<{ record: StreamRecord; event: CarrierEvent }>>();

  for (const record of records) {
    const parsed = parseCarrierEventJson(record.data);
    if (!parsed.ok) {
      rejects.push(rejected(record, parsed.reason));
      continue;
    }
    const group = bySubscriber.get(parsed.value.subscriberId);
    if (group === undefined) bySubscriber.set(parsed.value.subscriberId, [{ record, event: parsed.value }]);
    else group.push({ record, event: parsed.value });
  }

  let profiles: ReadonlyMap<string, SubscriberProfile> = new Map();
  try {
    profiles = bySubscriber.size > 0 ? await deps.profiles.getMany([...bySubscriber.keys()]) : profiles;
  } catch (e: unknown) {
    // Profiles unreadable (throttling, timeout): nothing of the batch can be rated; all of it is retried.
    deps.log?.error('profiles unavailable, batch failed back', { error: describe(e) });
    for (const group of bySubscriber.values()) for (const { record } of group) failed.add(positionOf(record));
    bySubscriber.clear();
  }
  for (const [subscriberId, group] of bySubscriber) {
    if (profiles.has(subscriberId)) continue;
    for (const { record } of group) rejects.push(rejected(record, 'subscriberId: unknown subscriber (no profile)'));
    bySubscriber.delete(subscriberId);
  }

  // Stored in the quarantine while the subscribers apply; settled (never left unhandled) before the end.
  const quarantined: Promise<{ error?: unknown }> =
    rejects.length === 0 ? Promise.resolve({}) : deps.quarantine.reject(rejects).then(() => ({}), (error: unknown) => ({ error }));
  const work = [...bySubscriber].map(([subscriberId, group]) => async () => {
    const profile = profiles.get(subscriberId);
    if (profile === undefined) return;
    try {
      await ingestSubscriber(profile, group, deps, stats);
    } catch (e: unknown) {
      // Transient (throttling, timeout, conflicts past the bound): only this subscriber's records are
      // failed back; what was written is safe to redo (watermarks, claims, outbox).
      stats.failedSubscribers += 1;
      deps.log?.warn('subscriber failed back for retry', {
        subscriber: deps.mask?.(subscriberId) ?? '(masked)',
        error: describe(e),
      });
      for (const { record } of group) failed.add(positionOf(record));
    }
  });
  await runLimited(work, deps.concurrency ?? 16);
  const quarantine = await quarantined;
  if ('error' in quarantine) {
    // Not stored in the quarantine = not done: Lambda delivers them again.
    deps.log?.error('quarantine unavailable, rejected records failed back', { error: describe(quarantine.error) });
    for (const r of rejects) {
      if (r.position?.shardId !== undefined && r.position.sequenceNumber !== undefined) {
        failed.add(positionKey(r.position.shardId, r.position.sequenceNumber));
      }
    }
  } else {
    stats.rejected = rejects.length;
  }
  return { stats, failed };
}

async function ingestSubscriber(
  profile: SubscriberProfile,
  group: ReadonlyArray<{ record: StreamRecord; event: CarrierEvent }>,
  deps: IngestDeps,
  stats: IngestStats,
): Promise<void> {
  const subscriberId = profile.subscriberId;
  const started = deps.started ?? new StartedRequests();
  const homeMcc = mccOf(homePlmnOf(profile, deps.settings));
  const ttl = (deps.claimTtlDays ?? 45) * DAY_SECONDS;
  const entries: Entry[] = group.map(({ record, event }) => ({
    record,
    event,
    key: event.type === 'attach' ? `A#${event.eventId}` : `U#${event.recordId}`,
    period: billingPeriodOf(event.eventTime, profile.plan).id,
  }));
  const periods = [...new Set(entries.map((e) => e.period))];
  /** Claim outcomes survive a reload: the claim is the record's, whatever the attempt. */
  const claims = new Map<Entry, boolean>();
  // Each record ends up applied, a duplicate or a redelivery, counted once whatever the attempts.
  const applied = new Set<Entry>();
  const duplicates = new Set<Entry>();
  const maxAttempts = deps.maxAttempts ?? 8;

  for (let attempt = 1; ; attempt++) {
    const stored = await deps.usage.load(subscriberId, periods);

    // Redeliveries: at or below the watermark of the item the event updates.
    const fresh = entries.filter((entry) => {
      const wm = stored.counters.get(entry.period)?.applied[entry.record.shardId];
      return wm === undefined || compareSequenceNumbers(entry.record.sequenceNumber, wm) > 0;
    });

    // The first record of a key in the batch claims it; later ones are duplicates without a write.
    const firstOfKey = new Map<string, Entry>();
    for (const entry of fresh) {
      if (firstOfKey.has(entry.key)) duplicates.add(entry);
      else firstOfKey.set(entry.key, entry);
    }
    const toClaim = [...firstOfKey.values()].filter((e) => !claims.has(e));
    const outcomes = await Promise.all(
      toClaim.map((e) =>
        deps.usage.claim({
          subscriberId,
          eventKey: e.key,
          claimedBy: `${e.record.shardId}/${e.record.sequenceNumber}`,
          expiresAt: expiryOf(e, ttl),
        }),
      ),
    );
    toClaim.forEach((e, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) return;
      claims.set(e, outcome.claimed);
      if (!outcome.claimed) duplicates.add(e);
      stats.writeUnits += outcome.writeUnits;
    });
    const genuine = [...firstOfKey.values()].filter((e) => claims.get(e) === true);

    const plan = planWrites(stored, entries, genuine, profile, deps.settings, homeMcc, (r) => !started.has(requestKeyOf(r)));
    const written = await writeAll(subscriberId, stored, plan, deps.usage, stats);
    for (const e of genuine) if (written.periods.has(e.period) || (written.complete && e.event.type === 'attach')) applied.add(e);
    if (!written.complete) {
      stats.conflicts += 1;
      if (attempt >= maxAttempts) throw new Error(`usage: still conflicting after ${attempt} attempts`);
      await sleep(Math.random() * 10 * attempt);
      continue;
    }

    stats.applied += applied.size;
    stats.duplicates += duplicates.size;
    stats.redelivered += entries.filter((e) => !applied.has(e) && !duplicates.has(e)).length;
    stats.crossings += plan.newRequests.length;
    stats.lateEvents += plan.lateEvents;

    const toStart = uniqueByName([...plan.leftovers, ...plan.newRequests], requestKeyOf);
    if (toStart.length > 0) {
      await deps.workflows.start(toStart);
      stats.starts += toStart.length;
      for (const r of toStart) started.add(requestKeyOf(r));
    }
    return;
  }
}

interface WritePlan {
  readonly state?: { servingMcc?: string; latestEventMs?: number; applied: Watermarks; pending: PolicyRequest[] };
  readonly counters: Array<{
    counters: PeriodCounters;
    expectedVersion: number;
    applied: Watermarks;
    pending: PolicyRequest[];
    latestEventMs?: number;
  }>;
  /** Outbox requests found on the items read, not known started: started again (idempotent). */
  readonly leftovers: PolicyRequest[];
  readonly newRequests: PolicyRequest[];
  readonly lateEvents: number;
}

function timed(entry: Entry): TimedEvent {
  const { record, event } = entry;
  const cause = { shardId: record.shardId, sequenceNumber: record.sequenceNumber };
  return record.arrivalTime === undefined ? { event, cause } : { event, cause, knownAtMs: record.arrivalTime * 1000 };
}

function maxEventMs(entries: readonly Entry[], type: CarrierEvent['type']): number | undefined {
  let max: number | undefined;
  for (const e of entries) {
    if (e.event.type !== type) continue;
    const ms = Date.parse(e.event.eventTime);
    if (max === undefined || ms > max) max = ms;
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
  notStarted: (request: PolicyRequest) => boolean,
): WritePlan {
  const leftovers = [...stored.state.pending, ...[...stored.counters.values()].flatMap((c) => c.pending)].filter(notStarted);

  // The STATE item is written before the counters: so an event whose counters are written has its
  // state effect (serving MCC, welcome) written too. Events past the counters watermark but at or
  // below STATE's were applied to STATE by a write whose counters did not land (crash, conflict).
  const stateWm = stored.state.applied;
  const forState = genuine.filter((e) => {
    const wm = stateWm[e.record.shardId];
    return wm === undefined || compareSequenceNumbers(e.record.sequenceNumber, wm) > 0;
  });
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

  const periodOfMs = (ms: number | undefined) => (ms === undefined ? undefined : billingPeriodOf(new Date(ms), profile.plan).id);
  const latestMoved = latestEventMs !== undefined && periodOfMs(latestEventMs) !== periodOfMs(stored.state.latestEventMs);
  if (servingMcc !== stored.state.servingMcc || welcomes.length > 0 || attachAdvanced || latestMoved) {
    const stateLatest = laterOf(stored.state.latestEventMs, latestEventMs);
    plan.state = {
      applied: advance(stateWm, entries),
      pending: [...stored.state.pending.filter(notStarted), ...welcomes],
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
      pending: [...(old?.pending ?? []).filter(notStarted), ...crossings.filter((r) => r.period === period)],
      ...(latest !== undefined && { latestEventMs: latest }),
    });
  }
  return plan;
}

/** The periods written; not complete when a write met a newer version (reload and redo). */
async function writeAll(
  subscriberId: string,
  stored: StoredUsage,
  plan: WritePlan,
  usage: UsageStore,
  stats: IngestStats,
): Promise<{ periods: Set<string>; complete: boolean }> {
  if (plan.state !== undefined) {
    const out = await usage.saveState({ subscriberId, expectedVersion: stored.state.version, ...plan.state });
    stats.writeUnits += out.writeUnits;
    if (!out.saved) return { periods: new Set(), complete: false };
  }
  const outs = await Promise.all(plan.counters.map((write) => usage.saveCounters(write)));
  const periods = new Set<string>();
  let complete = true;
  outs.forEach((out, i) => {
    stats.writeUnits += out.writeUnits;
    const period = plan.counters[i]?.counters.period;
    if (out.saved && period !== undefined) periods.add(period);
    else complete = false;
  });
  return { periods, complete };
}

/** Watermarks raised to the highest sequence number, per shard, of the given records. */
function advance(watermarks: Watermarks, entries: readonly Entry[]): Watermarks {
  const next: Record<string, string> = { ...watermarks };
  for (const { record } of entries) {
    const current = next[record.shardId];
    if (current === undefined || compareSequenceNumbers(record.sequenceNumber, current) > 0) {
      next[record.shardId] = record.sequenceNumber;
    }
  }
  return next;
}

function expiryOf(entry: Entry, ttlSeconds: number): number {
  const eventSeconds = Math.floor(Date.parse(entry.event.eventTime) / 1000);
  const arrival = Math.floor(entry.record.arrivalTime ?? 0);
  // A late event's claim must outlive its arrival, not its (old) eventTime.
  return Math.max(eventSeconds, arrival) + ttlSeconds;
}

/** A request's identity (what its execution name is made of): the same request is started once. */
function requestKeyOf(request: PolicyRequest): string {
  return `${request.subscriberId}\u0000${request.period}\u0000${request.crossingId}`;
}

function uniqueByName(requests: readonly PolicyRequest[], nameOf: (request: PolicyRequest) => string): PolicyRequest[] {
  const seen = new Set<string>();
  return requests.filter((r) => {
    const name = nameOf(r);
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

function positionOf(record: StreamRecord): string {
  return positionKey(record.shardId, record.sequenceNumber);
}

function rejected(record: StreamRecord, reason: string): RejectedInput {
  const item: { -readonly [K in keyof RejectedInput]: RejectedInput[K] } = {
    reason,
    raw: record.data,
    position: { shardId: record.shardId, sequenceNumber: record.sequenceNumber },
  };
  const id = readableKey(record.data);
  if (id !== undefined) item.recordId = id;
  return item;
}

/** The recordId / eventId of a rejected payload when it has one (helps the operator find it). */
function readableKey(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    const key = v.recordId ?? v.eventId;
    return typeof key === 'string' ? key.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}

async function runLimited(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      if (task !== undefined) await task();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
