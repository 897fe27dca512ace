/**
 * The DynamoDB adapters ingest shares with others, against dynalite: the STATE item keeps the bars the
 * workflow places there while ingest updates the serving MCC, and the profile store reads, batches
 * (more than one BatchGetItem page), deletes and refuses an invalid stored profile by field.
 */
import { barOf, setBars } from '../support/bars.js';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { kinesisEventOf, sequenceNumberOf } from '../support/ingest-harness.js';
import { profileOf, rigOf, SHARD, startIngestTables } from './ingest-support.js';

const db = await startIngestTables();
const { tables, usage, profiles } = db;

describe('the line item beside the STATE item', () => {
  it('keeps bars placed before and after ingest moves the serving MCC', async () => {
    const subscriberId = 'state-bars';
    await profiles.put(profileOf({ subscriberId, msisdn: '+33677777777', plan: { dataAllowanceBytes: 1_000_000_000 } }));
    const bars = new DynamoBarStore({ client: tables.documents, tableName: tables.usageTable });
    const { handler, starter } = rigOf(db);
    const attach = (n: number, plmn: string) => ({
      shardId: SHARD,
      sequenceNumber: sequenceNumberOf(n),
      payload: { type: 'attach' as const, eventId: `a${n}`, subscriberId, eventTime: `2026-09-1${n}T07:00:00Z`, servingPlmn: plmn },
    });
    const overage = barOf('overage', '2026-09-01', '2026-09-30T22:00:00Z');
    const roaming = barOf('roaming', '2026-09-01', '2026-09-30T22:00:00Z');

    await setBars(bars, subscriberId, { overage });
    await handler(kinesisEventOf([attach(1, '22801')]));
    await setBars(bars, subscriberId, { overage, roaming });
    await handler(kinesisEventOf([attach(2, '20801'), attach(3, '20610')]));

    expect((await bars.get(subscriberId)).bars).toEqual({ overage, roaming });
    expect((await usage.load(subscriberId, [])).state.servingMcc).toBe('206');
    expect(starter.executions.map((r) => `${r.kind}:${r.servingPlmn}`)).toEqual(['ROAMING_WELCOME:22801', 'ROAMING_WELCOME:20610']);
  });
});

describe('DynamoProfileStore', () => {
  it('gets, gets many across BatchGetItem pages, and deletes', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `pstore-${i}`);
    for (const [i, id] of ids.entries()) await profiles.put(profileOf({ subscriberId: id, msisdn: `+3361000${String(i).padStart(4, '0')}`, plan: { dataAllowanceBytes: i } }));

    const many = await profiles.getMany([...ids, 'pstore-missing', ids[0] ?? '']);
    const one = await profiles.get('pstore-7');
    await profiles.delete('pstore-7');

    expect(many.profiles.size).toBe(130);
    expect(many.profiles.get('pstore-129')?.plan.dataAllowanceBytes).toBe(129);
    expect(one?.plan).toEqual({ dataAllowanceBytes: 7, monthlyFeeMicros: 0, billingCycleDay: 1, timeZone: 'Europe/Paris' });
    expect(await profiles.get('pstore-7')).toBeUndefined();
  });

  it('refuses a stored profile that breaks the contract, naming the field', async () => {
    await tables.documents.send(
      new PutCommand({ TableName: tables.profilesTable, Item: { subscriberId: 'pstore-bad', msisdn: '0612', plan: { dataAllowanceBytes: 1 } } }),
    );

    await expect(profiles.get('pstore-bad')).rejects.toThrow(/msisdn/);
  });
});
