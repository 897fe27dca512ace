/**
 * Invariant 4: a bar placed by a cap is lifted at the start of the next billing period (CAP_RESET, run by
 * the schedule the workflow created), and only a bar of that period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRequest } from '../../shared/ports/policy-workflow.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { createWorld, freshId, startDatabase, type Database, type WorkflowWorld } from './workflow-fixture.js';

const PERIOD = '2026-09-01';
const AT = '2026-09-10T13:40:00Z';

let db: Database;

beforeAll(async () => {
  db = await startDatabase();
  loadPolicyDefinition();
}, 120_000);

afterAll(async () => {
  await db.stop();
});

function capReached(subscriberId: string, kind: 'ROAMING_CAP_REACHED' | 'OVERAGE_CAP_REACHED' = 'ROAMING_CAP_REACHED'): PolicyRequest {
  return { kind, subscriberId, period: PERIOD, crossingId: `${kind}@50000000`, at: AT, servingPlmn: '22801' };
}

/** What the local runtime does when its virtual clock passes a schedule: stop at its time, start it. */
async function runDueSchedules(world: WorkflowWorld, untilIso: string): Promise<number> {
  let ran = 0;
  for (let due = world.schedules.takeDue(Date.parse(untilIso)); due !== undefined; due = world.schedules.takeDue(Date.parse(untilIso))) {
    world.clock.set(due.at);
    await world.workflow.starter.start([due.request]);
    ran++;
  }
  return ran;
}

describe('the scheduled un-bar', () => {
  it('is recorded at the next period start and, when it runs, lifts the bar and sends CAP_RESET at that time', async () => {
    const world = createWorld(db, AT);
    const id = freshId('UNBAR');
    await world.addProfile({ subscriberId: id, locale: 'fr', plan: { dataAllowanceBytes: 1_000_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' } });
    await world.workflow.run(capReached(id));
    const [schedule] = world.schedules.pending();

    expect(schedule?.at).toBe('2026-09-30T22:00:00Z');
    expect(await runDueSchedules(world, '2026-09-30T21:59:59Z')).toBe(0);
    expect(await runDueSchedules(world, '2026-10-01T08:00:00Z')).toBe(1);

    expect(world.carrier.all().map((c) => [c.command, c.at])).toEqual([
      ['BAR_DATA_ROAMING', '2026-09-10T13:40:00.000Z'],
      ['UNBAR_DATA_ROAMING', '2026-09-30T22:00:00.000Z'],
    ]);
    expect(world.notifications.of(id).map((n) => [n.kind, n.at])).toEqual([
      ['ROAMING_CAP_REACHED', '2026-09-10T13:40:00.000Z'],
      ['CAP_RESET', '2026-09-30T22:00:00.000Z'],
    ]);
    expect(await world.bars.get(id)).toEqual({});
    expect(world.schedules.pending()).toEqual([]);
    const reset = world.workflow.executions().find((e) => e.request.kind === 'CAP_RESET');
    expect(reset?.status).toBe('SUCCEEDED');
  });

  it('runs once even if the schedule fires twice', async () => {
    const world = createWorld(db, AT);
    const id = freshId('TWICE');
    await world.addProfile({ subscriberId: id });
    await world.workflow.run(capReached(id, 'OVERAGE_CAP_REACHED'));
    const [schedule] = world.schedules.pending();
    if (schedule === undefined) throw new Error('no schedule');
    world.clock.set(schedule.at);

    await world.workflow.run(schedule.request);
    await world.workflow.run(schedule.request);

    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_OVERAGE', 'UNBAR_DATA_OVERAGE']);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['OVERAGE_CAP_REACHED', 'CAP_RESET']);
  });

  it('does nothing when no cap bar of its period is in force (lifted earlier by consent)', async () => {
    const world = createWorld(db, AT);
    const id = freshId('RESUMED');
    await world.addProfile({ subscriberId: id, locale: 'en' });
    await world.workflow.run(capReached(id));
    await world.workflow.run({ kind: 'ROAMING_RESUMED', subscriberId: id, period: PERIOD, crossingId: 'ROAMING_RESUMED#consent', at: AT, bucket: 'roaming' });
    expect(await world.bars.get(id)).toEqual({});

    expect(await runDueSchedules(world, '2026-10-02T00:00:00Z')).toBe(1);

    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING']);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED', 'ROAMING_RESUMED']);
  });

  it('leaves a bar placed by the next period\'s cap in force', async () => {
    const world = createWorld(db, AT);
    const id = freshId('NEWBAR');
    await world.addProfile({ subscriberId: id });
    await world.workflow.run(capReached(id));
    // The October cap was reached before the September reset ran (a late schedule).
    world.clock.set('2026-10-01T00:10:00Z');
    await world.workflow.run({ ...capReached(id), period: '2026-10-01', at: '2026-10-01T00:10:00Z' });

    expect(await runDueSchedules(world, '2026-10-01T00:20:00Z')).toBe(1);

    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'BAR_DATA_ROAMING']);
    expect((await world.bars.get(id)).dataRoaming?.period).toBe('2026-10-01');
  });
});
