/**
 * The life of a bar on the synthesized state machine: placed for its period, lifted at that period's end by
 * the schedule made for it (or by the sweep when that schedule was lost), and by nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRequest } from '../../shared/domain/model.js';
import { sweepOverdueBars } from '../../shared/policy/sweep-overdue-bars.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { createWorld, freshId, startDatabase, type Database, type WorkflowWorld } from './workflow-fixture.js';

const SEP = '2026-09-01';
const OCT = '2026-10-01';
const AT = '2026-09-10T13:40:00Z';
const SEP_END = '2026-09-30T22:00:00Z';

let db: Database;

beforeAll(async () => {
  db = await startDatabase();
  loadPolicyDefinition();
}, 120_000);

afterAll(async () => {
  await db.stop();
});

function capReached(subscriberId: string, kind: 'ROAMING_CAP_REACHED' | 'OVERAGE_CAP_REACHED' = 'ROAMING_CAP_REACHED', period = SEP, at = AT): PolicyRequest {
  return { kind, subscriberId, period, crossingId: `${kind}@50000000`, at, servingPlmn: '22801' };
}

/** A subscriber barred in September by its roaming cap. */
async function barred(world: WorkflowWorld, prefix: string): Promise<string> {
  const id = freshId(prefix);
  await world.addProfile({ subscriberId: id, locale: 'fr', plan: { dataAllowanceBytes: 1_000_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' } });
  await world.spend(id, SEP, { roaming: 55_000_000 });
  await world.workflow.run(capReached(id));
  return id;
}

describe('the period-end lift', () => {
  it('runs at the period end, lifts the bar it was made for and says so at that time', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'LIFT');
    const [schedule] = world.schedules.pending();
    expect(schedule?.at).toBe(SEP_END);

    world.clock.set(schedule!.at);
    await world.workflow.starter.start([schedule!.request]);

    expect(world.carrier.all().map((c) => [c.command, c.at])).toEqual([
      ['BAR_DATA_ROAMING', '2026-09-10T13:40:00.000Z'],
      ['UNBAR_DATA_ROAMING', '2026-09-30T22:00:00.000Z'],
    ]);
    expect(world.notifications.of(id).map((n) => [n.kind, n.at])).toEqual([
      ['ROAMING_CAP_REACHED', '2026-09-10T13:40:00.000Z'],
      ['CAP_RESET', '2026-09-30T22:00:00.000Z'],
    ]);
    expect((await world.line.get(id)).bars).toEqual({});
  });

  it('a schedule that fires twice lifts once', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'TWICE');
    const [schedule] = world.schedules.pending();
    world.clock.set(schedule!.at);

    await world.workflow.run(schedule!.request);
    await world.workflow.run(schedule!.request);

    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING']);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED', 'CAP_RESET']);
  });

  it('does nothing when its bar was lifted earlier (consent), and says nothing', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'CONSENT');
    await world.spend(id, SEP, { roaming: 55_000_000, consent: { roaming: true, overage: false } });
    await world.workflow.run({ kind: 'CAPS_CHANGED', subscriberId: id, period: SEP, crossingId: 'CAPS_CHANGED#consent-roaming', at: AT, bucket: 'roaming' });
    const [schedule] = world.schedules.pending();
    world.clock.set(schedule!.at);

    const reset = await world.workflow.run(schedule!.request);

    expect(reset.status).toBe('SUCCEEDED');
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING']);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED', 'ROAMING_RESUMED']);
  });

  it('a late lift racing the next period\'s bar leaves that bar in force', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'RACE');
    const [schedule] = world.schedules.pending();
    // October reaches its cap ten minutes after midnight, before the September lift has run.
    await world.spend(id, OCT, { roaming: 50_000_000 });
    world.clock.set('2026-09-30T22:10:00Z');
    await world.workflow.run(capReached(id, 'ROAMING_CAP_REACHED', OCT, '2026-09-30T22:10:00Z'));

    world.clock.set('2026-09-30T22:20:00Z');
    await world.workflow.run(schedule!.request);

    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'BAR_DATA_ROAMING']);
    expect((await world.line.get(id)).bars.roaming?.period).toBe(OCT);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED', 'ROAMING_CAP_REACHED']);
  });

  it('a second bar in the same period (raised, then lowered again) gets its own lift', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'AGAIN');
    await world.addProfile({ subscriberId: id, locale: 'fr', roamingCap: { enabled: true, limitMicros: 100_000_000 } });
    await world.workflow.run({ kind: 'CAPS_CHANGED', subscriberId: id, period: SEP, crossingId: 'CAPS_CHANGED#r2', at: AT });
    await world.addProfile({ subscriberId: id, locale: 'fr', roamingCap: { enabled: true, limitMicros: 50_000_000 } });
    await world.workflow.run({ kind: 'CAPS_CHANGED', subscriberId: id, period: SEP, crossingId: 'CAPS_CHANGED#r3', at: AT });
    const schedules = world.schedules.pending();
    expect(schedules.map((s) => s.request.barId)).toEqual([`${SEP}/roaming/ROAMING_CAP_REACHED@50000000`, `${SEP}/roaming/CAPS_CHANGED#r3`]);

    world.clock.set(SEP_END);
    for (const s of schedules) await world.workflow.run(s.request);

    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING', 'BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING']);
    expect((await world.line.get(id)).bars).toEqual({});
  });
});

describe('the sweep of overdue bars', () => {
  it('lifts a bar whose schedule was lost, once, and counts it', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'LOST');
    const [schedule] = world.schedules.pending();
    world.schedules.lose(schedule!.name);
    world.clock.set('2026-10-01T06:00:00Z');

    const first = await sweepOverdueBars({ line: world.line, workflows: world.workflow.starter, clock: world.clock });
    const second = await sweepOverdueBars({ line: world.line, workflows: world.workflow.starter, clock: world.clock });

    expect(first.overdueBars).toBeGreaterThanOrEqual(1);
    expect(second.overdueBars).toBe(0);
    expect((await world.line.get(id)).bars).toEqual({});
    expect(world.carrier.of(id).map((c) => [c.command, c.at])).toEqual([
      ['BAR_DATA_ROAMING', '2026-09-10T13:40:00.000Z'],
      ['UNBAR_DATA_ROAMING', '2026-10-01T06:00:00.000Z'],
    ]);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED', 'CAP_RESET']);
  });

  it('leaves bars alone until their period has ended (plus a grace for the schedule to do its job)', async () => {
    const world = createWorld(db, AT);
    const id = await barred(world, 'EARLY');
    world.clock.set('2026-09-30T22:05:00Z');

    await sweepOverdueBars({ line: world.line, workflows: world.workflow.starter, clock: world.clock });

    expect((await world.line.get(id)).bars.roaming?.period).toBe(SEP);
  });
});
