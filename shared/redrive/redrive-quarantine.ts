/**
 * The quarantine's redrive: once the cause of a rejection is fixed (a profile repaired, a subscriber
 * provisioned, a bound raised, a bug deployed away), its records go back through the real ingest.
 *
 * Each selected record is put on the usage stream in a redrive envelope (shared/ingest/redrive-envelope.ts)
 * and its message deleted once the stream has it. Ingest then decides, as for any record: counted, a
 * duplicate (the event was counted meanwhile, or by an earlier copy of this redrive), or refused again
 * (the cause is still there: it is quarantined anew, with the same original position). A run that stops
 * half-way is simply run again: a record put twice counts once.
 *
 * A dry run reads the same messages, says for each what ingest would do with it now, and leaves them in
 * the quarantine untouched.
 */
import { ratedOutOfBounds, type IngestBounds } from '../domain/bounds.js';
import type { PolicySettings } from '../domain/model.js';
import { claimGroupOf, compactIdOf, markerIdOf } from '../ingest/claim-ids.js';
import { perKeyClaimOf } from '../ingest/per-key-claims.js';
import { encodeRedriveEnvelope } from '../ingest/redrive-envelope.js';
import { claimNameOf, redriveMarkerOf } from '../ingest/positions.js';
import { decodeRecord } from '../ingest/stream-records.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { QuarantinedInput, QuarantineReader } from '../ports/quarantine.js';
import type { FailureLedger } from '../ports/usage-store.js';
import type { UsageRecordSink } from '../ports/usage-stream.js';

export interface RedriveRequest {
  /** Say what would happen; change nothing. */
  readonly dryRun: boolean;
  /** At most this many messages are read (the rest wait for the next run). */
  readonly max: number;
  /** Only messages whose reason contains this text (e.g. `unknown subscriber`). */
  readonly reasonContains?: string;
}

export type Verdict =
  /** Put back on the stream (a real run). */
  | 'redriven'
  /** A dry run: ingest would count it now. */
  | 'would count'
  /** A dry run: its event is already counted (by another record, or an earlier redrive of this one). */
  | 'would be a duplicate'
  /** A dry run: ingest would refuse it again, for the reason given. */
  | 'would be refused'
  /** Its payload was cut to fit the quarantine, or it is not a quarantine message: left where it is. */
  | 'cannot be redriven'
  /** Not selected by the filter: left where it is. */
  | 'not selected';

export interface RecordVerdict {
  readonly recordId?: string;
  readonly rejectedAt: string;
  readonly reason: string;
  readonly verdict: Verdict;
  /** Why, for `would be refused`, `would be a duplicate` and `cannot be redriven`. */
  readonly detail?: string;
}

export interface RedriveReport {
  readonly dryRun: boolean;
  readonly read: number;
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly records: readonly RecordVerdict[];
}

export interface RedriveDeps {
  readonly quarantine: QuarantineReader;
  readonly stream: UsageRecordSink;
  /** For the dry run's verdicts. */
  readonly profiles: Pick<ProfileStore, 'getMany'>;
  readonly ledger: Pick<FailureLedger, 'readClaim'>;
  readonly settings: PolicySettings;
  readonly bounds: IngestBounds;
  /** Epoch ms of the upgrade from a per-key claims release (`ingest.limits.perKeyClaimsUntil`), as ingest has it. */
  readonly perKeyClaimsUntilMs?: number;
}

/** Messages per round trip: SQS hands out ten at a time. */
const ROUND = 10;

