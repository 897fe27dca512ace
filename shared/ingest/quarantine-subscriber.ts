/**
 * A subscriber's records that cannot be applied go to the quarantine, so that the shard moves on. Before
 * they go, each one's fate is settled so that its redrive counts it exactly once:
 *
 * - already counted (a partial apply before the failure, by this attempt or an earlier one): not sent;
 * - its event key held by another record (a carrier duplicate was counted): a duplicate, not sent;
 * - otherwise its key is held for its redrive: the record's own claim, if it made one, becomes the hold,
 *   and only the redriven copy can take it over. A stream redelivery of the original record takes its
 *   own hold back (the quarantine message may not have been stored), and whichever claims first counts:
 *   the other finds the key held and is a duplicate.
 *
 * "Already counted" is read from the store, not assumed: a record's claim records its period, and the
 * record is counted once that period's watermark for its shard has reached it (records of one shard are
 * applied in order, and a held record is skipped only after its hold is in place).
 */
import type { FailureLedger, StoredCounters, UsageStore } from '../ports/usage-store.js';
import type { RejectedInput } from '../ports/quarantine.js';
import type { Entry, SubscriberProgress } from './apply-subscriber.js';
import { claimExpiryOf } from './apply-subscriber.js';
import { claimGroupOf, compactIdOf, holdIdOf, markerIdOf } from './claim-ids.js';
import { perKeyClaimOf } from './per-key-claims.js';
import { isAtOrBelow, redriveMarkerOf } from './positions.js';
import { rejectionOf, type ReadRecord } from './stream-records.js';

/** A record of a faulty subscriber: the period is unknown when the profile could not be read. */
export type FaultyEntry = ReadRecord & { period?: string };

export interface QuarantineDecision {
  readonly rejected: RejectedInput[];
  /** Already counted before the failure. */
  readonly counted: number;
  readonly duplicates: number;
  readonly writeUnits: number;
}

export async function settleForQuarantine(
  subscriberId: string,
  entries: readonly FaultyEntry[],
  progress: SubscriberProgress,
  reason: string,
  deps: { readonly usage: Pick<UsageStore, 'load'>; readonly ledger: FailureLedger; readonly duplicateWindowMs: number; readonly perKeyClaimsUntilMs?: number },
): Promise<QuarantineDecision> {
  const settled = (e: FaultyEntry) => progress.applied.has(e as Entry) || progress.duplicates.has(e as Entry) || progress.redelivered.has(e as Entry);
  const decision = { rejected: [] as RejectedInput[], counted: 0, duplicates: 0, writeUnits: 0 };
  const seenKeys = new Set<string>();
  const countersOf = new Map<string, Promise<StoredCounters | undefined>>();
  const counters = (period: string) => {
    let loaded = countersOf.get(period);
    if (loaded === undefined) {
      loaded = deps.usage.load(subscriberId, [period]).then((s) => s.counters.get(period));
      countersOf.set(period, loaded);
    }
    return loaded;
  };

  for (const entry of entries) {
    if (settled(entry)) continue;
    if (seenKeys.has(entry.key)) {
      decision.duplicates += 1;
      continue;
    }
    seenKeys.add(entry.key);
    // Claims hold compact ids of keys and names (shared/ingest/claim-ids.ts), never legacy names.
    const group = claimGroupOf(entry.event.eventTime);
    const eventKey = compactIdOf(entry.key);
    const claimedBy = compactIdOf(entry.claimName);
    const holds = [claimedBy, holdIdOf(claimedBy), entry.takesOver === undefined ? undefined : markerIdOf(entry.takesOver)];
    // An event older than the upgrade from the first release may be held by that release's per-key claim.
    const perKeyClaim = deps.perKeyClaimsUntilMs !== undefined && entry.eventMs < deps.perKeyClaimsUntilMs ? perKeyClaimOf(entry, claimedBy) : undefined;
    const claim = await deps.ledger.readClaim(subscriberId, group, eventKey, perKeyClaim);
    if (claim !== undefined && !holds.includes(claim.claimedBy)) {
      decision.duplicates += 1;
      continue;
    }
    const ownClaim = claim !== undefined && claim.claimedBy === claimedBy;
    const period = claim?.period ?? entry.period;
    if (ownClaim && period !== undefined) {
      const stored = await counters(period);
      if (stored !== undefined && isAtOrBelow(stored.applied, entry.record.stream, entry.record.shardId, entry.record.sequenceNumber)) {
        decision.counted += 1;
        continue;
      }
    }
    // A redriven record keeps its original's name: its hold stays the one its own redrive will present.
    const holdName = entry.takesOver ?? redriveMarkerOf(entry.claimName);
    const hold = await deps.ledger.holdForRedrive({
      subscriberId,
      group,
      eventKey,
      claimedBy,
      marker: markerIdOf(holdName),
      expiresAt: claimExpiryOf(entry, deps.duplicateWindowMs),
      ...(perKeyClaim !== undefined && { perKeyClaim }),
    });
    decision.writeUnits += hold.writeUnits;
    if (!hold.held) {
      decision.duplicates += 1;
      continue;
    }
    decision.rejected.push(rejectionOf(entry, reason, 'subscriber', true));
  }
  return decision;
}
