/**
 * The cap policy: thresholds on the period counters, as data, and a pure evaluator; and who is told of
 * a notification, on which channels. Bars are not decided here: they follow the counters (caps.ts).
 *
 * Thresholds are level-triggered: a threshold fires when the counters are at or past it and its crossing
 * id is not yet in `fired`. So it fires once per period whatever the batching, and a crossing missed by a
 * crash is found again by the next evaluation (invariant "no lost action").
 */
import { CAPS, capOf, capOfKind, type LineOutcome } from './caps.js';
import { isCapped, totalChargeMicros } from './counters.js';
import type {
  Channel,
  PolicyRequest,
  Crossing,
  Micros,
  NotificationKind,
  PeriodCounters,
  PolicySettings,
  RecordPosition,
  SpendBucketName,
  SubscriberProfile,
  ThresholdKind,
} from './model.js';
import { mccOf } from './networks.js';
import { nextPeriodStart } from './periods.js';

/** What a threshold measures in the period counters. */
export type ThresholdMeasure = 'allowanceBytes' | 'roamingChargeMicros' | 'overageChargeMicros' | 'totalChargeMicros';

/** What it is compared with. */
export type ThresholdLimit = 'dataAllowanceBytes' | 'roamingCapLimit' | 'overageCapLimit' | 'billShockThreshold';

/** When the threshold applies at all. */
export type ThresholdCondition =
  | 'allowanceConfigured'
  | 'roamingCapEnabled'
  | 'overageCapEnabled'
  | 'noRoamingConsent'
  | 'noOverageConsent';

export interface ThresholdDefinition {
  readonly kind: ThresholdKind;
  readonly measure: ThresholdMeasure;
  readonly limit: ThresholdLimit;
  /** Integer percent of the limit. */
  readonly percent: number;
  /** `reaches`: measure >= percent of limit; `exceeds`: strictly above. */
  readonly comparison: 'reaches' | 'exceeds';
  readonly conditions: readonly ThresholdCondition[];
  /** Spend thresholds carry the limit in their crossing id, so a raised limit can fire again. */
  readonly idWithLimit: boolean;
  /** The spend bucket a spend threshold concerns. */
  readonly bucket?: SpendBucketName;
}

/**
 * The default policy (Regulation (EU) 2022/612 Art. 14 for roaming, the same rule for home out-of-bundle
 * spend). Order matters: when one step jumps past several thresholds they fire in this order (80% first).
 */
export const DEFAULT_POLICY: readonly ThresholdDefinition[] = Object.freeze([
  {
    kind: 'DATA_ALLOWANCE_80',
    measure: 'allowanceBytes',
    limit: 'dataAllowanceBytes',
    percent: 80,
    comparison: 'reaches',
    conditions: ['allowanceConfigured'],
    idWithLimit: false,
  },
  {
    kind: 'DATA_ALLOWANCE_100',
    measure: 'allowanceBytes',
    limit: 'dataAllowanceBytes',
    percent: 100,
    comparison: 'reaches',
    conditions: ['allowanceConfigured'],
    idWithLimit: false,
  },
  {
    kind: 'ROAMING_SPEND_80',
    measure: 'roamingChargeMicros',
    limit: 'roamingCapLimit',
    percent: 80,
    comparison: 'reaches',
    conditions: ['roamingCapEnabled'],
    idWithLimit: true,
    bucket: 'roaming',
  },
  {
    kind: 'ROAMING_CAP_REACHED',
    measure: 'roamingChargeMicros',
    limit: 'roamingCapLimit',
    percent: 100,
    comparison: 'reaches',
    conditions: ['roamingCapEnabled', 'noRoamingConsent'],
    idWithLimit: true,
    bucket: 'roaming',
  },
  {
    kind: 'OVERAGE_SPEND_80',
    measure: 'overageChargeMicros',
    limit: 'overageCapLimit',
    percent: 80,
    comparison: 'reaches',
    conditions: ['overageCapEnabled'],
    idWithLimit: true,
    bucket: 'overage',
  },
  {
    kind: 'OVERAGE_CAP_REACHED',
    measure: 'overageChargeMicros',
    limit: 'overageCapLimit',
    percent: 100,
    comparison: 'reaches',
    conditions: ['overageCapEnabled', 'noOverageConsent'],
    idWithLimit: true,
    bucket: 'overage',
  },
  {
    kind: 'BILL_SHOCK_ALERT',
    measure: 'totalChargeMicros',
    limit: 'billShockThreshold',
    percent: 100,
    comparison: 'exceeds',
    conditions: [],
    idWithLimit: false,
  },
] as const satisfies readonly ThresholdDefinition[]);

/** The kinds that concern a spend bucket (requests for them carry `bucket` and `spentMicros`). */
export function bucketOfKind(kind: string): SpendBucketName | undefined {
  return capOfKind(kind)?.bucket;
}

