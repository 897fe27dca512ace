/**
 * The vocabulary of spend caps, shared by every module of the domain. Pure types: no I/O, no SDK.
 *
 * Money is always an integer number of micro-units of the currency (EUR 1 = 1_000_000): `Micros`.
 * Volumes are bytes (decimal: 1 MB = 1_000_000 bytes, 1 kB = 1_000 bytes, as carriers rate them).
 */

/** Integer micro-units of currency. Never a float. */
export type Micros = number;

export type Service = 'data' | 'voice' | 'sms';
export type Locale = 'fr' | 'en';

/** A rated usage report from the carrier (already de-cumulated). Defaults applied (`type`, `currency`). */
export interface UsageEvent {
  readonly type: 'usage';
  readonly recordId: string;
  readonly subscriberId: string;
  /** RFC 3339 with offset: end of the usage interval; decides the billing period. */
  readonly eventTime: string;
  readonly startTime?: string;
  readonly service: Service;
  readonly volumeBytes?: number;
  readonly durationSeconds?: number;
  readonly count?: number;
  /** MCC + MNC, 5 or 6 digits. */
  readonly servingPlmn: string;
  readonly chargeMicros?: Micros;
  readonly currency: string;
}

/** The subscriber registered on a network (drives the roaming welcome message). */
export interface AttachEvent {
  readonly type: 'attach';
  readonly eventId: string;
  readonly subscriberId: string;
  readonly eventTime: string;
  readonly servingPlmn: string;
}

export type CarrierEvent = UsageEvent | AttachEvent;

/** The de-duplication key of an event: `recordId` for usage, `eventId` for attach. */
export function eventKey(event: CarrierEvent): string {
  return event.type === 'usage' ? event.recordId : event.eventId;
}

export interface SpendCap {
  /** false = the subscriber explicitly opted out of the cut-off (and of the warnings about it). */
  readonly enabled: boolean;
  readonly limitMicros: Micros;
}

/** A subscriber profile with every default of subscriber.v1 applied (except homePlmn: see `homePlmnOf`). */
export interface SubscriberProfile {
  readonly subscriberId: string;
  /** E.164. */
  readonly msisdn: string;
  readonly email?: string;
  readonly accountId?: string;
  readonly locale: Locale;
  /** Absent: the deployment's home PLMN. */
  readonly homePlmn?: string;
  readonly plan: {
    readonly name?: string;
    readonly dataAllowanceBytes: number;
    readonly monthlyFeeMicros: Micros;
    readonly billingCycleDay: number;
    readonly timeZone: string;
  };
  readonly roamingCap: SpendCap;
  readonly overageCap: SpendCap;
  readonly notifications: { readonly sms: boolean; readonly email: boolean };
}

/** Where the subscriber is, seen from its home network. */
export type NetworkZone =
  | { readonly kind: 'home' }
  /** EU/EEA: roam-like-at-home, data consumes the allowance. */
  | { readonly kind: 'rlah'; readonly mcc: string }
  /** Rest of the world, in a configurable price zone. */
  | { readonly kind: 'world'; readonly mcc: string; readonly zone: string }
  /** MCC 901: networks on ships and aircraft. */
  | { readonly kind: 'nonTerrestrial'; readonly mcc: string };

/** Prices of one zone, integer micros. Data is charged per started kilobyte at `dataPerMbMicros / 1000`. */
export interface ZonePrices {
  readonly dataPerMbMicros: Micros;
  readonly voicePerMinuteMicros: Micros;
  readonly smsMicros: Micros;
}

/**
 * The deployment's tariff: what an event costs when the carrier did not rate it (`chargeMicros` absent).
 * `home` prices apply to out-of-bundle usage at home and in the roam-like-at-home zone.
 */
