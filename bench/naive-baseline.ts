/**
 * The naive baseline: ingest as a typical tutorial writes it, with the same domain rules as spendcap
 * (validation, rating and periods, applyEvents of shared/domain) so that only the storage design differs.
 *
 * Per record, in order, no batching:
 *  1. decode and validate; a bad record goes to the quarantine on its own;
 *  2. read the subscriber's profile (through the same per-container cache spendcap uses: a tutorial
 *     would not even cache, so the baseline's figures are a lower bound);
 *  3. read the counters item of the event's period and the STATE item (strongly consistent GetItems);
 *  4. apply the event (applyEvents, one event);
 *  5. one TransactWriteItems: put the de-duplication marker `R#<key>` if absent + put the counters item
 *     if its version is unchanged (+ put STATE when the serving MCC changed); a duplicate cancels it;
 *  6. start the policy workflow for each crossing.
 *
 * dynalite has no TransactWriteItems, so the transaction runs as the same items written one by one with
 * the same conditions (marker first: a duplicate stops there, as a cancelled transaction would), and
 * its write units are counted at transaction prices: 2 per KB of each item, a cancelled transaction
 * included (DynamoDB bills the capacity a transaction consumed even when a condition cancels it).
 * The counters item is spendcap's (countersItem); the marker is one item per event key, as spendcap's claims
 * were before they were grouped by hour, so sizes and therefore units are comparable.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  STATE_SK,
  countersItem,
  countersSk,
  itemSize,
  storedCountersOf,
  writeUnitsOf,
  type Item,
} from '../shared/adapters/dynamo-usage-store-items.js';
import { isConditionalCheckFailed } from '../shared/adapters/dynamo-client.js';
import { emptyCounters } from '../shared/domain/counters.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import { eventKey, type PeriodCounters, type PolicySettings } from '../shared/domain/model.js';
import { homePlmnOf, mccOf } from '../shared/domain/networks.js';
import { billingPeriodOf } from '../shared/domain/periods.js';
import { applyEvents } from '../shared/domain/usage.js';
import { CachedProfiles } from '../shared/ingest/profile-cache.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import type { ProfileStore } from '../shared/ports/profile-store.js';
import type { Quarantine } from '../shared/ports/quarantine.js';

export interface NaiveIngestDeps {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly profiles: Pick<ProfileStore, 'getMany'>;
  readonly quarantine: Quarantine;
  readonly workflows: PolicyWorkflowStarter;
  readonly settings: PolicySettings;
  readonly claimTtlDays?: number;
}

export interface NaiveStats {
  records: number;
  applied: number;
  duplicates: number;
  rejected: number;
  crossings: number;
  /** Transactions attempted (one per valid record of a known subscriber). */
  transactions: number;
  /** Write units at transaction prices (2 per KB of each item), cancelled transactions included. */
  writeUnits: number;
}