/** Ops alert threshold: max(multiplier x monthly fee, minimum); a plan with no fee falls back to the minimum. */
export function billShockThresholdMicros(profile: SubscriberProfile, settings: PolicySettings): Micros {
  const byFee = Math.round(settings.billShock.monthlyFeeMultiplier * profile.plan.monthlyFeeMicros);
  return Math.max(byFee, settings.billShock.minimumMicros);
}

function measureOf(measure: ThresholdMeasure, counters: PeriodCounters): number {
  switch (measure) {
    case 'allowanceBytes':
      return counters.allowanceBytes;
    case 'roamingChargeMicros':
      return counters.roaming.chargeMicros;
    case 'overageChargeMicros':
      return counters.overage.chargeMicros;
    case 'totalChargeMicros':
      return totalChargeMicros(counters);
  }
}

function limitOf(limit: ThresholdLimit, profile: SubscriberProfile, settings: PolicySettings): number {
  switch (limit) {
    case 'dataAllowanceBytes':
      return profile.plan.dataAllowanceBytes;
    case 'roamingCapLimit':
      return profile.roamingCap.limitMicros;
    case 'overageCapLimit':
      return profile.overageCap.limitMicros;
    case 'billShockThreshold':
      return billShockThresholdMicros(profile, settings);
  }
}

function conditionHolds(condition: ThresholdCondition, counters: PeriodCounters, profile: SubscriberProfile): boolean {
  switch (condition) {
    case 'allowanceConfigured':
      return profile.plan.dataAllowanceBytes > 0;
    case 'roamingCapEnabled':
      return capOf(profile, 'roaming').enabled;
    case 'overageCapEnabled':
      return capOf(profile, 'overage').enabled;
    case 'noRoamingConsent':
      return isCapped(counters, profile, 'roaming');
    case 'noOverageConsent':
      return isCapped(counters, profile, 'overage');
  }
}

/** Past this, a*100 may lose integer precision in a double: compare as bigints instead. */
const SAFE_OPERAND = Math.floor(Number.MAX_SAFE_INTEGER / 100);

/**
 * Whether `measure` is at (or above, for `exceeds`) `percent`% of `limit`, in integer arithmetic.
 * Nothing used never crosses anything: a limit of 0 is reached by the first charged usage (the bar then
 * comes at the first roaming charge), not by an empty period.
 */
export function isPast(measure: number, limit: number, percent: number, comparison: 'reaches' | 'exceeds'): boolean {
  if (measure <= 0) return false;
  if (measure > SAFE_OPERAND || limit > SAFE_OPERAND) {
    const m = BigInt(measure) * 100n;
    const l = BigInt(limit) * BigInt(percent);
    return comparison === 'reaches' ? m >= l : m > l;
  }
  const m = measure * 100;
  const l = limit * percent;
  return comparison === 'reaches' ? m >= l : m > l;
}

export function crossingIdOf(definition: ThresholdDefinition, limit: number): string {
  return definition.idWithLimit ? `${definition.kind}@${limit}` : definition.kind;
}

/**
 * The thresholds that `after` is past and that have not fired yet in the period (neither in `before` nor
 * in `after`), in policy order. Marks nothing: the caller records them with `withFired` once it has
 * decided to act on them. `before` is the state the step started from: its marks count as fired too.
 */
export function thresholdCrossings(
  before: PeriodCounters,
  after: PeriodCounters,
  profile: SubscriberProfile,
  settings: PolicySettings,
  at: string,
  policy: readonly ThresholdDefinition[] = DEFAULT_POLICY,
): Crossing[] {
  let crossings: Crossing[] | undefined;
  for (const definition of policy) {
    let applies = true;
    for (const condition of definition.conditions) {
      if (!conditionHolds(condition, after, profile)) {
        applies = false;
        break;
      }
    }
    if (!applies) continue;
    const limit = limitOf(definition.limit, profile, settings);
    if (!isPast(measureOf(definition.measure, after), limit, definition.percent, definition.comparison)) continue;
    const id = crossingIdOf(definition, limit);
    if (id in after.fired || id in before.fired) continue;
    (crossings ??= []).push({ id, kind: definition.kind, subscriberId: after.subscriberId, period: after.period, at });
  }
  return crossings ?? [];
}

/**
 * Whether a threshold of `kind` fired in the period, whatever its limit then: a crossing id is the kind,
 * or the kind and `@limit` for a spend threshold (`crossingIdOf`).
 */
export function hasFired(counters: PeriodCounters, kind: ThresholdKind): boolean {
  return Object.keys(counters.fired).some((id) => id === kind || id.startsWith(`${kind}@`));
}

/**
 * The request a crossing starts, with the spend it quotes: the bucket's charge for a cap threshold, the
 * period's total for the bill-shock alert. `counters` are the counters past the threshold.
 */