export async function redriveQuarantine(request: RedriveRequest, deps: RedriveDeps): Promise<RedriveReport> {
  const records: RecordVerdict[] = [];
  const counts: Record<Verdict, number> = {
    redriven: 0,
    'would count': 0,
    'would be a duplicate': 0,
    'would be refused': 0,
    'cannot be redriven': 0,
    'not selected': 0,
  };
  let read = 0;
  // Everything not deleted is released at the end: a dry run leaves the quarantine as it found it, and
  // messages received again in a later round of the same run are not read twice.
  const toRelease: string[] = [];
  try {
    while (read < request.max) {
      const batch = await deps.quarantine.receive(Math.min(ROUND, request.max - read));
      if (batch.length === 0) break;
      read += batch.length;
      const verdicts = await Promise.all(batch.map((input) => verdictOf(input, request, deps)));
      const toPut: Array<{ input: QuarantinedInput; data: string; partitionKey: string }> = [];
      batch.forEach((input, i) => {
        const v = verdicts[i];
        if (v === undefined) return;
        if (v.verdict === 'redriven' && v.envelope !== undefined) toPut.push({ input, ...v.envelope });
        else toRelease.push(input.receipt);
      });
      if (toPut.length > 0) {
        await deps.stream.put(toPut.map(({ data, partitionKey }) => ({ data, partitionKey })));
        // On the stream: ingest has them now. A failed delete leaves copies that count once.
        await deps.quarantine.delete(toPut.map((p) => p.input.receipt));
      }
      batch.forEach((input, i) => {
        const v = verdicts[i];
        if (v === undefined) return;
        counts[v.verdict] += 1;
        records.push({
          ...(input.recordId !== undefined && { recordId: input.recordId }),
          rejectedAt: input.rejectedAt,
          reason: input.reason,
          verdict: v.verdict,
          ...(v.detail !== undefined && { detail: v.detail }),
        });
      });
    }
  } finally {
    if (toRelease.length > 0) await deps.quarantine.release(toRelease);
  }
  return { dryRun: request.dryRun, read, counts, records };
}

interface Assessed {
  readonly verdict: Verdict;
  readonly detail?: string;
  readonly envelope?: { readonly data: string; readonly partitionKey: string };
}

async function verdictOf(input: QuarantinedInput, request: RedriveRequest, deps: RedriveDeps): Promise<Assessed> {
  if (request.reasonContains !== undefined && !input.reason.includes(request.reasonContains)) return { verdict: 'not selected' };
  if (input.truncated === true) return { verdict: 'cannot be redriven', detail: 'its payload was cut to fit the quarantine' };
  const position = input.position;
  if (position?.shardId === undefined || position.sequenceNumber === undefined) {
    return { verdict: 'cannot be redriven', detail: 'no stream position: not a record of the usage stream' };
  }
  const claimName = claimNameOf(position.stream, position.shardId, position.sequenceNumber);
  const data = encodeRedriveEnvelope({
    record: input.raw,
    claimName,
    held: input.held === true,
    ...(position.arrivalTime !== undefined && { arrivalTime: position.arrivalTime }),
  });
  if (!request.dryRun) return { verdict: 'redriven', envelope: { data, partitionKey: partitionKeyOf(input) } };
  return assess(data, claimName, deps);
}

/** What ingest would do with the envelope now: the same decoding, bounds, profile and claim checks. */
async function assess(data: string, claimName: string, deps: RedriveDeps): Promise<Assessed> {
  const decoded = decodeRecord({ shardId: 'redrive', sequenceNumber: '0', data }, deps.bounds);
  if (!decoded.ok) return { verdict: 'would be refused', detail: decoded.rejected.reason };
  const { event, key } = decoded.value;
  const lookup = await deps.profiles.getMany([event.subscriberId]);
  const unusable = lookup.unusable.get(event.subscriberId);
  if (unusable !== undefined) return { verdict: 'would be refused', detail: unusable };
  const profile = lookup.profiles.get(event.subscriberId);
  if (profile === undefined) return { verdict: 'would be refused', detail: 'subscriberId: unknown subscriber (no profile)' };
  const rated = ratedOutOfBounds(event, profile, deps.settings, deps.bounds);
  if (rated !== undefined) return { verdict: 'would be refused', detail: rated };
  // As ingest would look: an event older than the upgrade from a per-key release may be held in its item.
  const read = decoded.value;
  const perKey = deps.perKeyClaimsUntilMs !== undefined && read.eventMs < deps.perKeyClaimsUntilMs ? perKeyClaimOf(read, compactIdOf(read.claimName)) : undefined;
  const claim = await deps.ledger.readClaim(event.subscriberId, claimGroupOf(event.eventTime), compactIdOf(key), perKey);
  if (claim !== undefined && claim.claimedBy !== markerIdOf(redriveMarkerOf(claimName))) {
    return { verdict: 'would be a duplicate', detail: 'its recordId / eventId is already counted by another record' };
  }
  return { verdict: 'would count' };
}

/** The subscriber when the payload names one (its records stay in order on one shard); else the record id. */
function partitionKeyOf(input: QuarantinedInput): string {
  try {
    const value: unknown = JSON.parse(input.raw);
    if (typeof value === 'object' && value !== null) {
      const id = (value as Record<string, unknown>).subscriberId;
      if (typeof id === 'string' && id.length > 0 && id.length <= 256) return id;
    }
  } catch {
    // Not JSON: ingest refuses it again; any key will do.
  }
  return input.recordId ?? 'quarantine';
}
