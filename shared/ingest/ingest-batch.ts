/**
 * The ingest use case: one batch of stream records in, exactly-once counter updates, policy requests
 * started once, and every record's fate decided so that no record stalls the shard. Clock-free: every
 * time comes from the events and the stream's arrival times, so the replay's virtual time holds.
 *
 * Fates (shared/ingest/fates.ts):
 * - a record that is itself at fault (not JSON, not the contract, out of bounds, unknown subscriber)
 *   goes to the quarantine alone, with the reason;
 * - a subscriber whose records cannot be applied (a profile that no longer validates, a counter out of
 *   exact range, an unexpected error `maxRecordAttempts` times) has its unsettled records of the batch
 *   sent to the quarantine, held for their redrive (shared/ingest/quarantine-subscriber.ts);
 * - a transient fault of a dependency fails back only that subscriber's records; Lambda delivers them
 *   again and the exactly-once protocol (shared/ingest/apply-subscriber.ts) makes that safe.
 * Nothing is dropped: a record is counted, a duplicate, a redelivery, quarantined, or failed back.
 */
import { DEFAULT_BOUNDS, ratedOutOfBounds, type IngestBounds } from '../domain/bounds.js';
import type { PolicySettings, SubscriberProfile } from '../domain/model.js';
import { billingPeriodOf } from '../domain/periods.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import type { ProfileLookup, ProfileStore } from '../ports/profile-store.js';
import type { Quarantine, RejectedInput } from '../ports/quarantine.js';
import type { FailureLedger, UsageStore } from '../ports/usage-store.js';
import { applySubscriber, newProgress, type Entry, type SubscriberProgress } from './apply-subscriber.js';
import { classifyFailure, describeError, SubscriberFault } from './fates.js';
import { settleForQuarantine, type FaultyEntry } from './quarantine-subscriber.js';
import { decodeRecord, positionOf, rejectionOf, type ReadRecord, type StreamRecord } from './stream-records.js';

export { positionKey, type StreamRecord } from './stream-records.js';

