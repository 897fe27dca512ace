/**
 * The pure core of ingest: applies one subscriber's events (in order) to its period counters and says
 * which policy requests they cause. The ingest use case calls it once per subscriber per batch, so it is
 * on the hot path: one counters object per event, no JSON, periods looked up by epoch comparison.
 */
import type { PolicyRequest } from '../ports/policy-workflow.js';
import { applyRated, emptyCounters, totalChargeMicros } from './counters.js';
import type { CarrierEvent, PeriodCounters, PolicySettings, SubscriberProfile } from './model.js';
import { eventKey } from './model.js';
import { homePlmnOf, mccOf } from './networks.js';
import { billingPeriodOf, type BillingPeriod } from './periods.js';
import { bucketOfKind, isRoamingWelcome, thresholdCrossings, withFired } from './policy.js';
import { rateUsage } from './rating.js';

export interface SubscriberUsageState {
  /** Counters by period id (YYYY-MM-DD) for the periods the events may touch; absent = empty. */
  readonly counters: ReadonlyMap<string, PeriodCounters>;
  /** MCC the subscriber was last served by, if known. */
  readonly servingMcc?: string;
}

export interface AppliedEvents {
  /** The periods the events touched (fired marks set), by period id. */
  readonly counters: ReadonlyMap<string, PeriodCounters>;
  readonly servingMcc?: string;
  /** Threshold crossings and welcomes, in the order they happened. */
  readonly requests: PolicyRequest[];
}

/** Billing periods met in one call, with their bounds in epoch ms: events of a batch share very few. */
interface KnownPeriod {
  readonly period: BillingPeriod;
  readonly startMs: number;
  readonly endMs: number;
}

function periodFinder(plan: SubscriberProfile['plan']): (eventTime: string) => string {
  const known: KnownPeriod[] = [];
  return (eventTime) => {
    const ms = Date.parse(eventTime);
    for (const k of known) {
      if (ms >= k.startMs && ms < k.endMs) return k.period.id;
    }
    const period = billingPeriodOf(eventTime, plan);
    const startMs = Date.parse(period.start);
    const endMs = Date.parse(period.end);
    // Only cache a period whose bounds parse and actually contain the event, else always ask periods.ts.
    if (ms >= startMs && ms < endMs) known.push({ period, startMs, endMs });
    return period.id;
  };
}

export function applyEvents(
  state: SubscriberUsageState,
  events: readonly CarrierEvent[],
  profile: SubscriberProfile,
  settings: PolicySettings,
): AppliedEvents {
  const subscriberId = profile.subscriberId;
  const homePlmn = homePlmnOf(profile, settings);
  const ratingContext = { homePlmn, allowanceRemainingBytes: 0, tariff: settings.tariff };
  const allowance = profile.plan.dataAllowanceBytes;
  const periodOf = periodFinder(profile.plan);
  const touched = new Map<string, PeriodCounters>();
  const requests: PolicyRequest[] = [];
  let servingMcc = state.servingMcc;

  for (const event of events) {
    const period = periodOf(event.eventTime);
    const servingPlmn = event.servingPlmn;

    if (isRoamingWelcome(servingMcc, servingPlmn, homePlmn)) {
      requests.push({
        kind: 'ROAMING_WELCOME',
        subscriberId,
        period,
        crossingId: `ROAMING_WELCOME#${eventKey(event)}`,
        at: event.eventTime,
        servingPlmn,
      });
    }
    servingMcc = mccOf(servingPlmn);
    if (event.type === 'attach') continue;

    const before = touched.get(period) ?? state.counters.get(period) ?? emptyCounters(subscriberId, period);
    ratingContext.allowanceRemainingBytes = Math.max(0, allowance - before.allowanceBytes);
    const rated = rateUsage(event, ratingContext);
    let after = applyRated(before, rated, profile);
    const crossings = thresholdCrossings(before, after, profile, settings, event.eventTime);
    if (crossings.length > 0) {
      after = withFired(after, crossings);
      for (const crossing of crossings) {
        const bucket = bucketOfKind(crossing.kind);
        const request: {
          -readonly [K in keyof PolicyRequest]: PolicyRequest[K];
        } = {
          kind: crossing.kind,
          subscriberId,
          period,
          crossingId: crossing.id,
          at: crossing.at,
          servingPlmn,
        };
        if (bucket !== undefined) {
          request.bucket = bucket;
          request.spentMicros = after[bucket].chargeMicros;
        } else if (crossing.kind === 'BILL_SHOCK_ALERT') {
          request.spentMicros = totalChargeMicros(after);
        }
        requests.push(request);
      }
    }
    touched.set(period, after);
  }

  const result: { counters: ReadonlyMap<string, PeriodCounters>; servingMcc?: string; requests: PolicyRequest[] } = {
    counters: touched,
    requests,
  };
  if (servingMcc !== undefined) result.servingMcc = servingMcc;
  return result;
}
