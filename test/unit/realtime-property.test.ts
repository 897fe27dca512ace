/**
 * Property: many concurrent PDU sessions of one subscriber asking for quota (creates, updates, the same
 * invocation sent twice at once, releases, lost releases), with post-event usage of another feed on the same
 * stream, the real ingest counting at any moment, consent, limit changes, abandoned grants and a period
 * start, interleaved by fast-check's scheduler at every storage and stream call:
 *  - the charge of what is granted in a period never passes the cap without consent: at the end of each
 *    round, for every bucket that received a paid grant under the cap, the usage committed in the period
 *    (from the stream, independent of the budgets), plus the grants the SMFs hold, plus the other feed's
 *    charges counted before the round, is at most the limit;
 *  - the usage reported is counted exactly once (counters after ingest = unique reported usage + other feed),
 *    and a duplicate record always carries the same eventTime;
 *  - an invocation sent twice gets the same answer twice.
 * Runs the real use case, routes and ingest on the in-memory stores (same items and conditions as DynamoDB).
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { ConvergedCharging } from '../../shared/charging/converged-charging.js';
import { chargingRoutes } from '../../shared/charging/routes.js';
import type { ChargingDataResponse } from '../../shared/charging/schemas.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { SpendBucketName, SubscriberProfile, UsageEvent } from '../../shared/domain/model.js';
import { billingPeriodOf } from '../../shared/domain/periods.js';
import { DEFAULT_QUOTA_SETTINGS, type QuotaSettings } from '../../shared/domain/quota.js';
import { ingestBatch, type StreamRecord } from '../../shared/ingest/ingest-batch.js';
import { MemoryQuarantine, RecordingWorkflowStarter } from '../support/ingest-harness.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
import { dispatch } from '../../shared/sbi/http.js';
import { profileOf } from '../integration/ingest-support.js';
import { MemoryChargingStore, MemoryStream } from '../support/memory-realtime.js';

const SUBSCRIBER = 'P';
const PLMN: Readonly<Record<Serving, string>> = { home: '20801', swiss: '22801' };
const BUCKET: Readonly<Record<Serving, SpendBucketName>> = { home: 'overage', swiss: 'roaming' };
const QUOTA: QuotaSettings = {
  ...DEFAULT_QUOTA_SETTINGS,
  defaultGrantBytes: 2_000_000,
  maxGrantBytes: 4_000_000,
  validityTimeSeconds: 600,
  graceSeconds: 60,
  redirectUrl: 'https://selfcare.example.org/continue',
};
const RATING_GROUP = 10;

type Serving = 'home' | 'swiss';
type Action = 'go' | 'twice' | 'release' | 'lose';
type Admin = 'none' | 'consentRoaming' | 'consentOverage' | 'lowerLimits' | 'raiseLimits' | 'periodStart' | 'expire';

const stepArb = fc.record({
  session: fc.nat({ max: 4 }),
  action: fc.constantFrom<Action>('go', 'go', 'go', 'twice', 'release', 'lose'),
  usedPercent: fc.constantFrom(0, 37, 100, 100),
  requested: fc.integer({ min: 0, max: 5_000_000 }),
});

const roundArb = fc.record({
  admin: fc.constantFrom<Admin>('none', 'none', 'none', 'none', 'consentRoaming', 'consentOverage', 'lowerLimits', 'raiseLimits', 'periodStart', 'expire'),
  otherFeed: fc.option(fc.record({ bucket: fc.constantFrom<SpendBucketName>('roaming', 'overage'), micros: fc.integer({ min: 0, max: 700_000 }) }), { nil: undefined }),
  ingest: fc.constantFrom<'none' | 'before' | 'concurrent'>('none', 'before', 'concurrent', 'concurrent'),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
});

const scenarioArb = fc.record({
  sessions: fc.array(fc.constantFrom<Serving>('home', 'swiss'), { minLength: 2, maxLength: 5 }),
  rounds: fc.array(roundArb, { minLength: 1, maxLength: 7 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

interface HeldGrant {
  readonly bytes: number;
  readonly period: string;
  readonly seq: number;
}

interface SessionModel {
  readonly index: number;
  readonly serving: Serving;
  ref?: string;
  seq: number;
  state: 'new' | 'active' | 'gone';
  grant?: HeldGrant;
}

class World {
  private now = Date.parse('2026-09-01T06:00:00Z');
  /** When each stream record arrived (what Kinesis stamps): the world's time when it was put, not when ingest read it. */
  private readonly arrivals: number[] = [];
  get nowMs(): number {
    return this.now;
  }
  /** Moving the clock first stamps the records put so far with the time they were put at. */
  set nowMs(ms: number) {
    this.stampArrivals();
    this.now = ms;
  }
  private stampArrivals(): void {
    while (this.arrivals.length < this.stream.records.length) this.arrivals.push(this.now);
  }
  profile: SubscriberProfile = profileOf({
    subscriberId: SUBSCRIBER,
    msisdn: '+33611111111',
    plan: { dataAllowanceBytes: 5_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    roamingCap: { limitMicros: 3_000_000 },
    overageCap: { limitMicros: 400_000 },
  });
  readonly usage = new MemoryUsageStore();
  readonly charging = new MemoryChargingStore();
  readonly stream = new MemoryStream();
  /** Stream records ingest has read. */
  cursor = 0;
  readonly reported = new Map<string, number>();
  readonly otherFeed: Array<{ readonly recordId: string; readonly bucket: SpendBucketName; readonly micros: number; readonly period: string }> = [];

  period(): string {
    return billingPeriodOf(new Date(this.nowMs), this.profile.plan).id;
  }

  async ingest(): Promise<void> {
    this.stampArrivals();
    const end = this.stream.records.length;
    const records: StreamRecord[] = this.stream.records.slice(this.cursor, end).map((r, i) => ({
      stream: this.stream.stream,
      shardId: r.shardId,
      sequenceNumber: r.sequenceNumber,
      data: JSON.stringify(r.event),
      arrivalTime: Math.floor((this.arrivals[this.cursor + i] ?? this.now) / 1000),
    }));
    if (records.length === 0) return;
    const result = await ingestBatch(records, {
      usage: this.usage,
      ledger: this.usage,
      profiles: { getMany: async (ids) => ({ profiles: new Map(ids.includes(SUBSCRIBER) ? [[SUBSCRIBER, this.profile]] : []), unusable: new Map() }) },
      quarantine: new MemoryQuarantine(),
      workflows: new RecordingWorkflowStarter(),
      settings: DEFAULT_SETTINGS,
    });
    expect(result.failed.size).toBe(0);
    expect(result.stats.rejected).toBe(0);
    this.cursor = Math.max(this.cursor, end);
  }

  /** Consent on the current period's counters, the way the self-care API writes it (versioned, retried). */
  async consent(bucket: SpendBucketName): Promise<void> {
    const period = this.period();
    for (;;) {
      const stored = (await this.usage.load(SUBSCRIBER, [period])).counters.get(period);
      const counters = stored?.counters ?? (await import('../../shared/domain/counters.js')).emptyCounters(SUBSCRIBER, period);
      const { saved } = await this.usage.saveCounters({
        counters: { ...counters, consent: { ...counters.consent, [bucket]: true } },
        expectedVersion: stored?.version ?? 0,
        applied: stored?.applied ?? {},
        pending: stored?.pending ?? [],
      });
      if (saved) return;
    }
  }

  consented(period: string, bucket: SpendBucketName): boolean {
    const item = this.usage.items.get(`${SUBSCRIBER}\u0000P#${period}`);
    return item?.[bucket === 'roaming' ? 'cr' : 'co'] === true;
  }
}

