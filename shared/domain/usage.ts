/**
 * The pure core of ingest: applies one subscriber's events (in order) to its period counters and says
 * which policy requests they cause. The ingest use case calls it once per subscriber per batch, so it is
 * on the hot path: one counters object per event, no JSON, periods looked up by epoch comparison.
 *
 * Time rules (the contract's "Late and out-of-order records"):
 * - An event belongs to the period of its eventTime, whenever it arrives.
 * - A period has ended for an event once the time the pipeline learned of it (its arrival on the
 *   stream; in the replay, the clock at its line) is at or past the period's end. Such an event still
 *   counts and is clamped like any other, but causes no request of any kind.
 * - The serving network is that of the event with the latest eventTime seen (ties: the later one): an
 *   older event changes nothing and causes no welcome.
 * - Counters only grow: every event adds non-negative amounts. (The replay's wave planner relies on it.)
 */
import { applyLateRated, applyRated, emptyCounters } from './counters.js';
import type { CarrierEvent, PeriodCounters, PolicyRequest, PolicySettings, RecordPosition, SubscriberProfile } from './model.js';
import { eventKey } from './model.js';
import { homePlmnOf, mccOf } from './networks.js';
import { billingPeriodOf, nextPeriodStart } from './periods.js';
import { isRoamingWelcome, requestOfCrossing, thresholdCrossings, withFired } from './policy.js';
import { rateUsage } from './rating.js';

export interface SubscriberUsageState {
  /** Counters by period id (YYYY-MM-DD) for the periods the events may touch; absent = empty. */
  readonly counters: ReadonlyMap<string, PeriodCounters>;
  /** MCC of the event with the latest eventTime seen, if known. */
  readonly servingMcc?: string;
  /** That latest eventTime (epoch ms), if known. */
  readonly latestEventMs?: number;
}

/** One event with when the pipeline learned of it and where it came from. */
export interface TimedEvent {
  readonly event: CarrierEvent;
  /**
   * When the pipeline learned of the event (epoch ms): its arrival on the stream, or the replay's clock.
   * Absent: its eventTime (nothing has ended for it).
   */
  readonly knownAtMs?: number;
  /** The stream record it came in, carried by the requests it causes. */
  readonly cause?: RecordPosition;
  /**
   * The period the event was first counted in, when that is known (a record re-applied after a crash keeps
   * the period its claim recorded, even if the plan's cycle day or time zone changed since).
   */
  readonly period?: string;
}

export interface AppliedEvents {
  /** The periods the events touched (fired marks set), by period id. */
  readonly counters: ReadonlyMap<string, PeriodCounters>;
  readonly servingMcc?: string;
  readonly latestEventMs?: number;
  /** Threshold crossings and welcomes, in the order they happened. */
  readonly requests: PolicyRequest[];
  /** Events of periods that had ended when they arrived (counted and clamped, firing nothing). */
  readonly lateEvents: number;
}

/** Billing periods met in one call, with their bounds in epoch ms: events of a batch share very few. */
interface KnownPeriod {
  readonly id: string;
  readonly startMs: number;
  readonly endMs: number;
}

function periodFinder(plan: SubscriberProfile['plan']): (eventMs: number, eventTime: string) => KnownPeriod {
  const known: KnownPeriod[] = [];
  return (ms, eventTime) => {
    for (const k of known) {
      if (ms >= k.startMs && ms < k.endMs) return k;
    }
    const period = billingPeriodOf(eventTime, plan);
    const found = { id: period.id, startMs: Date.parse(period.start), endMs: Date.parse(period.end) };
    // Only cache a period whose bounds parse and actually contain the event, else always ask periods.ts.
    if (ms >= found.startMs && ms < found.endMs) known.push(found);
    return found;
  };
}

/** A period known by its id only: it ends where the current plan's next period starts after it. */
function recordedPeriod(id: string, plan: SubscriberProfile['plan']): KnownPeriod {
  return { id, startMs: Date.parse(`${id}T00:00:00Z`), endMs: Date.parse(nextPeriodStart(id, plan)) };
}

type MutableRequest = { -readonly [K in keyof PolicyRequest]: PolicyRequest[K] };

export function applyEvents(
  state: SubscriberUsageState,
  events: readonly TimedEvent[],
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
  let latestEventMs = state.latestEventMs;
  let lateEvents = 0;

  for (const { event, knownAtMs, cause, period: recorded } of events) {
    const eventMs = Date.parse(event.eventTime);
    let found = periodOf(eventMs, event.eventTime);
    if (recorded !== undefined && recorded !== found.id) found = recordedPeriod(recorded, profile.plan);
    const period = found.id;
    const ended = knownAtMs !== undefined && knownAtMs >= found.endMs;
    const servingPlmn = event.servingPlmn;

    if (latestEventMs === undefined || eventMs >= latestEventMs) {
      if (!ended && isRoamingWelcome(servingMcc, servingPlmn, homePlmn)) {
        const welcome: MutableRequest = {
          kind: 'ROAMING_WELCOME',
          subscriberId,
          period,
          crossingId: `ROAMING_WELCOME#${eventKey(event)}`,
          at: event.eventTime,
          servingPlmn,
        };
        if (cause !== undefined) welcome.cause = cause;
        requests.push(welcome);
      }
      servingMcc = mccOf(servingPlmn);
      latestEventMs = eventMs;
    }
    if (event.type === 'attach') continue;

    const before = touched.get(period) ?? state.counters.get(period) ?? emptyCounters(subscriberId, period);
    ratingContext.allowanceRemainingBytes = Math.max(0, allowance - before.allowanceBytes);
    const rated = rateUsage(event, ratingContext);
    if (ended) {
      lateEvents += 1;
      touched.set(period, applyLateRated(before, rated, profile));
      continue;
    }
    let after = applyRated(before, rated, profile);
    const crossings = thresholdCrossings(before, after, profile, settings, event.eventTime);
    if (crossings.length > 0) {
      after = withFired(after, crossings);
      for (const crossing of crossings) requests.push(requestOfCrossing(crossing, after, { servingPlmn, cause }));
    }
    touched.set(period, after);
  }

  const result: { -readonly [K in keyof AppliedEvents]: AppliedEvents[K] } = { counters: touched, requests, lateEvents };
  if (servingMcc !== undefined) result.servingMcc = servingMcc;
  if (latestEventMs !== undefined) result.latestEventMs = latestEventMs;
  return result;
}