export function requestOfCrossing(
  crossing: Crossing,
  counters: PeriodCounters,
  context: { readonly servingPlmn?: string; readonly cause?: RecordPosition } = {},
): PolicyRequest {
  const { id, ...crossed } = crossing;
  const request: { -readonly [K in keyof PolicyRequest]: PolicyRequest[K] } = { ...crossed, crossingId: id, ...context };
  const bucket = bucketOfKind(crossing.kind);
  if (bucket !== undefined) {
    request.bucket = bucket;
    request.spentMicros = counters[bucket].chargeMicros;
  } else if (crossing.kind === 'BILL_SHOCK_ALERT') {
    request.spentMicros = totalChargeMicros(counters);
  }
  return request;
}

/** Records crossings as fired (with their time). Returns the same object when there is nothing to record. */
export function withFired(counters: PeriodCounters, crossings: readonly Crossing[]): PeriodCounters {
  if (crossings.length === 0) return counters;
  const fired: Record<string, string> = { ...counters.fired };
  for (const crossing of crossings) fired[crossing.id] ??= crossing.at;
  return { ...counters, fired };
}

/**
 * A welcome is due each time the serving MCC changes to a non-home MCC. With no known previous MCC (the
 * first event ever) a foreign network counts as a change.
 */
export function isRoamingWelcome(previousMcc: string | undefined, servingPlmn: string, homePlmn: string): boolean {
  const mcc = mccOf(servingPlmn);
  return mcc !== mccOf(homePlmn) && mcc !== previousMcc;
}

export interface PlannedNotification {
  readonly kind: NotificationKind;
  readonly channel: Channel;
  readonly to: string;
}

/**
 * Who is told of a notification, and how. Subscriber notifications follow the subscriber's channels (SMS to
 * the MSISDN, e-mail when chosen and an address is known); the bill-shock alert goes to operations only,
 * whatever the subscriber chose. Carrier commands do not depend on channels: a subscriber with every
 * channel off is barred all the same.
 */
export function recipientsOf(kind: NotificationKind, profile: SubscriberProfile, opsAddress: string): PlannedNotification[] {
  if (kind === 'BILL_SHOCK_ALERT') return [{ kind, channel: 'ops', to: opsAddress }];
  const notifications: PlannedNotification[] = [];
  if (profile.notifications.sms) notifications.push({ kind, channel: 'sms', to: profile.msisdn });
  if (profile.notifications.email && profile.email !== undefined && profile.email !== '') {
    notifications.push({ kind, channel: 'email', to: profile.email });
  }
  return notifications;
}

/** One message a request calls for: its kind, and the cap it is about (for the texts). */
export interface Notice {
  readonly kind: NotificationKind;
  readonly bucket?: SpendBucketName;
}

/**
 * The messages a request calls for, once its line is reconciled (`line`), at `nowMs`:
 * - a request about a period that has ended by now sends nothing (the subscriber cannot act on it),
 *   except the reset of a bar of that period;
 * - a warning or a cap message of a cap the subscriber has opted out of sends nothing;
 * - the cap message goes with a bar of its period in force, placed now or before: none after a consent,
 *   or a limit raised meanwhile;
 * - a period-end reset says "back on" only when it lifted its bar; a caps change announces each bar it
 *   placed (the cap message) and each it lifted (the resume message).
 */
export function noticesOf(request: PolicyRequest, line: LineOutcome, profile: SubscriberProfile, nowMs: number): { notices: Notice[]; skipped?: string } {
  const kind = request.kind;
  if (kind === 'CAP_RESET') {
    const lifted = line.buckets.filter((o) => o.change === 'LIFTED');
    if (lifted.length === 0) return { notices: [], skipped: 'its bar is no longer in force' };
    return { notices: lifted.map((o) => ({ kind: 'CAP_RESET', bucket: o.bucket })) };
  }
  if (kind === 'CAPS_CHANGED') {
    const notices: Notice[] = [];
    for (const o of line.buckets) {
      if (o.change === 'PLACED') notices.push({ kind: CAPS[o.bucket].capKind, bucket: o.bucket });
      if (o.change === 'LIFTED') notices.push({ kind: 'ROAMING_RESUMED', bucket: o.bucket });
    }
    return notices.length > 0 ? { notices } : { notices, skipped: 'the line needed no change' };
  }
  if (Date.parse(nextPeriodStart(request.period, profile.plan)) <= nowMs) {
    return { notices: [], skipped: `period ${request.period} has ended` };
  }
  const cap = capOfKind(kind);
  if (cap === undefined) return { notices: [{ kind }] };
  if (!capOf(profile, cap.bucket).enabled) return { notices: [], skipped: `${cap.bucket} cap disabled by the subscriber` };
  if (cap.capKind === kind) {
    const outcome = line.buckets.find((o) => o.bucket === cap.bucket);
    const inForce = (outcome?.change === 'PLACED' || outcome?.change === 'KEPT') && outcome.bar?.period === request.period;
    if (!inForce) return { notices: [], skipped: `no ${cap.bucket} bar of period ${request.period} in force (consent, or the limit changed)` };
  }
  return { notices: [{ kind, bucket: cap.bucket }] };
}
