import { beforeEach, describe, expect, it } from 'vitest';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { PeriodCounters, PolicyRequest, SubscriberProfile } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import { bucketsToReconcile, capResetOf, LineBusyError, reconcileLine, type ReconcileDeps } from '../../shared/policy/reconcile-line.js';
import { CarrierOutbox, ScheduleOutbox } from '../../local/outboxes.js';
import { MemoryAuditLog, MemoryBarStore, MemoryProfileStore } from '../support/memory-line.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';

const SEP = '2026-09-01';
const OCT = '2026-10-01';
/** Paris: September ends 30 Sep 22:00 UTC. */
const SEP_END = '2026-09-30T22:00:00Z';

function profileOf(input: Record<string, unknown> = {}): SubscriberProfile {
  const parsed = parseSubscriberProfile({ subscriberId: 'S1', msisdn: '+33611111111', plan: { dataAllowanceBytes: 0 }, ...input });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function crossing(kind: PolicyRequest['kind'], period = SEP, crossingId: string = `${kind}@50000000`): PolicyRequest {
  return { kind, subscriberId: 'S1', period, crossingId, at: '2026-09-10T13:40:00Z' };
}

interface World {
  deps: ReconcileDeps;
  usage: MemoryUsageStore;
  profiles: MemoryProfileStore;
  line: MemoryBarStore;
  carrier: CarrierOutbox;
  schedules: ScheduleOutbox;
  audit: MemoryAuditLog;
  /** Sets the counters of a period (charges and consent), as ingest or self-care would have. */
  spend(period: string, change: Partial<Pick<PeriodCounters, 'roaming' | 'overage' | 'consent'>>): Promise<void>;
  at(iso: string): void;
}

function world(profile: SubscriberProfile = profileOf()): World {
  const usage = new MemoryUsageStore();
  const profiles = new MemoryProfileStore([profile]);
  const line = new MemoryBarStore();
  const carrier = new CarrierOutbox();
  const schedules = new ScheduleOutbox();
  const audit = new MemoryAuditLog();
  let now = Date.parse('2026-09-10T13:40:00Z');
  const deps: ReconcileDeps = { profiles, usage, line, carrier, scheduler: schedules, audit, clock: { now: () => new Date(now) }, wallClockMs: () => 1_000 };
  return {
    deps,
    usage,
    profiles,
    line,
    carrier,
    schedules,
    audit,
    async spend(period, change) {
      const stored = (await usage.load('S1', [period])).counters.get(period);
      const counters = { ...(stored?.counters ?? emptyCounters('S1', period)), ...change };
      await usage.saveCounters({ counters, expectedVersion: stored?.version ?? 0, applied: stored?.applied ?? {}, pending: [] });
    },
    at(iso) {
      now = Date.parse(iso);
    },
  };
}

const spent = (micros: number) => ({ chargeMicros: micros, billableMicros: Math.min(micros, 50_000_000), writtenOffMicros: Math.max(0, micros - 50_000_000) });

describe('reconcileLine', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('places a bar of the current period with its identity, scheduling its lift at the period end before sending it', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    const order: string[] = [];
    w.schedules.onSchedule(() => order.push('schedule'));
    w.carrier.onCommand((c) => order.push(c.command));

    const outcome = await reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps);

    expect(order).toEqual(['schedule', 'BAR_DATA_ROAMING']);
    expect(outcome).toMatchObject({ period: SEP, buckets: [{ bucket: 'roaming', change: 'PLACED' }] });
    const bar = (await w.line.get('S1')).bars.roaming;
    expect(bar).toMatchObject({ bucket: 'roaming', period: SEP, until: SEP_END, placedAt: '2026-09-10T13:40:00.000Z', reason: 'ROAMING_CAP_REACHED@50000000' });
    expect(w.schedules.all()).toEqual([{ name: expect.any(String), at: SEP_END, request: capResetOf('S1', bar!) }]);
    expect(w.carrier.all()[0]).toMatchObject({ command: 'BAR_DATA_ROAMING', at: '2026-09-10T13:40:00.000Z' });
  });

  it('sends no bar when its lift cannot be scheduled, and leaves the line free for the retry', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    w.schedules.failNext(1, 'permanent');

    await expect(reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps)).rejects.toThrow(/schedule/);

    expect(w.carrier.all()).toEqual([]);
    expect((await w.line.get('S1')).bars).toEqual({});
    await reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps);
    expect(w.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING']);
  });

  it('keeps a bar already in force for the period: no second command', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    await reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps);

    const again = await reconcileLine(crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#r2'), w.deps);

    expect(again.buckets).toEqual([
      { bucket: 'roaming', change: 'KEPT', bar: expect.objectContaining({ period: SEP }) },
      { bucket: 'overage', change: 'NONE' },
    ]);
    expect(w.carrier.all()).toHaveLength(1);
  });

  it('a late crossing of an ended period neither replaces nor lifts the current period\'s bar', async () => {
    await w.spend(OCT, { roaming: spent(60_000_000) });
    w.at('2026-10-05T10:00:00Z');
    await reconcileLine(crossing('ROAMING_CAP_REACHED', OCT), w.deps);
    const october = (await w.line.get('S1')).bars.roaming;

    const late = await reconcileLine(crossing('ROAMING_CAP_REACHED', SEP), w.deps);

    expect(late.buckets).toEqual([{ bucket: 'roaming', change: 'KEPT', bar: october }]);
    expect((await w.line.get('S1')).bars.roaming).toEqual(october);
    expect(w.carrier.all()).toHaveLength(1);
  });

  it('a raise lifts the bar; lowering it back bars again, with a bar of its own and its own lift', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    await reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps);
    const first = (await w.line.get('S1')).bars.roaming!;

    await w.profiles.put(profileOf({ roamingCap: { enabled: true, limitMicros: 100_000_000 } }));
    const raised = await reconcileLine(crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#r2'), w.deps);
    await w.profiles.put(profileOf({ roamingCap: { enabled: true, limitMicros: 50_000_000 } }));
    const lowered = await reconcileLine(crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#r3'), w.deps);

    expect(raised.buckets[0]).toEqual({ bucket: 'roaming', change: 'LIFTED', bar: first });
    expect(lowered.buckets[0]).toMatchObject({ bucket: 'roaming', change: 'PLACED' });
    const second = (await w.line.get('S1')).bars.roaming!;
    expect(second.id).not.toBe(first.id);
    expect(w.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING', 'BAR_DATA_ROAMING']);
    expect(w.schedules.all().map((s) => s.request.barId)).toEqual([first.id, second.id]);
  });

  it('opting out lifts, opting in again bars again; consent lifts for the rest of the period', async () => {
    await w.spend(SEP, { overage: spent(55_000_000) });
    await reconcileLine(crossing('OVERAGE_CAP_REACHED'), w.deps);
    await w.profiles.put(profileOf({ overageCap: { enabled: false, limitMicros: 50_000_000 } }));
    const out = await reconcileLine(crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#r2'), w.deps);
    await w.profiles.put(profileOf({ overageCap: { enabled: true, limitMicros: 50_000_000 } }));
    const back = await reconcileLine(crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#r3'), w.deps);
    await w.spend(SEP, { overage: spent(55_000_000), consent: { roaming: false, overage: true } });
    const consent = await reconcileLine({ ...crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#consent-overage'), bucket: 'overage' }, w.deps);

    expect(out.buckets.find((b) => b.bucket === 'overage')?.change).toBe('LIFTED');
    expect(back.buckets.find((b) => b.bucket === 'overage')?.change).toBe('PLACED');
    expect(consent.buckets).toEqual([expect.objectContaining({ bucket: 'overage', change: 'LIFTED' })]);
    expect(w.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_OVERAGE', 'UNBAR_DATA_OVERAGE', 'BAR_DATA_OVERAGE', 'UNBAR_DATA_OVERAGE']);
  });

  it('a CAP_RESET lifts only the bar it was scheduled for, and only once', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    await reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps);
    const reset = w.schedules.all()[0]!.request;
    w.at(SEP_END);

    const lifted = await reconcileLine(reset, w.deps);
    const twice = await reconcileLine({ ...reset, crossingId: `${reset.crossingId}#again` }, w.deps);
    const other = await reconcileLine({ ...reset, barId: 'not-this-one', crossingId: 'CAP_RESET#other' }, w.deps);

    expect(lifted.buckets).toEqual([expect.objectContaining({ bucket: 'roaming', change: 'LIFTED' })]);
    expect(twice.buckets).toEqual([{ bucket: 'roaming', change: 'NONE' }]);
    expect(other.buckets).toEqual([{ bucket: 'roaming', change: 'NONE' }]);
    expect(w.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING']);
  });

  it('a CAP_RESET racing a new period\'s bar: the new bar stays, the reset does nothing', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    await reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps);
    const reset = w.schedules.all()[0]!.request;
    // October reaches its cap a minute after midnight, before the September reset has run.
    await w.spend(OCT, { roaming: spent(50_000_000) });
    w.at('2026-09-30T22:01:00Z');
    const october = await reconcileLine(crossing('ROAMING_CAP_REACHED', OCT), w.deps);

    const late = await reconcileLine(reset, w.deps);

    expect(october.buckets[0]).toMatchObject({ change: 'PLACED', bar: { period: OCT } });
    expect(late.buckets).toEqual([{ bucket: 'roaming', change: 'NONE' }]);
    expect((await w.line.get('S1')).bars.roaming?.period).toBe(OCT);
  });

  it('another workflow holding the line makes it wait (retried by the state machine)', async () => {
    w.line.takeLease('S1', 'someone-else', 5_000);

    await expect(reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps)).rejects.toBeInstanceOf(LineBusyError);
  });

  it('a command sent by a holder that crashed before recording it is finished by the next one, sent once', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    // The carrier accepts, then the first attempt dies before recording the bar (lease left behind).
    const crashing = { ...w.deps, line: Object.assign(Object.create(w.line) as MemoryBarStore, { commit: async () => { throw new Error('crash'); }, release: async () => undefined }) };
    await expect(reconcileLine(crossing('ROAMING_CAP_REACHED'), crashing)).rejects.toThrow('crash');
    expect(w.carrier.all()).toHaveLength(1);

    // The lease has expired: a change of caps takes over, finishes the bar, then decides.
    const next = await reconcileLine(crossing('CAPS_CHANGED', SEP, 'CAPS_CHANGED#r2'), { ...w.deps, wallClockMs: () => 1_000_000 });

    expect(next.buckets[0]).toMatchObject({ bucket: 'roaming', change: 'KEPT' });
    expect(w.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING']);
    expect((await w.line.get('S1')).pending).toEqual({});
  });

  it('a command the carrier refuses leaves the line as it was, with nothing pending', async () => {
    await w.spend(SEP, { roaming: spent(60_000_000) });
    w.carrier.failNext(1, 'permanent');

    await expect(reconcileLine(crossing('ROAMING_CAP_REACHED'), w.deps)).rejects.toMatchObject({ name: 'CarrierRejectedError' });

    expect(await w.line.get('S1')).toEqual({ bars: {}, pending: {} });
  });

  it('only cap crossings, resets and caps changes reconcile a line', () => {
    expect(bucketsToReconcile(crossing('ROAMING_SPEND_80'))).toEqual([]);
    expect(bucketsToReconcile(crossing('ROAMING_WELCOME'))).toEqual([]);
    expect(bucketsToReconcile(crossing('OVERAGE_CAP_REACHED'))).toEqual(['overage']);
    expect(bucketsToReconcile(crossing('CAPS_CHANGED'))).toEqual(['roaming', 'overage']);
    expect(bucketsToReconcile({ ...crossing('CAP_RESET'), bucket: 'overage' })).toEqual(['overage']);
  });
});