export interface IngestLog {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface IngestDeps {
  readonly usage: UsageStore;
  /** The failure path's reads and writes (the usage table in AWS). */
  readonly ledger: FailureLedger;
  readonly profiles: Pick<ProfileStore, 'getMany'>;
  readonly quarantine: Quarantine;
  readonly workflows: PolicyWorkflowStarter;
  readonly settings: PolicySettings;
  /** Time and size bounds of a record (default DEFAULT_BOUNDS: 5 minutes ahead, 45 days back, ...). */
  readonly bounds?: IngestBounds;
  /** Reloads after a version conflict before the subscriber's records are failed back (default 8). */
  readonly maxAttempts?: number;
  /** Failed attempts, for an unexpected reason, at the same records before they go to the quarantine (default 3). */
  readonly maxRecordAttempts?: number;
  /** Epoch ms of the upgrade from the first release, whose per-key claims older events are checked against (`ingest.limits.perKeyClaimsUntil`). */
  readonly perKeyClaimsUntilMs?: number;
  /** Which errors are transient faults of a dependency (the adapters know their SDK's errors). */
  readonly isTransient?: (error: unknown) => boolean;
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
  /** Records sent to the quarantine, for their own fault or their subscriber's. */
  rejected: number;
  /** Subscribers whose records of the batch went to the quarantine (a subscriber fault, or attempts used up). */
  quarantinedSubscribers: number;
  /** New threshold crossings and welcomes detected in this batch. */
  crossings: number;
  /** Events of a period that had ended when they arrived: counted and capped, too late to warn or bar. */
  lateEvents: number;
  /** Workflow start requests sent (new and recovered from outboxes). */
  starts: number;
  /** DynamoDB write units consumed (claims, counters, state, outbox clears; refused conditional writes included). */
  writeUnits: number;
  conflicts: number;
  /** Subscribers whose records were failed back for a retry. */
  failedSubscribers: number;
}

export interface IngestResult {
  readonly stats: IngestStats;
  /** Positions (`<shardId>:<sequenceNumber>`) to report as batch item failures. */
  readonly failed: ReadonlySet<string>;
}

export function emptyStats(records = 0): IngestStats {
  return {
    records,
    applied: 0,
    duplicates: 0,
    redelivered: 0,
    rejected: 0,
    quarantinedSubscribers: 0,
    crossings: 0,
    lateEvents: 0,
    starts: 0,
    writeUnits: 0,
    conflicts: 0,
    failedSubscribers: 0,
  };
}

export async function ingestBatch(records: readonly StreamRecord[], deps: IngestDeps): Promise<IngestResult> {
  const bounds = deps.bounds ?? DEFAULT_BOUNDS;
  const stats = emptyStats(records.length);
  const failed = new Set<string>();
  /** Each rejection with the position of the stream record it came from in this batch. */
  const rejects: Rejection[] = [];
  const bySubscriber = new Map<string, ReadRecord[]>();

  for (const record of records) {
    const decoded = decodeRecord(record, bounds);
    if (!decoded.ok) {
      rejects.push({ input: decoded.rejected, from: positionOf(record) });
      continue;
    }
    const group = bySubscriber.get(decoded.value.event.subscriberId);
    if (group === undefined) bySubscriber.set(decoded.value.event.subscriberId, [decoded.value]);
    else group.push(decoded.value);
  }

  let lookup: ProfileLookup = { profiles: new Map(), unusable: new Map() };
  let lookupError: unknown;
  try {
    if (bySubscriber.size > 0) lookup = await deps.profiles.getMany([...bySubscriber.keys()]);
  } catch (e: unknown) {
    // Each subscriber meets the error on its own: transient, or counted toward its quarantine.
    lookupError = e;
  }

  const work = [...bySubscriber].map(([subscriberId, group]) => async () => {
    const outcome = await ingestSubscriber(subscriberId, group, lookup, lookupError, deps, bounds, stats);
    if (outcome === FAIL_BACK) for (const r of group) failed.add(positionOf(r.record));
    else rejects.push(...outcome);
  });
  await runLimited(work, deps.concurrency ?? 16);

  if (rejects.length > 0) {
    try {
      await deps.quarantine.reject(rejects.map((r) => r.input));
      stats.rejected += rejects.length;
    } catch (e: unknown) {
      // Not stored in the quarantine = not done: Lambda delivers them again (a held record takes its hold back).
      deps.log?.error('quarantine unavailable, rejected records failed back', { error: describeError(e) });
      for (const r of rejects) failed.add(r.from);
    }
  }
  return { stats, failed };
}

interface Rejection {
  readonly input: RejectedInput;
  /** `<shardId>:<sequenceNumber>` of the record in this batch. */
  readonly from: string;
}

const FAIL_BACK: unique symbol = Symbol('fail back');

async function ingestSubscriber(
  subscriberId: string,
  group: readonly ReadRecord[],
  lookup: ProfileLookup,
  lookupError: unknown,
  deps: IngestDeps,
  bounds: IngestBounds,
  stats: IngestStats,
): Promise<Rejection[] | typeof FAIL_BACK> {
  const rejects: Rejection[] = [];
  const reject = (r: ReadRecord, reason: string) => rejects.push({ input: rejectionOf(r, reason, 'record'), from: positionOf(r.record) });
  const progress = newProgress();
  let entries: FaultyEntry[] = [...group];
  try {
    if (lookupError !== undefined) throw lookupError;
    const unusable = lookup.unusable.get(subscriberId);
    if (unusable !== undefined) throw new SubscriberFault(unusable);
    const profile = lookup.profiles.get(subscriberId);
    if (profile === undefined) {
      for (const r of group) reject(r, 'subscriberId: unknown subscriber (no profile)');
      return rejects;
    }
    const accepted = withPeriods(group, profile, deps.settings, bounds, reject);
    entries = accepted;
    if (accepted.length === 0) return rejects;
    const outcome = await applySubscriber(
      profile,
      accepted,
      {
        usage: deps.usage,
        workflows: deps.workflows,
        settings: deps.settings,
        duplicateWindowMs: bounds.duplicateWindowMs,
        maxAttempts: deps.maxAttempts ?? 8,
        perKeyClaimsUntilMs: deps.perKeyClaimsUntilMs,
      },
      progress,
    );
    countProgress(stats, progress);
    stats.crossings += outcome.newRequests;
    stats.lateEvents += outcome.lateEvents;
    stats.starts += outcome.starts;
    stats.conflicts += outcome.conflicts;
    stats.writeUnits += outcome.writeUnits;
    return rejects;
  } catch (e: unknown) {
    const quarantined = await fateOfFailure(subscriberId, entries, progress, e, deps, bounds, stats);
    if (quarantined === FAIL_BACK) return FAIL_BACK;
    return [...rejects, ...quarantined];
  }
}

/** Each accepted record with its period; a record whose rated charge is out of bounds, or with no period, is rejected. */
function withPeriods(
  group: readonly ReadRecord[],
  profile: SubscriberProfile,
  settings: PolicySettings,
  bounds: IngestBounds,
  reject: (r: ReadRecord, reason: string) => void,
): Entry[] {
  const entries: Entry[] = [];
  for (const r of group) {
    const rated = ratedOutOfBounds(r.event, profile, settings, bounds);
    if (rated !== undefined) {
      reject(r, rated);
      continue;
    }
    try {
      // The copy's own field first, the record's after: `{ ...r, period }` takes V8's slow path on Node 20.
      entries.push({ period: billingPeriodOf(r.eventMs, profile.plan).id, ...r });
    } catch (e: unknown) {
      reject(r, `eventTime: no billing period can be computed for it (${describeError(e)})`);
    }
  }
  return entries;
}

/** A failure's consequence: the subscriber's records failed back, or its unsettled records for the quarantine. */
async function fateOfFailure(
  subscriberId: string,
  entries: readonly FaultyEntry[],
  progress: SubscriberProgress,
  error: unknown,
  deps: IngestDeps,
  bounds: IngestBounds,
  stats: IngestStats,
): Promise<Rejection[] | typeof FAIL_BACK> {
  const subscriber = deps.mask?.(subscriberId) ?? '(masked)';
  const kind = classifyFailure(error, deps.isTransient ?? (() => false));
  const failBack = (message: string, extra: Record<string, unknown>): typeof FAIL_BACK => {
    stats.failedSubscribers += 1;
    deps.log?.warn(message, { subscriber, ...extra });
    return FAIL_BACK;
  };
  if (kind === 'transient') return failBack('subscriber failed back for retry', { error: describeError(error) });
  try {
    let reason = error instanceof Error ? error.message : String(error);
    if (kind === 'unexpected') {
      const limit = deps.maxRecordAttempts ?? 3;
      const first = entries[0];
      const attempts = first === undefined ? limit : await deps.ledger.countFailure(subscriberId, first.claimName, failureExpiryOf(first));
      if (attempts < limit) return failBack('unexpected error, subscriber failed back for another attempt', { attempts, limit, error: describeError(error) });
      reason = `unexpected error after ${attempts} attempts: ${describeError(error)}`;
    }
    const decision = await settleForQuarantine(subscriberId, entries, progress, reason, {
      usage: deps.usage,
      ledger: deps.ledger,
      duplicateWindowMs: bounds.duplicateWindowMs,
      perKeyClaimsUntilMs: deps.perKeyClaimsUntilMs,
    });
    countProgress(stats, progress);
    stats.redelivered += decision.counted;
    stats.duplicates += decision.duplicates;
    stats.writeUnits += decision.writeUnits;
    stats.quarantinedSubscribers += 1;
    deps.log?.warn('subscriber records sent to the quarantine', { subscriber, records: decision.rejected.length, reason });
    const fromOf = new Map(entries.map((e) => [e.origin, positionOf(e.record)] as const));
    return decision.rejected.map((input) => ({ input, from: (input.position !== undefined ? fromOf.get(input.position) : undefined) ?? '' }));
  } catch (e: unknown) {
    // The quarantine's bookkeeping failed (the store is unavailable): nothing was decided, all is retried.
    return failBack('subscriber could not be quarantined, failed back', { error: describeError(e), cause: describeError(error) });
  }
}

/** Failure counts outlive any retry of the batch (a stream keeps records at most a week). */
function failureExpiryOf(entry: FaultyEntry): number {
  return Math.floor(((entry.arrivalMs ?? Date.parse(entry.event.eventTime)) + 8 * 86_400_000) / 1000);
}

function countProgress(stats: IngestStats, progress: SubscriberProgress): void {
  stats.applied += progress.applied.size;
  stats.duplicates += progress.duplicates.size;
  stats.redelivered += progress.redelivered.size;
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