export type NaiveHandler = ((event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>) & {
  readonly stats: NaiveStats;
};

/** A transactional write costs two standard write units per KB of the item. */
export const TRANSACTION_UNIT_FACTOR = 2;

export function createNaiveHandler(deps: NaiveIngestDeps): NaiveHandler {
  const profiles = new CachedProfiles({ store: deps.profiles });
  const ttlSeconds = (deps.claimTtlDays ?? 45) * 86_400;
  const stats: NaiveStats = { records: 0, applied: 0, duplicates: 0, rejected: 0, crossings: 0, transactions: 0, writeUnits: 0 };

  const processRecord = async (record: KinesisStreamRecord): Promise<void> => {
    stats.records++;
    const text = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
    const position = { shardId: record.eventID.split(':')[0] ?? 'shard', sequenceNumber: record.kinesis.sequenceNumber };
    const parsed = parseCarrierEventJson(text);
    if (!parsed.ok) {
      await deps.quarantine.reject([{ reason: parsed.reason, raw: text, position, fault: 'record' }]);
      stats.rejected++;
      return;
    }
    const event = parsed.value;
    const subscriberId = event.subscriberId;
    const profile = (await profiles.getMany([subscriberId])).profiles.get(subscriberId);
    if (profile === undefined) {
      await deps.quarantine.reject([{ reason: 'subscriberId: unknown subscriber (no profile)', raw: text, position, fault: 'record' }]);
      stats.rejected++;
      return;
    }
    const period = billingPeriodOf(event.eventTime, profile.plan).id;
    const [countersOut, stateOut] = await Promise.all([
      deps.documents.send(new GetCommand({ TableName: deps.tableName, Key: { pk: subscriberId, sk: countersSk(period) }, ConsistentRead: true })),
      deps.documents.send(new GetCommand({ TableName: deps.tableName, Key: { pk: subscriberId, sk: STATE_SK }, ConsistentRead: true })),
    ]);
    const stored = countersOut.Item === undefined ? undefined : storedCountersOf(countersOut.Item as Item);
    const version = stored?.version ?? 0;
    const servingMcc = typeof stateOut.Item?.m === 'string' ? stateOut.Item.m : undefined;
    const before = new Map<string, PeriodCounters>([[period, stored?.counters ?? emptyCounters(subscriberId, period)]]);
    const applied = applyEvents({ counters: before, ...(servingMcc !== undefined ? { servingMcc } : {}) }, [{ event }], profile, deps.settings);

    const key = `${event.type === 'attach' ? 'A' : 'U'}#${eventKey(event)}`;
    const marker = markerItem({
      subscriberId,
      eventKey: key,
      claimedBy: `${position.shardId}/${position.sequenceNumber}`,
      expiresAt: Math.floor(Date.parse(event.eventTime) / 1000) + ttlSeconds,
    });
    const after = applied.counters.get(period);
    const counters = after === undefined ? undefined : countersItem({ counters: after, version: version + 1, applied: {}, pending: [] });
    // As spendcap does: the home network is stored as "no serving MCC", so a subscriber at home never writes STATE.
    const nextMcc = applied.servingMcc === mccOf(homePlmnOf(profile, deps.settings)) ? undefined : applied.servingMcc;
    const state = nextMcc !== servingMcc ? { ...(stateOut.Item ?? { pk: subscriberId, sk: STATE_SK }), m: nextMcc } : undefined;
    const items = [marker, counters, state].filter((i): i is Item => i !== undefined);
    stats.transactions++;
    stats.writeUnits += TRANSACTION_UNIT_FACTOR * items.reduce((sum, item) => sum + writeUnitsOf(itemSize(item)), 0);

    try {
      await deps.documents.send(
        new PutCommand({ TableName: deps.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (e: unknown) {
      if (!isConditionalCheckFailed(e)) throw e;
      stats.duplicates++;
      return;
    }
    if (counters !== undefined) {
      await deps.documents.send(
        new PutCommand({
          TableName: deps.tableName,
          Item: counters,
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
          ExpressionAttributeValues: version === 0 ? undefined : { ':v': version },
        }),
      );
    }
    if (state !== undefined) await deps.documents.send(new PutCommand({ TableName: deps.tableName, Item: state }));
    stats.applied++;
    if (applied.requests.length > 0) {
      stats.crossings += applied.requests.length;
      await deps.workflows.start(applied.requests);
    }
  };

  const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    // The tutorial way: one record after the other; any error fails the whole batch (Lambda retries it).
    for (const record of event.Records) await processRecord(record);
    return { batchItemFailures: [] };
  };
  return Object.assign(handler, { stats });
}

/** The de-duplication marker of one event key: `R#<key>`, the record that holds it, a TTL. */
function markerItem(claim: { subscriberId: string; eventKey: string; claimedBy: string; expiresAt: number }): Item {
  return { pk: claim.subscriberId, sk: `R#${claim.eventKey}`, claimedBy: claim.claimedBy, expiresAt: claim.expiresAt };
}
