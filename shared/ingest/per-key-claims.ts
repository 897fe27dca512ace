/**
 * The first release kept one claim item per event key (`R#U#<recordId>` / `R#A#<eventId>`) under the raw
 * claim name of the record that held it. A deployment upgraded from it still has those items until they
 * expire, and a carrier duplicate of a record counted before the upgrade must find them: an event stamped
 * before the upgrade (`ingest.limits.perKeyClaimsUntil`; no later event can have such a claim) says where its
 * key's item is and which raw holders are the record's own.
 *
 * Raw names, as that release wrote them: the claim name bare (`<shardId>/<sequenceNumber>`) and, once
 * streams were part of names, qualified (`<stream>:<shardId>/<sequenceNumber>`); the hold a quarantine left
 * (`Q:<claim name>`); a redriven record's hold to take over is already raw (`ReadRecord.takesOver`).
 */
import type { PerKeyClaim } from '../ports/usage-store.js';
import { holdIdOf, markerIdOf } from './claim-ids.js';
import { claimNameOf, redriveMarkerOf } from './positions.js';
import type { ReadRecord } from './stream-records.js';

/** Where the first release kept the claim on the record's key, and its own holders as their ids in the groups. */
export function perKeyClaimOf(read: Pick<ReadRecord, 'record' | 'key' | 'takesOver'>, claimedBy: string): PerKeyClaim {
  const { stream, shardId, sequenceNumber } = read.record;
  const hold = holdIdOf(claimedBy);
  const own: Record<string, string> = {};
  for (const name of [claimNameOf(stream, shardId, sequenceNumber), claimNameOf(undefined, shardId, sequenceNumber)]) {
    own[name] = claimedBy;
    own[redriveMarkerOf(name)] = hold;
  }
  if (read.takesOver !== undefined) own[read.takesOver] = markerIdOf(read.takesOver);
  return { sk: `R#${read.key}`, own };
}
