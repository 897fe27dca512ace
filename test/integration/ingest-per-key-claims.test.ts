/**
 * A deployment upgraded from the first release: its claims were one item per event key (`R#U#<recordId>`),
 * which the grouped claims do not hold. With `ingest.limits.perKeyClaimsUntil` set to the upgrade, an event
 * stamped before it is also checked against those items, through the real ingest handler on dynalite:
 * a carrier duplicate of a record counted before the upgrade is refused, the same record delivered again is
 * its own (and keeps the period it recorded), an expired item holds nothing, and a later event never reads
 * them. The items are written here as the per-key releases wrote them (their code, copied below), not by
 * anything of the product.
 */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
});

import { BatchGetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { boundsOf, DEFAULT_INGEST_LIMITS, perKeyClaimsUntilMsOf, type IngestLimits } from '../../shared/config/ingest-limits.js';
import type { CarrierEvent, PeriodCounters } from '../../shared/domain/model.js';
import { claimGroupOf, compactIdOf, holdIdOf } from '../../shared/ingest/claim-ids.js';
import { perKeyClaimOf } from '../../shared/ingest/per-key-claims.js';
import { encodeRedriveEnvelope } from '../../shared/ingest/redrive-envelope.js';
import { redriveQuarantine } from '../../shared/redrive/redrive-quarantine.js';
import { kinesisEventOf, sequenceNumberOf, type StreamInput } from '../support/ingest-harness.js';
import { MemoryQuarantineQueue, MemoryRecordSink } from '../support/memory-quarantine-queue.js';
import { profileOf, rigOf, SETTINGS, SHARD, startIngestTables, type IngestTables } from './ingest-support.js';

const db = await startIngestTables();
const { tables, profiles } = db;

/** The stream's name in the events the harness builds (from the source ARN). */
const STREAM = 'usage';
const UPGRADE = '2026-09-20T00:00:00Z';
/** The wall clock of the store: a day after the upgrade (what decides whether a per-key item has expired). */
const NOW_MS = Date.parse(UPGRADE) + 86_400_000;
const AFTER_UPGRADE = NOW_MS / 1000;
const UPGRADED: IngestLimits = { ...DEFAULT_INGEST_LIMITS, perKeyClaimsUntil: UPGRADE };

/** Every command the store sends, to see which items it reads. */
const sent: object[] = [];
const recording = { send: (command: object) => (sent.push(command), tables.documents.send(command as never)) } as unknown as DynamoDBDocumentClient;
const upgraded: IngestTables = { tables, profiles, usage: new DynamoUsageStore({ client: recording, tableName: tables.usageTable, now: () => NOW_MS }) };

function rig(limits: IngestLimits) {
  return rigOf(upgraded, { limits, quarantine: new MemoryQuarantineQueue(), profileCacheTtlMs: 0 });
}

async function provision(subscriberId: string, plan: Record<string, unknown> = { dataAllowanceBytes: 0 }): Promise<void> {
  await profiles.put(profileOf({ subscriberId, msisdn: '+33612345678', plan }));
}

function data(subscriberId: string, recordId: string, eventTime = '2026-09-10T07:00:00Z'): CarrierEvent {
  return { type: 'usage', recordId, subscriberId, eventTime, service: 'data', volumeBytes: 1_000_000, servingPlmn: '20801', chargeMicros: 1_000_000, currency: 'EUR' };
}

let nextSequence = 1;
function delivery(payload: CarrierEvent | string, arrivalTime: number, sequenceNumber = sequenceNumberOf(nextSequence++)): StreamInput {
  return { shardId: SHARD, sequenceNumber, payload, arrivalTime };
}
const arrivedWith = (event: CarrierEvent): number => Date.parse(event.eventTime) / 1000 + 1;

async function countersOf(subscriberId: string, period = '2026-09-01'): Promise<PeriodCounters | undefined> {
  return (await upgraded.usage.load(subscriberId, [period])).counters.get(period)?.counters;
}

// ------------------------------------------------------------------------------------------------------
// The per-key releases' claim writes, copied from their code.

/**
 * The first release (commit 9d3d408): shared/ingest/ingest-batch.ts names the key `U#<recordId>` /
 * `A#<eventId>` and the claim `<shardId>/<sequenceNumber>`, with `expiryOf` (the later of eventTime and
 * arrival, plus the default 45-day `claimTtlDays`); shared/adapters/dynamo-usage-store.ts `claim` puts
 * `claimItem` under `attribute_not_exists(pk) OR claimedBy = :me`. No period, no holds.
 */
async function firstReleaseClaim(subscriberId: string, event: CarrierEvent, input: StreamInput): Promise<boolean> {
  const claimTtlDays = 45;
  const key = event.type === 'attach' ? `A#${event.eventId}` : `U#${event.recordId}`;
  const claimedBy = `${input.shardId}/${input.sequenceNumber}`;
  const eventSeconds = Math.floor(Date.parse(event.eventTime) / 1000);
  const expiresAt = Math.max(eventSeconds, Math.floor(input.arrivalTime ?? 0)) + claimTtlDays * 86_400;
  const item = { pk: subscriberId, sk: `R#${key}`, claimedBy, expiresAt };
  try {
    await tables.documents.send(
      new PutCommand({ TableName: tables.usageTable, Item: item, ConditionExpression: 'attribute_not_exists(pk) OR claimedBy = :me', ExpressionAttributeValues: { ':me': claimedBy } }),
    );
    return true;
  } catch (e: unknown) {
    if (e instanceof Error && e.name === 'ConditionalCheckFailedException') return false;
    throw e;
  }
}

/**
 * The last per-key release (commit dfa5647), which named claims by stream and recorded the period:
 * `claim` updates `claimedBy` (`<stream>:<shardId>/<sequenceNumber>`), `expiresAt` (the later of eventTime
 * and arrival plus the window and two days) and `pd` if not there; a quarantine's `holdForRedrive` turns
 * the holder into `Q:<claim name>`.
 */
async function perKeyReleaseClaim(subscriberId: string, event: CarrierEvent, input: StreamInput, period: string, options: { quarantined?: boolean } = {}): Promise<void> {
  const claimName = `${STREAM}:${input.shardId}/${input.sequenceNumber}`;
  const expiresAt = Math.floor((Math.max(Date.parse(event.eventTime), (input.arrivalTime ?? 0) * 1000) + 45 * 86_400_000 + 2 * 86_400_000) / 1000);
  const Key = { pk: subscriberId, sk: `R#U#${event.type === 'usage' ? event.recordId : ''}` };
  await tables.documents.send(
    new UpdateCommand({
      TableName: tables.usageTable,
      Key,
      UpdateExpression: 'SET claimedBy = :me, expiresAt = :exp, pd = if_not_exists(pd, :pd)',
      ConditionExpression: 'attribute_not_exists(pk) OR claimedBy = :me',
      ExpressionAttributeValues: { ':me': claimName, ':exp': expiresAt, ':pd': period },
    }),
  );
  if (options.quarantined === true) {
    await tables.documents.send(
      new UpdateCommand({
        TableName: tables.usageTable,
        Key,
        UpdateExpression: 'SET claimedBy = :hold, expiresAt = if_not_exists(expiresAt, :exp)',
        ConditionExpression: 'attribute_not_exists(pk) OR claimedBy = :me OR claimedBy = :hold',
        ExpressionAttributeValues: { ':me': claimName, ':hold': `Q:${claimName}`, ':exp': expiresAt },
      }),
    );
  }
}

/** The usage-table items of per-key claims a BatchGetItem sent since `from` asked for. */
function perKeyReadsSince(from: number): string[] {
  return sent
    .slice(from)
    .filter((c): c is BatchGetCommand => c instanceof BatchGetCommand)
    .flatMap((c) => (c.input.RequestItems?.[tables.usageTable]?.Keys ?? []).map((k) => String(k.sk)))
    .filter((sk) => sk.startsWith('R#U#') || sk.startsWith('R#A#'));
}

// ------------------------------------------------------------------------------------------------------

describe('after the upgrade from the first release, with perKeyClaimsUntil set to it', () => {
  it('refuses a carrier duplicate of a record the first release counted; without the setting it would count again', async () => {
    // Arrange: the original counted by the first release; its carrier duplicate arrives after the upgrade
    await provision('pk-dup');
    await provision('pk-dup-unset');
    const sent0 = sent.length;
    for (const subscriberId of ['pk-dup', 'pk-dup-unset']) {
      const original = data(subscriberId, `${subscriberId}-r1`);
      expect(await firstReleaseClaim(subscriberId, original, delivery(original, arrivedWith(original)))).toBe(true);
    }
    const withSetting = rig(UPGRADED);
    const withoutSetting = rig(DEFAULT_INGEST_LIMITS);

    // Act
    await withSetting.handler(kinesisEventOf([delivery(data('pk-dup', 'pk-dup-r1'), AFTER_UPGRADE)]));
    await withoutSetting.handler(kinesisEventOf([delivery(data('pk-dup-unset', 'pk-dup-unset-r1'), AFTER_UPGRADE)]));

    // Assert
    expect(withSetting.results[0]?.stats).toMatchObject({ applied: 0, duplicates: 1 });
    expect(await countersOf('pk-dup')).toBeUndefined();
    expect(perKeyReadsSince(sent0)).toEqual(['R#U#pk-dup-r1']);
    expect(withoutSetting.results[0]?.stats).toMatchObject({ applied: 1, duplicates: 0 });
    expect((await countersOf('pk-dup-unset'))?.eventsApplied).toBe(1);
  });

  it('counts the record itself, redelivered under its bare first-release name, once; a later duplicate is refused from the group', async () => {
    // Arrange: the first release claimed it, then crashed before the counters; the stream delivers it again
    await provision('pk-own');
    const event = data('pk-own', 'pk-own-r1');
    const first = delivery(event, arrivedWith(event));
    await firstReleaseClaim('pk-own', event, first);
    const r = rig(UPGRADED);

    // Act
    await r.handler(kinesisEventOf([first]));
    const readsBefore = sent.length;
    await r.handler(kinesisEventOf([delivery(event, AFTER_UPGRADE)]));

    // Assert
    expect(r.results[0]?.stats).toMatchObject({ applied: 1, duplicates: 0 });
    expect(r.results[1]?.stats).toMatchObject({ applied: 0, duplicates: 1 });
    expect((await countersOf('pk-own'))?.eventsApplied).toBe(1);
    // The key moved into its group: the duplicate did not need the first release's item.
    expect(perKeyReadsSince(readsBefore)).toEqual([]);
    expect(await upgraded.usage.readClaim('pk-own', claimGroupOf(event.eventTime), compactIdOf('U#pk-own-r1'))).toEqual({
      claimedBy: compactIdOf(`${STREAM}:${SHARD}/${first.sequenceNumber}`),
      period: '2026-09-01',
    });
  });

  it('counts the record itself under its stream-qualified name in the period that release recorded, not the one its plan gives now', async () => {
    // Arrange: claimed in the September period, crashed before the counters; the billing cycle day changed since
    await provision('pk-period', { dataAllowanceBytes: 0, billingCycleDay: 15 });
    const event = data('pk-period', 'pk-period-r1');
    const first = delivery(event, arrivedWith(event));
    await perKeyReleaseClaim('pk-period', event, first, '2026-09-01');
    const r = rig(UPGRADED);

    // Act
    await r.handler(kinesisEventOf([first]));

    // Assert
    expect(r.results[0]?.stats).toMatchObject({ applied: 1, duplicates: 0 });
    expect((await countersOf('pk-period', '2026-09-01'))?.eventsApplied).toBe(1);
    expect(await countersOf('pk-period', '2026-08-15')).toBeUndefined();
  });

  it('lets the redrive of a record that release quarantined take over its hold, in the recorded period; a second copy is a duplicate', async () => {
    // Arrange
    await provision('pk-redrive', { dataAllowanceBytes: 0, billingCycleDay: 15 });
    const event = data('pk-redrive', 'pk-redrive-r1');
    const original = delivery(event, arrivedWith(event));
    await perKeyReleaseClaim('pk-redrive', event, original, '2026-09-01', { quarantined: true });
    const envelope = encodeRedriveEnvelope({ record: JSON.stringify(event), claimName: `${STREAM}:${SHARD}/${original.sequenceNumber}`, held: true, arrivalTime: original.arrivalTime ?? 0 });
    const r = rig(UPGRADED);

    // Act
    await r.handler(kinesisEventOf([delivery(envelope, AFTER_UPGRADE)]));
    await r.handler(kinesisEventOf([delivery(envelope, AFTER_UPGRADE + 60)]));

    // Assert
    expect(r.results.map((x) => [x.stats.applied, x.stats.duplicates])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect((await countersOf('pk-redrive', '2026-09-01'))?.eventsApplied).toBe(1);
    expect(await countersOf('pk-redrive', '2026-08-15')).toBeUndefined();
  });

  it('does not count a record whose carrier duplicate that release counted toward the quarantine of its subscriber', async () => {
    // Arrange: the subscriber's stored profile no longer validates, so its records go to the quarantine
    await tables.documents.send(new PutCommand({ TableName: tables.profilesTable, Item: { subscriberId: 'pk-held', msisdn: '0612', plan: { dataAllowanceBytes: 1 } } }));
    const original = data('pk-held', 'pk-held-r1');
    await firstReleaseClaim('pk-held', original, delivery(original, arrivedWith(original)));
    const r = rig(UPGRADED);

    // Act
    await r.handler(kinesisEventOf([delivery(data('pk-held', 'pk-held-r1'), AFTER_UPGRADE)]));

    // Assert: a duplicate, not held for a redrive that would count it
    expect(r.results[0]?.stats).toMatchObject({ duplicates: 1, rejected: 0 });
    expect(r.quarantine.items).toEqual([]);
  });

  it('takes an expired item of that release for absent (DynamoDB deletes expired items late)', async () => {
    // Arrange: another record's claim, past its expiry by the store's clock
    await provision('pk-expired');
    await tables.documents.send(
      new PutCommand({ TableName: tables.usageTable, Item: { pk: 'pk-expired', sk: 'R#U#pk-expired-r1', claimedBy: `${SHARD}/${sequenceNumberOf(999_999)}`, expiresAt: NOW_MS / 1000 - 60 } }),
    );
    const r = rig(UPGRADED);

    // Act
    await r.handler(kinesisEventOf([delivery(data('pk-expired', 'pk-expired-r1'), AFTER_UPGRADE)]));

    // Assert
    expect(r.results[0]?.stats).toMatchObject({ applied: 1, duplicates: 0 });
  });

  it('never reads those items for an event stamped at or after the upgrade', async () => {
    // Arrange: an item of that release on the same key (as if it had been), held by another record
    await provision('pk-later');
    const later = data('pk-later', 'pk-later-r1', '2026-09-20T07:00:00Z');
    await firstReleaseClaim('pk-later', later, delivery(later, arrivedWith(later)));
    const r = rig(UPGRADED);
    const from = sent.length;

    // Act
    await r.handler(kinesisEventOf([delivery(later, AFTER_UPGRADE)]));

    // Assert
    expect(perKeyReadsSince(from)).toEqual([]);
    expect(r.results[0]?.stats).toMatchObject({ applied: 1, duplicates: 0 });
  });
});

describe('the redrive dry run, after the upgrade', () => {
  /** The verdicts of a dry run over the quarantined records, with or without the setting. */
  async function dryRunVerdicts(records: readonly { raw: string; sequenceNumber: string; arrivalTime: number }[], limits: IngestLimits): Promise<string[]> {
    const quarantine = new MemoryQuarantineQueue();
    await quarantine.reject(records.map((r) => ({ reason: 'subscriber: profile no longer valid', raw: r.raw, position: { stream: STREAM, shardId: SHARD, sequenceNumber: r.sequenceNumber, arrivalTime: r.arrivalTime }, fault: 'subscriber', held: true })));
    const perKeyClaimsUntilMs = perKeyClaimsUntilMsOf(limits);
    const report = await redriveQuarantine(
      { dryRun: true, max: 10 },
      { quarantine, stream: new MemoryRecordSink(), profiles, ledger: upgraded.usage, settings: SETTINGS, bounds: boundsOf(limits), ...(perKeyClaimsUntilMs !== undefined && { perKeyClaimsUntilMs }) },
    );
    return report.records.map((r) => r.verdict);
  }

  it('says what ingest will do: a duplicate of a record that release counted, and a record it quarantined that will count', async () => {
    // Arrange: one record counted by the first release (its duplicate sits in the quarantine), one that the
    // last per-key release quarantined (held under its marker)
    await provision('pk-dry');
    const counted = data('pk-dry', 'pk-dry-r1');
    await firstReleaseClaim('pk-dry', counted, delivery(counted, arrivedWith(counted)));
    const held = data('pk-dry', 'pk-dry-r2');
    const heldDelivery = delivery(held, arrivedWith(held));
    await perKeyReleaseClaim('pk-dry', held, heldDelivery, '2026-09-01', { quarantined: true });
    const records = [
      { raw: JSON.stringify(counted), sequenceNumber: sequenceNumberOf(nextSequence++), arrivalTime: AFTER_UPGRADE },
      { raw: JSON.stringify(held), sequenceNumber: heldDelivery.sequenceNumber, arrivalTime: heldDelivery.arrivalTime ?? 0 },
    ];

    // Act
    const withSetting = await dryRunVerdicts(records, UPGRADED);
    const withoutSetting = await dryRunVerdicts(records, DEFAULT_INGEST_LIMITS);

    // Assert
    expect(withSetting).toEqual(['would be a duplicate', 'would count']);
    expect(withoutSetting).toEqual(['would count', 'would count']);
  });
});

describe('the usage store, called with per-key claims', () => {
  const store = upgraded.usage;
  const group = claimGroupOf('2026-09-10T07:00:00Z');

  function keyClaimFor(subscriberId: string, recordId: string, input: StreamInput) {
    const claimedBy = compactIdOf(`${STREAM}:${input.shardId}/${input.sequenceNumber}`);
    const record = { stream: STREAM, shardId: input.shardId, sequenceNumber: input.sequenceNumber, data: '' };
    return { eventKey: compactIdOf(`U#${recordId}`), claimedBy, perKeyClaim: perKeyClaimOf({ record, key: `U#${recordId}` }, claimedBy) };
  }

  it('holds a key for a redrive only when no other record holds it in that release\'s item, keeping the period it recorded', async () => {
    // Arrange: one key counted by another record, one claimed by the record itself with its period
    const other = data('pk-hold', 'pk-hold-r1');
    await firstReleaseClaim('pk-hold', other, delivery(other, arrivedWith(other)));
    const own = delivery(data('pk-hold', 'pk-hold-r2'), 1);
    await perKeyReleaseClaim('pk-hold', data('pk-hold', 'pk-hold-r2'), own, '2026-08-01');
    const refused = keyClaimFor('pk-hold', 'pk-hold-r1', delivery(other, AFTER_UPGRADE));
    const mine = keyClaimFor('pk-hold', 'pk-hold-r2', own);

    // Act
    const first = await store.holdForRedrive({ subscriberId: 'pk-hold', group, ...refused, marker: holdIdOf(refused.claimedBy), expiresAt: 1 });
    const second = await store.holdForRedrive({ subscriberId: 'pk-hold', group, ...mine, marker: holdIdOf(mine.claimedBy), expiresAt: 1 });

    // Assert
    expect(first.held).toBe(false);
    expect(second.held).toBe(true);
    expect(await store.readClaim('pk-hold', group, mine.eventKey)).toEqual({ claimedBy: holdIdOf(mine.claimedBy), period: '2026-08-01' });
  });

  it('answers who holds a key from that release\'s item when the group does not hold it', async () => {
    // Arrange
    const other = data('pk-read', 'pk-read-r1');
    const first = delivery(other, arrivedWith(other));
    await firstReleaseClaim('pk-read', other, first);
    const own = keyClaimFor('pk-read', 'pk-read-r1', first);
    const stranger = keyClaimFor('pk-read', 'pk-read-r1', delivery(other, AFTER_UPGRADE));

    // Act
    const asOwn = await store.readClaim('pk-read', group, own.eventKey, own.perKeyClaim);
    const asStranger = await store.readClaim('pk-read', group, stranger.eventKey, stranger.perKeyClaim);
    const withoutIt = await store.readClaim('pk-read', group, own.eventKey);

    // Assert
    expect(asOwn).toEqual({ claimedBy: own.claimedBy });
    expect(asStranger).toEqual({ claimedBy: `${SHARD}/${first.sequenceNumber}` });
    expect(withoutIt).toBeUndefined();
  });
});
