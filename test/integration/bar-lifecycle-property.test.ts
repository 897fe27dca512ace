/**
 * The bar lifecycle over random histories of one subscriber: usage in several periods, records arriving up
 * to 40 days late, carrier duplicates, limits raised and lowered, opt-out and back in, consent, period ends.
 * The whole pipeline runs (ingest use case, the synthesized state machine with its real handlers, self-care),
 * in memory, one step at a time. At every step:
 * - the carrier's bar of each bucket (the last command it accepted) is what the caps require at the clock
 *   (`mustBar` on the current period's counters), and so is the bar recorded on the line;
 * - a record of a period that had ended when it arrived causes no message and no command;
 * - nothing is billed above the limit in force while the cap holds.
 * And over the whole history, every bar placed is lifted exactly once, or is still in force because its
 * period has not ended and its cause holds.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAP_LIST, CAPS, mustBar } from '../../shared/domain/caps.js';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { SpendBucketName, SubscriberProfile, UsageEvent } from '../../shared/domain/model.js';
import { billingPeriodOf } from '../../shared/domain/periods.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import type { CarrierCommandAudit } from '../../shared/ports/audit-log.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { MemoryPipeline } from '../support/pipeline-harness.js';

const ID = 'H1';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-09-01T02:00:00Z');
const EUR = 1_000_000;

function profileOf(): SubscriberProfile {
  const parsed = parseSubscriberProfile({
    subscriberId: ID,
    msisdn: '+33611000001',
    homePlmn: '20801',
    plan: { dataAllowanceBytes: 0, monthlyFeeMicros: 10 * EUR, billingCycleDay: 1, timeZone: 'Europe/Paris' },
    roamingCap: { limitMicros: 50 * EUR },
    overageCap: { limitMicros: 30 * EUR },
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

const bucketArb = fc.constantFrom<SpendBucketName>('roaming', 'overage');
/** Hours to the next step: mostly hours, sometimes days, now and then weeks (periods end in between). */
const laterArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 2, arbitrary: fc.integer({ min: 12, max: 96 }) },
  { weight: 1, arbitrary: fc.integer({ min: 96, max: 24 * 25 }) },
);
const stepArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('usage' as const),
      hoursLater: laterArb,
      lateDays: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) }),
      roaming: fc.boolean(),
      charge: fc.integer({ min: 0, max: 40 }).map((e) => e * EUR),
      duplicate: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('limit' as const), hoursLater: laterArb, bucket: bucketArb, limit: fc.constantFrom(0, 10, 20, 30, 50, 80).map((e) => e * EUR) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('optOut' as const), hoursLater: laterArb, bucket: bucketArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('optIn' as const), hoursLater: laterArb, bucket: bucketArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('consent' as const), hoursLater: laterArb, bucket: bucketArb }) },
);

beforeAll(() => {
  loadPolicyDefinition();
}, 120_000);

async function carrierState(pipeline: MemoryPipeline): Promise<Record<SpendBucketName, boolean>> {
  const state = { roaming: false, overage: false };
  for (const c of pipeline.carrier.of(ID)) {
    for (const cap of CAP_LIST) {
      if (c.command === cap.barCommand) state[cap.bucket] = true;
      if (c.command === cap.unbarCommand) state[cap.bucket] = false;
    }
  }
  return state;
}

async function expectLineAsRequired(pipeline: MemoryPipeline, context: string): Promise<void> {
  const profile = (await pipeline.profiles.get(ID))!;
  const period = billingPeriodOf(pipeline.clock.now(), profile.plan).id;
  const counters = (await pipeline.usage.load(ID, [period])).counters.get(period)?.counters ?? emptyCounters(ID, period);
  const carrier = await carrierState(pipeline);
  const { bars } = await pipeline.line.get(ID);
  for (const bucket of ['roaming', 'overage'] as const) {
    const required = mustBar(profile, counters, bucket);
    expect(carrier[bucket], `${context}: carrier ${bucket} bar at ${pipeline.clock.now().toISOString()}`).toBe(required);
    expect(bars[bucket] !== undefined, `${context}: recorded ${bucket} bar`).toBe(required);
  }
}

