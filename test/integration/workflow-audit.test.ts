/** The audit trail and bar store adapters on dynalite: what the workflow's idempotency rests on. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import type { AuditEntry } from '../../shared/ports/audit-log.js';
import { freshId, startDatabase, type Database } from './workflow-fixture.js';

let db: Database;
let audit: DynamoAuditLog;
let bars: DynamoBarStore;

beforeAll(async () => {
  db = await startDatabase();
  audit = new DynamoAuditLog({ client: db.documents, tableName: db.tableNames.audit });
  bars = new DynamoBarStore({ client: db.documents, tableName: db.tableNames.usage });
});

afterAll(async () => {
  await db.stop();
});

function notification(subscriberId: string, at: string, kind: 'ROAMING_SPEND_80' | 'ROAMING_CAP_REACHED' = 'ROAMING_SPEND_80'): AuditEntry {
  return { type: 'NOTIFICATION', subscriberId, at, period: '2026-09-01', crossingId: `${kind}@50000000`, kind, channel: 'sms', to: '+33611111111', text: 't', messageId: 'm' };
}

describe('DynamoAuditLog', () => {
  it('guards an action: PROCEED while pending (a crashed attempt is taken over), DONE once completed', async () => {
    const id = freshId('G');
    const key = { subscriberId: id, period: '2026-09-01', crossingId: 'ROAMING_CAP_REACHED@50000000', action: 'notify-sms' };

    expect(await audit.begin(key, '2026-09-10T13:40:00Z')).toBe('PROCEED');
    expect(await audit.begin(key, '2026-09-10T13:40:01Z')).toBe('PROCEED');
    await audit.complete(key, notification(id, '2026-09-10T13:40:01Z', 'ROAMING_CAP_REACHED'));

    expect(await audit.begin(key, '2026-09-10T13:45:00Z')).toBe('DONE');
    expect(await audit.begin({ ...key, period: '2026-10-01' }, '2026-10-10T00:00:00Z')).toBe('PROCEED');
  });

  it('lists a subscriber\'s entries in time order within [from, to), never the guards', async () => {
    const id = freshId('L');
    await audit.record(notification(id, '2026-09-12T08:00:00Z'));
    await audit.record(notification(id, '2026-09-10T13:40:00+02:00', 'ROAMING_CAP_REACHED'));
    await audit.record({ type: 'UNBAR_SCHEDULED', subscriberId: id, at: '2026-09-11T00:00:00Z', period: '2026-09-01', crossingId: 'c', bucket: 'roaming', runAt: '2026-09-30T22:00:00Z', scheduleName: 'n' });
    await audit.begin({ subscriberId: id, period: '2026-09-01', crossingId: 'c', action: 'x' }, '2026-09-11T00:00:00Z');
    await audit.record(notification(freshId('OTHER'), '2026-09-11T00:00:00Z'));

    const all = await audit.list(id);
    const window = await audit.list(id, '2026-09-11T00:00:00Z', '2026-09-12T08:00:00Z');

    expect(all.map((e) => [e.type, e.at])).toEqual([
      ['NOTIFICATION', '2026-09-10T11:40:00.000Z'],
      ['UNBAR_SCHEDULED', '2026-09-11T00:00:00.000Z'],
      ['NOTIFICATION', '2026-09-12T08:00:00.000Z'],
    ]);
    expect(all[0]).toEqual({ ...notification(id, '2026-09-10T11:40:00.000Z', 'ROAMING_CAP_REACHED') });
    expect(window.map((e) => e.type)).toEqual(['UNBAR_SCHEDULED']);
  });

  it('keeps two actions of the same instant apart', async () => {
    const id = freshId('SAME');
    await audit.record({ ...notification(id, '2026-09-10T10:00:00Z', 'ROAMING_CAP_REACHED'), crossingId: 'ROAMING_CAP_REACHED@50000000' });
    await audit.record({ ...notification(id, '2026-09-10T10:00:00Z', 'ROAMING_CAP_REACHED'), crossingId: 'ROAMING_CAP_REACHED@60000000' });

    expect(await audit.list(id)).toHaveLength(2);
  });
});

describe('DynamoBarStore', () => {
  it('places and lifts bars as attributes of the STATE item, leaving what else is there', async () => {
    const id = freshId('B');
    await db.documents.send(new PutCommand({ TableName: db.tableNames.usage, Item: { pk: id, sk: 'STATE', servingMcc: '228' } }));
    await bars.place(id, 'dataRoaming', { period: '2026-09-01', at: '2026-09-10T13:40:00.000Z', reason: 'ROAMING_CAP_REACHED@50000000' });
    await bars.place(id, 'dataOverage', { period: '2026-09-01', at: '2026-09-12T14:30:00.000Z', reason: 'OVERAGE_CAP_REACHED@50000000' });

    expect(await bars.get(id)).toEqual({
      dataRoaming: { period: '2026-09-01', at: '2026-09-10T13:40:00.000Z', reason: 'ROAMING_CAP_REACHED@50000000' },
      dataOverage: { period: '2026-09-01', at: '2026-09-12T14:30:00.000Z', reason: 'OVERAGE_CAP_REACHED@50000000' },
    });
    await bars.lift(id, 'dataRoaming');

    expect(await bars.get(id)).toEqual({ dataOverage: expect.objectContaining({ period: '2026-09-01' }) });
    const { Item } = await db.documents.send(new GetCommand({ TableName: db.tableNames.usage, Key: { pk: id, sk: 'STATE' } }));
    expect(Item?.servingMcc).toBe('228');
  });

  it('lifting a bar of a subscriber with no state creates no item', async () => {
    const id = freshId('NONE');

    await bars.lift(id, 'dataOverage');

    expect(await bars.get(id)).toEqual({});
    const { Item } = await db.documents.send(new GetCommand({ TableName: db.tableNames.usage, Key: { pk: id, sk: 'STATE' } }));
    expect(Item).toBeUndefined();
  });
});
