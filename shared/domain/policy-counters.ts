/**
 * The caps as policy counters, for a policy function (PCF) that subscribes to their status (3GPP spending
 * limit control) and enforces the bar itself. One counter per cap; its status is the bar: `cap-reached`
 * while the cap's bar is in force, `valid` otherwise. The lifting of a bar at the next period start is
 * known when the bar is placed: it is sent ahead as a pending `valid` status with its activation time, so
 * the PCF lifts it on time even if spendcap cannot reach it then.
 */
import type { SpendBucketName } from './model.js';

export const POLICY_COUNTER_IDS: Readonly<Record<SpendBucketName, string>> = Object.freeze({
  roaming: 'spendcap-roaming-cap',
  overage: 'spendcap-overage-cap',
});

export const COUNTER_STATUS = Object.freeze({
  /** Under the cap, or the cap is off, or the subscriber consented to continue: usage allowed. */
  valid: 'valid',
  /** The cap's bar is in force: the PCF stops the usage this counter guards. */
  capReached: 'cap-reached',
});

export type CounterStatusValue = (typeof COUNTER_STATUS)[keyof typeof COUNTER_STATUS];

export function bucketOfCounter(policyCounterId: string): SpendBucketName | undefined {
  if (policyCounterId === POLICY_COUNTER_IDS.roaming) return 'roaming';
  if (policyCounterId === POLICY_COUNTER_IDS.overage) return 'overage';
  return undefined;
}

export interface PendingStatus {
  readonly status: CounterStatusValue;
  /** RFC 3339: when the PCF applies it. */
  readonly activationTime: string;
}

/** A counter's status as stored after a carrier command. */
export interface StoredCounterStatus {
  readonly status: CounterStatusValue;
  readonly pending: readonly PendingStatus[];
  /** Time of the command that set it: a command older than that changes nothing (commands may be retried late). */
  readonly since: string;
}

/** What the PCF is told about one counter at a given time. */
export interface CounterStatusView {
  readonly policyCounterId: string;
  readonly currentStatus: CounterStatusValue;
  readonly pending: readonly PendingStatus[];
}

/**
 * The status at `nowMs`: a pending status whose activation time has come is the current one (the PCF has
 * applied it by then), so what is reported never contradicts what was announced.
 */
export function statusAt(policyCounterId: string, stored: StoredCounterStatus | undefined, fallback: CounterStatusValue, nowMs: number): CounterStatusView {
  if (stored === undefined) return { policyCounterId, currentStatus: fallback, pending: [] };
  let current = stored.status;
  const pending: PendingStatus[] = [];
  const ordered = [...stored.pending].sort((a, b) => Date.parse(a.activationTime) - Date.parse(b.activationTime));
  for (const p of ordered) {
    if (Date.parse(p.activationTime) <= nowMs) current = p.status;
    else pending.push(p);
  }
  return { policyCounterId, currentStatus: current, pending };
}

/** The stored status after a command at `at`; undefined when the stored one is newer (nothing to change). */
export function changedStatus(
  stored: StoredCounterStatus | undefined,
  change: { readonly status: CounterStatusValue; readonly pending: readonly PendingStatus[]; readonly at: string },
): StoredCounterStatus | undefined {
  if (stored !== undefined && Date.parse(stored.since) > Date.parse(change.at)) return undefined;
  return { status: change.status, pending: change.pending, since: change.at };
}

/** SUPI of a subscriber: spendcap's subscriber id is the IMSI when it is all digits (`imsi-<digits>`), else used as is. */
export function supiOf(subscriberId: string): string {
  return /^[0-9]{5,15}$/.test(subscriberId) ? `imsi-${subscriberId}` : subscriberId;
}

/** The subscriber id a SUPI names: the IMSI digits of `imsi-...`, any other form as is. */
export function subscriberIdOfSupi(supi: string): string {
  const imsi = /^imsi-([0-9]{5,15})$/.exec(supi);
  return imsi?.[1] ?? supi;
}

/** The E.164 number of a GPSI `msisdn-<digits>`, as profiles store it (`+<digits>`); undefined for other forms. */
export function msisdnOfGpsi(gpsi: string): string | undefined {
  const m = /^msisdn-([0-9]{5,15})$/.exec(gpsi);
  return m?.[1] === undefined ? undefined : `+${m[1]}`;
}