export interface Tariff {
  readonly currency: string;
  readonly home: ZonePrices;
  readonly worldZones: ReadonlyArray<{ readonly name: string; readonly mccs: ReadonlyArray<string>; readonly prices: ZonePrices }>;
  /** Any non-EU/EEA MCC not listed in a world zone. */
  readonly restOfWorld: ZonePrices;
  /** MCC 901. */
  readonly nonTerrestrial: ZonePrices;
}

/** Deployment-wide settings that the pure domain needs (parsed from config at the edges). */
export interface PolicySettings {
  /** MCC+MNC of the MVNO's host network, used when a profile has no homePlmn. */
  readonly homePlmn: string;
  readonly tariff: Tariff;
  /** Bill-shock ops alert when accrued charges exceed max(multiplier x monthly fee, minimum). */
  readonly billShock: { readonly monthlyFeeMultiplier: number; readonly minimumMicros: Micros };
  /** How a subscriber continues past a cap: SMS keyword and self-care URL, quoted in the cap messages. */
  readonly continueKeyword: { readonly fr: string; readonly en: string };
  readonly selfCareUrl: string;
  /** The highest spend limit the API accepts (the parsed settings always have it; default EUR 1,000). */
  readonly maxCapLimitMicros?: Micros;
}

export const SPEND_BUCKETS = ['roaming', 'overage'] as const;
export type SpendBucketName = (typeof SPEND_BUCKETS)[number];

export interface SpendBucket {
  /** Charges accrued by usage that reached the pipeline. */
  readonly chargeMicros: Micros;
  /** What may be billed: never above the limit without consent or opt-out. */
  readonly billableMicros: Micros;
  /** chargeMicros - billableMicros. */
  readonly writtenOffMicros: Micros;
}