describe('the bar lifecycle under late and out-of-order records', () => {
  it('keeps the line as the caps require at every step, fires nothing for ended periods, lifts every bar once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40, size: 'large' }), fc.integer({ min: 0, max: 29 * 24 }), async (steps, startHour) => {
        const pipeline = new MemoryPipeline([profileOf()]);
        let now = START + startHour * HOUR;
        let recordNo = 0;
        let previous: UsageEvent | undefined;
        for (const [i, step] of steps.entries()) {
          now += step.hoursLater * HOUR;
          await pipeline.advanceTo(now, () => expectLineAsRequired(pipeline, `lift before step ${i}`));
          await expectLineAsRequired(pipeline, `before step ${i}`);
          const profile = (await pipeline.profiles.get(ID))!;
          if (step.type === 'usage') {
            const event: UsageEvent =
              step.duplicate && previous !== undefined
                ? previous
                : {
                    type: 'usage',
                    recordId: `r${++recordNo}`,
                    subscriberId: ID,
                    eventTime: new Date(now - step.lateDays * DAY).toISOString(),
                    service: 'data',
                    volumeBytes: 1_000_000,
                    servingPlmn: step.roaming ? '22801' : '20801',
                    chargeMicros: step.charge,
                    currency: 'EUR',
                  };
            previous = event;
            const period = billingPeriodOf(event.eventTime, profile.plan);
            const ended = Date.parse(period.end) <= now;
            const bucket: SpendBucketName = event.servingPlmn === '22801' ? 'roaming' : 'overage';
            const before = (await pipeline.usage.load(ID, [period.id])).counters.get(period.id)?.counters ?? emptyCounters(ID, period.id);
            const sent = [pipeline.notifications.of(ID).length, pipeline.carrier.of(ID).length, pipeline.executions.length];

            await pipeline.ingest([event]);

            if (ended) {
              // Not even a workflow: ingest fires nothing for it (the workflow would also say nothing).
              expect([pipeline.notifications.of(ID).length, pipeline.carrier.of(ID).length, pipeline.executions.length], `step ${i}: a record of an ended period`).toEqual(sent);
            }
            const after = (await pipeline.usage.load(ID, [period.id])).counters.get(period.id)?.counters ?? before;
            const cap = profile[CAPS[bucket].capField];
            if (cap.enabled && !after.consent[bucket]) {
              expect(after[bucket].billableMicros, `step ${i}: billable within the limit`).toBeLessThanOrEqual(Math.max(cap.limitMicros, before[bucket].billableMicros));
            }
          } else {
            const field = CAPS[step.bucket].capField;
            if (step.type === 'limit') await pipeline.selfCare.putCaps(ID, { [field]: { limitMicros: step.limit } });
            if (step.type === 'optOut') await pipeline.selfCare.putCaps(ID, { [field]: { enabled: false }, consent: { who: 'account holder', at: new Date(now).toISOString(), channel: 'web' } });
            if (step.type === 'optIn') await pipeline.selfCare.putCaps(ID, { [field]: { enabled: true } });
            if (step.type === 'consent') await pipeline.selfCare.consent(ID, step.bucket);
          }
          await expectLineAsRequired(pipeline, `after step ${i} (${step.type})`);
        }

        // Every bar placed is lifted exactly once, or its period has not ended and it is still in force.
        const commands = pipeline.audit.entries.filter((e): e is CarrierCommandAudit => e.type === 'CARRIER_COMMAND' && e.status === 'DONE');
        const { bars } = await pipeline.line.get(ID);
        const inForce = new Set(Object.values(bars).map((b) => b.id));
        for (const placed of commands.filter((c) => c.command.startsWith('BAR_'))) {
          const lifts = commands.filter((c) => c.barId === placed.barId && c.command.startsWith('UNBAR_'));
          if (inForce.has(placed.barId!)) expect(lifts, `bar ${placed.barId} in force`).toHaveLength(0);
          else expect(lifts, `bar ${placed.barId} lifted once`).toHaveLength(1);
        }
        for (const bar of Object.values(bars)) expect(Date.parse(bar.until), `bar ${bar.id} not past its period`).toBeGreaterThan(now);
        expect(pipeline.executions.filter((e) => e.status !== 'SUCCEEDED')).toEqual([]);
      }),
      { numRuns: Number(process.env.SPENDCAP_PROPERTY_RUNS ?? 100) },
    );
  }, 600_000);
});
