/** The audit trail and bar store adapters on dynalite: what the workflow's idempotency rests on. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import type { AuditEntry } from '../../shared/ports/audit-log.js';
import { barOf } from '../support/bars.js';
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
    await audit.record({ type: 'UNBAR_SCHEDULED', subscriberId: id, at: '2026-09-11T00:00:00Z', period: '2026-09-01', crossingId: 'c', bucket: 'roaming', barId: 'b', runAt: '2026-09-30T22:00:00Z', scheduleName: 'n' });
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
  const sept = barOf('roaming', '2026-09-01', '2026-09-30T22:00:00Z');
  const overage = barOf('overage', '2026-09-01', '2026-09-30T22:00:00Z');

  it('keeps the line on its own item: a lease, then bars committed with their identity, apart from STATE', async () => {
    const id = freshId('B');
    await db.documents.send(new PutCommand({ TableName: db.tableNames.usage, Item: { pk: id, sk: 'STATE', m: '228' } }));

    expect(await bars.acquire(id, 'w1', 1_000, 91_000)).toEqual({ bars: {}, pending: {} });
    expect(await bars.commit(id, 'w1', { roaming: sept, overage })).toBe(true);

    expect(await bars.get(id)).toEqual({ bars: { roaming: sept, overage }, pending: {} });
    const { Item } = await db.documents.send(new GetCommand({ TableName: db.tableNames.usage, Key: { pk: id, sk: 'STATE' } }));
    expect(Item).toEqual({ pk: id, sk: 'STATE', m: '228' });
  });

  it('one holder at a time: another owner waits until the lease expires; the holder may take it again', async () => {
    const id = freshId('LEASE');
    await bars.acquire(id, 'w1', 1_000, 91_000);

    expect(await bars.acquire(id, 'w2', 2_000, 92_000)).toBeUndefined();
    expect(await bars.acquire(id, 'w1', 3_000, 93_000)).toBeDefined();
    expect(await bars.commit(id, 'w2', { roaming: sept })).toBe(false);
    expect(await bars.acquire(id, 'w2', 100_000, 190_000)).toBeDefined();
    expect(await bars.commit(id, 'w1', { roaming: sept })).toBe(false);
    expect(await bars.markPending(id, 'w1', 'roaming', { command: 'BAR_DATA_ROAMING', bar: sept, reason: 'r' })).toBe(false);
  });

  it('a pending command stays on the line for the next holder, and a commit clears it', async () => {
    const id = freshId('PENDING');
    await bars.acquire(id, 'w1', 1_000, 91_000);
    await bars.markPending(id, 'w1', 'roaming', { command: 'BAR_DATA_ROAMING', bar: sept, reason: 'ROAMING_CAP_REACHED@50000000' });
    await bars.release(id, 'w1');

    const next = await bars.acquire(id, 'w2', 2_000, 92_000);
    expect(next?.pending).toEqual({ roaming: { command: 'BAR_DATA_ROAMING', bar: sept, reason: 'ROAMING_CAP_REACHED@50000000' } });
    await bars.commit(id, 'w2', { roaming: sept });

    expect(await bars.get(id)).toEqual({ bars: { roaming: sept }, pending: {} });
  });

  it('indexes a line by the end of its earliest bar while it holds one, and only then', async () => {
    const id = freshId('DUE');
    await bars.acquire(id, 'w1', 1_000, 91_000);
    await bars.commit(id, 'w1', { overage });
    const found = async (iso: string) => {
      const all = [];
      for (let shard = 0; shard < bars.shards; shard++) all.push(...(await bars.overdue(shard, iso, 1000)));
      return all.filter((l) => l.subscriberId === id);
    };

    expect(await found('2026-09-30T21:59:59Z')).toEqual([]);
    expect(await found('2026-10-01T00:00:00Z')).toEqual([{ subscriberId: id, due: '2026-09-30T22:00:00Z' }]);
    await bars.acquire(id, 'w1', 1_000, 91_000);
    await bars.commit(id, 'w1', {});
    expect(await found('2026-10-01T00:00:00Z')).toEqual([]);
  });
});