/** Kinds of notification (replay-report.v1 enum), in one list that schemas and tests enumerate. */
export const NOTIFICATION_KINDS = [
  'DATA_ALLOWANCE_80',
  'DATA_ALLOWANCE_100',
  'OVERAGE_SPEND_80',
  'OVERAGE_CAP_REACHED',
  'ROAMING_WELCOME',
  'ROAMING_SPEND_80',
  'ROAMING_CAP_REACHED',
  'CAP_RESET',
  'ROAMING_RESUMED',
  'BILL_SHOCK_ALERT',
] as const;

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const CHANNELS = ['sms', 'email', 'ops'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CARRIER_COMMANDS = ['BAR_DATA_ROAMING', 'UNBAR_DATA_ROAMING', 'BAR_DATA_OVERAGE', 'UNBAR_DATA_OVERAGE'] as const;
export type CarrierCommand = (typeof CARRIER_COMMANDS)[number];

/** Thresholds on the period counters: each fires at most once per subscriber, period (and limit). */
export type ThresholdKind =
  | 'DATA_ALLOWANCE_80'
  | 'DATA_ALLOWANCE_100'
  | 'ROAMING_SPEND_80'
  | 'ROAMING_CAP_REACHED'
  | 'OVERAGE_SPEND_80'
  | 'OVERAGE_CAP_REACHED'
  | 'BILL_SHOCK_ALERT';

/**
 * What the policy workflow is asked to handle (eight kinds shared with NOTIFICATION_KINDS, written out: a
 * list built by array spread would stay in every bundle that imports this module, used or not). Threshold crossings and welcomes say what happened;
 * `CAP_RESET` lifts one bar at the end of its period; `CAPS_CHANGED` follows a change of the subscriber's
 * caps or consent (self-care, provisioning) and brings the line in line with it.
 */
export const POLICY_KINDS = [
  'DATA_ALLOWANCE_80',
  'DATA_ALLOWANCE_100',
  'OVERAGE_SPEND_80',
  'OVERAGE_CAP_REACHED',
  'ROAMING_WELCOME',
  'ROAMING_SPEND_80',
  'ROAMING_CAP_REACHED',
  'CAP_RESET',
  'CAPS_CHANGED',
  'BILL_SHOCK_ALERT',
] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** Where a stream record sits: which record caused a request (the replay's clock is a lookup on it). */
export interface RecordPosition {
  readonly shardId: string;
  /** Kinesis sequence number (the replay: the line number). */
  readonly sequenceNumber: string;
}

/**
 * The input of the "apply cap policy" workflow: one crossing, welcome, period-end reset or caps change.
 * `crossingId` is unique per (subscriber, period, request) and makes every start idempotent.
 */
export interface PolicyRequest {
  readonly kind: PolicyKind;
  readonly subscriberId: string;
  /** Billing period the request belongs to (YYYY-MM-DD). */
  readonly period: string;
  /** E.g. `ROAMING_CAP_REACHED@50000000`, `ROAMING_WELCOME#<eventKey>`, `CAP_RESET#<barId>`, `CAPS_CHANGED#r7`. */
  readonly crossingId: string;
  /** When it happened (RFC 3339): the crossing event's time, the scheduled time, the change's time. */
  readonly at: string;
  /** Which cap a CAP_RESET concerns (a CAPS_CHANGED without one concerns both). */
  readonly bucket?: SpendBucketName;
  /** The bar a CAP_RESET lifts: no other bar, whatever is in force when it runs. */
  readonly barId?: string;
  /** Serving network when it happened (welcome message, price per MB in the cap message). */
  readonly servingPlmn?: string;
  /** Spend in the bucket when it happened (quoted in the 80% messages). */
  readonly spentMicros?: number;
  /** The stream record that caused it, when a record did. */
  readonly cause?: RecordPosition;
}

/**
 * One bar on the subscriber's line, with its identity: which cap placed it, for which billing period,
 * when, and until when at the latest (the period's end). A lift names the bar it lifts, so nothing can
 * lift a bar it was not meant for, and a second bar in the same period has its own identity and lift.
 */
export interface Bar {
  /** Unique per subscriber: the period and the request that placed it. */
  readonly id: string;
  readonly bucket: SpendBucketName;
  readonly period: string;
  /** ISO UTC. */
  readonly placedAt: string;
  /** ISO UTC: the end of `period`, when the bar is lifted unless something lifts it before. */
  readonly until: string;
  /** The request that placed it (its crossing id). */
  readonly reason: string;
}

/**
 * Counters of one subscriber in one billing period. `fired` holds the crossing ids already fired
 * (e.g. `ROAMING_CAP_REACHED@50000000`: a raised limit can fire again) with the time they fired.
 */
export interface PeriodCounters {
  readonly subscriberId: string;
  /** Start date of the billing period, YYYY-MM-DD in the subscriber's time zone. */
  readonly period: string;
  readonly dataBytes: number;
  readonly roamingDataBytes: number;
  /** Data that consumed the plan allowance (home + roam-like-at-home). */
  readonly allowanceBytes: number;
  readonly voiceSeconds: number;
  readonly smsCount: number;
  readonly roaming: SpendBucket;
  readonly overage: SpendBucket;
  /** The subscriber consented to continue past the cap for the rest of this period. */
  readonly consent: { readonly roaming: boolean; readonly overage: boolean };
  readonly fired: Readonly<Record<string, string>>;
  readonly eventsApplied: number;
  /** Events applied after the period had ended (late records): counted and clamped, firing nothing. */
  readonly lateEvents: number;
  /** What those late events added to each bucket's write-offs: usage the MVNO pays for because it came too late to bar. */
  readonly lateWrittenOff: { readonly roaming: Micros; readonly overage: Micros };
}

/** A threshold crossed by applying events: starts the policy workflow exactly once. */
export interface Crossing {
  /** Unique per subscriber and period: the threshold kind, plus `@limit` for spend thresholds. */
  readonly id: string;
  readonly kind: ThresholdKind;
  readonly subscriberId: string;
  readonly period: string;
  /** eventTime of the event that crossed it. */
  readonly at: string;
}