function requestBody(world: World, session: SessionModel, usedPercent: number, requested: number | undefined, kind: 'create' | 'update' | 'release'): Record<string, unknown> {
  const units: Record<string, unknown> = { ratingGroup: RATING_GROUP };
  if (requested !== undefined) units.requestedUnit = { totalVolume: requested };
  if (kind !== 'create' && session.grant !== undefined) {
    const used = Math.floor((session.grant.bytes * usedPercent) / 100);
    if (used > 0) units.usedUnitContainer = [{ localSequenceNumber: 1, totalVolume: used }];
  }
  return {
    ...(kind === 'create' ? { subscriberIdentifier: SUBSCRIBER } : {}),
    nfConsumerIdentification: { nodeFunctionality: 'SMF', nFName: '0b5e1a4e-0000-4000-8000-00000000000a' },
    invocationTimeStamp: new Date(world.nowMs).toISOString(),
    invocationSequenceNumber: session.seq,
    notifyUri: `http://smf.example/notify/${session.index}`,
    multipleUnitUsage: requested === undefined && units.usedUnitContainer === undefined ? [] : [units],
    pDUSessionChargingInformation: {
      chargingId: 7000 + session.index,
      pduSessionInformation: { pduSessionID: session.index + 1, dnnId: 'internet', servingCNPlmnId: { mcc: PLMN[session.serving].slice(0, 3), mnc: PLMN[session.serving].slice(3) } },
    },
  };
}

async function runScenario(scenario: Scenario, s: fc.Scheduler): Promise<void> {
  const world = new World();
  const scheduled = <A extends unknown[], T>(f: (...args: A) => Promise<T>) => s.scheduleFunction(f);
  const usageForCharging: Pick<UsageStore, 'load'> = { load: scheduled((id: string, periods: readonly string[]) => world.usage.load(id, periods)) };
  const charging = new ConvergedCharging({
    store: {
      getSession: scheduled((ref: string) => world.charging.getSession(ref)),
      putSession: scheduled((session, version) => world.charging.putSession(session, version)),
      getBudget: scheduled((id: string, period: string) => world.charging.getBudget(id, period)),
      putBudget: scheduled((budget, version) => world.charging.putBudget(budget, version)),
    },
    usage: usageForCharging,
    profiles: { get: scheduled(async (id: string) => (id === SUBSCRIBER ? world.profile : undefined)) },
    publisher: { publish: scheduled((events: readonly UsageEvent[]) => world.stream.publish(events)) },
    clock: { now: () => new Date(world.nowMs) },
    settings: DEFAULT_SETTINGS,
    quota: QUOTA,
    maxAttempts: 8,
  });
  const routes = chargingRoutes(charging);
  const sessions: SessionModel[] = scenario.sessions.map((serving, index) => ({ index, serving, seq: 0, state: 'new' }));

  /** One invocation, retried (same body, same sequence number) until it is answered 2xx, as an SMF does. */
  const invoke = async (path: string, body: Record<string, unknown>): Promise<{ status: number; headers: Record<string, string>; body: unknown }> => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const response = await dispatch(routes, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (response.status < 300) return { status: response.status, headers: { ...response.headers }, body: response.body };
      expect([503]).toContain(response.status);
    }
    throw new Error(`no answer after 40 attempts: ${path}`);
  };

  const step = async (session: SessionModel, action: Action, usedPercent: number, requested: number | undefined): Promise<void> => {
    if (session.state === 'gone') return;
    if (action === 'lose') {
      session.state = 'gone';
      return;
    }
    const kind = session.state === 'new' ? 'create' : action === 'release' ? 'release' : 'update';
    if (kind === 'create' && action === 'release') return;
    const body = requestBody(world, session, usedPercent, kind === 'release' ? undefined : requested, kind);
    const path =
      kind === 'create' ? '/nchf-convergedcharging/v3/chargingdata' : `/nchf-convergedcharging/v3/chargingdata/${session.ref ?? ''}/${kind === 'release' ? 'release' : 'update'}`;
    const sends = action === 'twice' ? [invoke(path, body), invoke(path, body)] : [invoke(path, body)];
    const answers = await Promise.all(sends);
    const [answer] = answers;
    if (answer === undefined) return;
    for (const other of answers) expect(other.body).toEqual(answer.body);
    // What the SMF reported is now the network's usage, to be counted once.
    const units = (body.multipleUnitUsage as Array<{ usedUnitContainer?: Array<{ totalVolume: number }> }>)[0];
    const used = units?.usedUnitContainer?.[0]?.totalVolume ?? 0;
    if (used > 0) world.reported.set(`${session.index}/${session.seq}`, used);
    if (kind === 'create') session.ref = answer.headers.location?.split('/').pop();
    session.seq += 1;
    if (kind === 'release') {
      session.state = 'gone';
      session.grant = undefined;
      return;
    }
    session.state = 'active';
    const unit = (answer.body as ChargingDataResponse).multipleUnitInformation?.find((u) => u.ratingGroup === RATING_GROUP);
    const bytes = unit?.grantedUnit?.totalVolume ?? 0;
    session.grant = bytes > 0 ? { bytes, period: world.period(), seq: session.seq - 1 } : undefined;
    if (unit?.resultCode === 'QUOTA_LIMIT_REACHED') expect(unit.finalUnitIndication?.finalUnitAction).toBe('REDIRECT');
  };

  /** Every active session reports what it used and asks for nothing: it holds no grant afterwards. */
  const reportAll = async (): Promise<void> => {
    await s.waitFor(Promise.all(sessions.filter((x) => x.state === 'active' && x.grant !== undefined).map((x) => step(x, 'go', 100, undefined))));
  };

  let otherCount = 0;
  for (const round of scenario.rounds) {
    world.nowMs += 1000;
    switch (round.admin) {
      case 'consentRoaming':
        await world.consent('roaming');
        break;
      case 'consentOverage':
        await world.consent('overage');
        break;
      case 'lowerLimits':
      case 'raiseLimits': {
        const factor = round.admin === 'lowerLimits' ? 0.5 : 1.5;
        const p = world.profile;
        world.profile = {
          ...p,
          roamingCap: { ...p.roamingCap, limitMicros: Math.round(p.roamingCap.limitMicros * factor) },
          overageCap: { ...p.overageCap, limitMicros: Math.round(p.overageCap.limitMicros * factor) },
        };
        break;
      }
      case 'expire':
        // Grants reach their validity: the SMFs report; abandoned grants expire and return to the budget.
        await reportAll();
        world.nowMs += (QUOTA.validityTimeSeconds + QUOTA.graceSeconds + 1) * 1000;
        break;
      case 'periodStart': {
        // Grants end with their period: the SMFs report at the period start (their validity ends then).
        world.nowMs = Date.parse(billingPeriodOf(new Date(world.nowMs), world.profile.plan).end);
        await reportAll();
        break;
      }
      case 'none':
        break;
    }
    if (round.otherFeed !== undefined) {
      const recordId = `other-${otherCount++}`;
      const servingPlmn = round.otherFeed.bucket === 'roaming' ? '22801' : '20801';
      const eventTime = new Date(Math.floor(world.nowMs / 1000) * 1000).toISOString();
      await world.stream.publish([
        { type: 'usage', recordId, subscriberId: SUBSCRIBER, eventTime, service: 'data', volumeBytes: 1000, servingPlmn, chargeMicros: round.otherFeed.micros, currency: 'EUR' },
      ]);
      world.otherFeed.push({ recordId, bucket: round.otherFeed.bucket, micros: round.otherFeed.micros, period: world.period() });
    }
    if (round.ingest === 'before') await world.ingest();
    // The other feed's charges the code must have seen at any decision of this round.
    const counted = new Set(world.stream.records.slice(0, world.cursor).map((r) => r.event.recordId));
    const otherBefore = (period: string, bucket: SpendBucketName) =>
      world.otherFeed.filter((o) => o.period === period && o.bucket === bucket && counted.has(o.recordId)).reduce((sum, o) => sum + o.micros, 0);
    const roundStartMs = world.nowMs;

    const bySession = new Map<number, typeof round.steps>();
    for (const st of round.steps) {
      const index = st.session % sessions.length;
      bySession.set(index, [...(bySession.get(index) ?? []), st]);
    }
    const tasks = [...bySession].map(async ([index, steps]) => {
      const session = sessions[index];
      if (session === undefined) return;
      for (const st of steps) await step(session, st.action, st.usedPercent, st.requested);
    });
    if (round.ingest === 'concurrent') tasks.push(s.schedule(Promise.resolve()).then(() => world.ingest()));
    await s.waitFor(Promise.all(tasks));

    // The cap, per bucket of the current period, when this round granted paid quota under it.
    const period = world.period();
    const { budget } = await world.charging.getBudget(SUBSCRIBER, period);
    for (const bucket of ['roaming', 'overage'] as const) {
      const cap = bucket === 'roaming' ? world.profile.roamingCap : world.profile.overageCap;
      if (!cap.enabled || world.consented(period, bucket)) continue;
      const paidThisRound = Object.values(budget.reservations).some((r) => r.bucket === bucket && r.chargeMicros > 0 && r.grantedAtMs >= roundStartMs);
      if (!paidThisRound) continue;
      const committed = new Map<string, number>();
      for (const r of world.stream.records) {
        if (!r.event.recordId.startsWith('nchf-') || billingPeriodOf(r.event.eventTime, world.profile.plan).id !== period) continue;
        if (BUCKET[r.event.servingPlmn === PLMN.swiss ? 'swiss' : 'home'] !== bucket) continue;
        committed.set(r.event.recordId, r.event.chargeMicros ?? 0);
      }
      let held = 0;
      for (const x of sessions) {
        if (x.state !== 'active' || x.grant === undefined || x.grant.period !== period || BUCKET[x.serving] !== bucket) continue;
        const reservation = budget.reservations[`${x.ref ?? ''}/${RATING_GROUP}`];
        // Every grant an SMF holds is reserved, for the volume it was told.
        expect(reservation?.bytes).toBe(x.grant.bytes);
        held += reservation?.chargeMicros ?? 0;
      }
      const total = [...committed.values()].reduce((a, b) => a + b, 0) + held + otherBefore(period, bucket);
      expect(total).toBeLessThanOrEqual(cap.limitMicros);
    }
  }

  // Everything on the stream counted, duplicates included.
  await world.ingest();
  const eventTimes = new Map<string, string>();
  for (const r of world.stream.records) {
    const seen = eventTimes.get(r.event.recordId);
    if (seen !== undefined) expect(r.event.eventTime).toBe(seen);
    eventTimes.set(r.event.recordId, r.event.eventTime);
  }
  const periods = [...new Set(world.stream.records.map((r) => billingPeriodOf(r.event.eventTime, world.profile.plan).id))];
  const stored = await world.usage.load(SUBSCRIBER, periods);
  let bytes = 0;
  let micros = 0;
  for (const c of stored.counters.values()) {
    bytes += c.counters.dataBytes;
    micros += c.counters.roaming.chargeMicros + c.counters.overage.chargeMicros;
  }
  const unique = new Map(world.stream.records.map((r) => [r.event.recordId, r.event]));
  const reportedBytes = [...world.reported.values()].reduce((a, b) => a + b, 0);
  expect(bytes).toBe(reportedBytes + 1000 * world.otherFeed.length);
  expect(micros).toBe([...unique.values()].reduce((sum, e) => sum + (e.chargeMicros ?? 0), 0));
}

describe('online quota under concurrency (property)', () => {
  it('never grants past the cap without consent, and counts reported usage exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.scheduler(), async (scenario, s) => {
        await runScenario(scenario, s);
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});
