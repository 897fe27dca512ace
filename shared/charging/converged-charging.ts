/**
 * Online charging of data for PDU sessions (Nchf_ConvergedCharging: create, update, release of a charging
 * data resource): the SMF asks for volume before the usage and is never granted more than the subscriber's
 * cap leaves, so nothing is used past the cap; the usage it reports becomes usage events on the carrier-event
 * stream, counted by ingest like any other feed (one pipeline for counters, warnings, bars and reports).
 *
 * One invocation, whatever the crashes and retransmissions in between:
 *  1. the session item is read; an invocation already answered gets its stored answer (idempotent per
 *     invocationSequenceNumber);
 *  2. the reported usage is rated against the grants it consumed and written to the session as `pending`,
 *     with its record ids and event times, before anything else: a retry re-sends exactly these records;
 *  3. the records go on the stream (a record put twice is a duplicate ingest counts once);
 *  4. the budget of each period concerned is rewritten in one conditional write: the session's old grants
 *     released, its usage added as uncounted (with its stream position), new grants reserved under the
 *     cap, and the invocation marked applied (so a retry reuses the grants instead of reserving again);
 *  5. the session item takes the new grants and the answer.
 * Concurrent sessions of one subscriber serialize on the budget's version; a conflict re-reads and redoes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { emptyCounters, isCapped } from '../domain/counters.js';
import type { PeriodCounters, PolicySettings, SubscriberProfile, UsageEvent } from '../domain/model.js';
import { homePlmnOf } from '../domain/networks.js';
import { billingPeriodById, billingPeriodOf } from '../domain/periods.js';
import { subscriberIdOfSupi } from '../domain/policy-counters.js';
import {
  allowanceLeftBytes,
  commitEventTime,
  commitRecordId,
  dataRateOf,
  grantData,
  knownSpendMicros,
  liveBudget,
  rateUse,
  validitySeconds,
  wantedBytes,
  type Budget,
  type CountedSpend,
  type QuotaSettings,
  type Reservation,
  type UncountedUsage,
} from '../domain/quota.js';
import { dataChargeMicros } from '../domain/tariff.js';
import type { ChargingSession, ChargingStore, CommittedUsage, SessionGrant, StoredAnswer } from '../ports/charging-store.js';
import type { Clock } from '../ports/clock.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { PublishedUsage, UsagePublisher } from '../ports/usage-publisher.js';
import { isAtOrBelow, shardKeyOf } from '../ingest/positions.js';
import type { StoredCounters, UsageStore } from '../ports/usage-store.js';
import { jsonResponse, SbiError, type SbiResponse } from '../sbi/http.js';
import { plmnText } from '../sbi/common-data.js';
import {
  API_ROOT_PATH,
  type ChargingDataRequest,
  type ChargingDataResponse,
  type FinalUnitIndication,
  type MultipleUnitInformation,
  type PduSessionChargingInformation,
  type UsedUnitContainer,
} from './schemas.js';

export interface ConvergedChargingDeps {
  readonly store: ChargingStore;
  /** Ingest's counters, read through its own port: the cap is checked against what every feed counted. */
  readonly usage: Pick<UsageStore, 'load'>;
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly publisher: UsagePublisher;
  readonly clock: Clock;
  readonly settings: PolicySettings;
  readonly quota: QuotaSettings;
  /**
   * The apiRoot in front of the service (scheme and authority), for the Location of a new resource.
   * @default '' (a relative Location)
   */
  readonly apiRoot?: string;
  /** @default 8 */
  readonly maxAttempts?: number;
  /** @default random UUID-based */
  readonly newRef?: () => string;
}

type Mode = 'create' | 'update' | 'release';

/** Answers kept per session for retransmissions. */
const KEPT_ANSWERS = 4;

export class ConvergedCharging {
  private readonly deps: ConvergedChargingDeps;
  private readonly maxAttempts: number;

  constructor(deps: ConvergedChargingDeps) {
    this.deps = deps;
    this.maxAttempts = deps.maxAttempts ?? 8;
  }

  /** POST /chargingdata: a new charging data resource, and the first grants. */
  async create(request: ChargingDataRequest): Promise<SbiResponse> {
    const supi = request.subscriberIdentifier;
    if (supi === undefined) {
      throw new SbiError(400, 'MANDATORY_IE_MISSING', 'subscriberIdentifier: required to find the subscriber whose cap applies', [
        { param: '/subscriberIdentifier', reason: 'required' },
      ]);
    }
    const subscriberId = subscriberIdOfSupi(supi);
    const profile = await this.deps.profiles.get(subscriberId);
    if (profile === undefined) throw new SbiError(404, 'USER_UNKNOWN', 'no subscriber with this subscriberIdentifier');
    let ref = refOf(subscriberId, request) ?? this.newRef();
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const existing = await this.deps.store.getSession(ref);
      if (existing !== undefined && existing.released) {
        // The same PDU session identifiers again after a release: a new resource.
        ref = this.newRef();
        continue;
      }
      let session = existing;
      if (session === undefined) {
        const fresh: ChargingSession = {
          ref,
          subscriberId,
          servingPlmn: servingPlmnOf(request.pDUSessionChargingInformation) ?? homePlmnOf(profile, this.deps.settings),
          createdAt: this.deps.clock.now().toISOString(),
          lastSeq: -1,
          answers: {},
          grants: {},
          released: false,
          version: 0,
          ...(request.notifyUri !== undefined ? { notifyUri: request.notifyUri } : {}),
        };
        if (!(await this.deps.store.putSession(fresh, 0))) continue;
        session = { ...fresh, version: 1 };
      }
      const answer = await this.invoke(session, profile, request, 'create');
      return withLocation(answer, `${this.deps.apiRoot ?? ''}${API_ROOT_PATH}/chargingdata/${ref}`);
    }
    throw congestion();
  }

  /** POST /chargingdata/{ref}/update: usage reported, new grants. */
  async update(ref: string, request: ChargingDataRequest): Promise<SbiResponse> {
    const { session, profile } = await this.sessionAndProfile(ref);
    return this.invoke(session, profile, request, 'update');
  }

  /** POST /chargingdata/{ref}/release: the last usage, every grant returned. */
  async release(ref: string, request: ChargingDataRequest): Promise<SbiResponse> {
    const { session, profile } = await this.sessionAndProfile(ref);
    return this.invoke(session, profile, request, 'release');
  }

  private newRef(): string {
    return this.deps.newRef?.() ?? randomUUID().replace(/-/g, '');
  }

  private async sessionAndProfile(ref: string): Promise<{ session: ChargingSession; profile: SubscriberProfile }> {
    const session = await this.deps.store.getSession(ref);
    if (session === undefined) throw new SbiError(404, 'CONTEXT_NOT_FOUND', 'no charging data resource with this ChargingDataRef');
    const profile = await this.deps.profiles.get(session.subscriberId);
    if (profile === undefined) throw new SbiError(404, 'USER_UNKNOWN', 'the subscriber of this charging data resource no longer exists');
    return { session, profile };
  }

  private async invoke(first: ChargingSession, profile: SubscriberProfile, request: ChargingDataRequest, mode: Mode): Promise<SbiResponse> {
    const seq = request.invocationSequenceNumber;
    let session = first;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (session.lastSeq >= seq) return replay(session, seq);
      if (session.released) throw new SbiError(404, 'CONTEXT_NOT_FOUND', 'this charging data resource was released');

      // 2. Usage rated and persisted before it goes anywhere.
      const nowMs = this.deps.clock.now().getTime();
      let pending = session.pending;
      if (pending === undefined || pending.seq !== seq) {
        const usage = [...(pending?.usage ?? []), ...this.rateReportedUsage(session, profile, request, seq, nowMs)];
        if (usage.length > 0) {
          const next: ChargingSession = { ...session, pending: { seq, usage } };
          if (!(await this.deps.store.putSession(next, session.version))) {
            session = await this.reload(session.ref);
            continue;
          }
          session = { ...next, version: session.version + 1 };
          pending = next.pending;
        }
      }
      const usage = pending?.usage ?? [];

      // 3. On the stream.
      const positions = usage.length > 0 ? await this.deps.publisher.publish(usage.map((u) => usageEventOf(session.subscriberId, u, this.deps.settings))) : [];

      // 4. Budgets.
      const servingPlmn = servingPlmnOf(request.pDUSessionChargingInformation) ?? session.servingPlmn;
      const grants = await this.applyToBudgets(session, profile, request, mode, usage, positions, servingPlmn, nowMs);

      // 5. Answer, stored with the grants.
      const answer = this.answerOf(request, mode, grants, nowMs);
      const nextGrants: Record<string, SessionGrant> = {};
      if (mode !== 'release') {
        const touched = new Set(ratingGroupsOf(request));
        for (const [rg, grant] of Object.entries(session.grants)) if (!touched.has(Number(rg))) nextGrants[rg] = grant;
        for (const grant of grants) if (grant.bytes > 0) nextGrants[String(grant.ratingGroup)] = grant;
      }
      const answers: Record<string, StoredAnswer> = { [String(seq)]: answer };
      for (const key of Object.keys(session.answers).map(Number).sort((a, b) => b - a).slice(0, KEPT_ANSWERS - 1)) {
        const kept = session.answers[String(key)];
        if (kept !== undefined) answers[String(key)] = kept;
      }
      const { pending: _done, ...rest } = session;
      const answered: ChargingSession = {
        ...rest,
        servingPlmn,
        lastSeq: seq,
        answers,
        grants: nextGrants,
        released: mode === 'release',
        ...(request.notifyUri !== undefined ? { notifyUri: request.notifyUri } : {}),
      };
      if (await this.deps.store.putSession(answered, session.version)) return toResponse(answer);
      session = await this.reload(session.ref);
    }
    throw congestion();
  }

  private async reload(ref: string): Promise<ChargingSession> {
    const session = await this.deps.store.getSession(ref);
    if (session === undefined) throw new SbiError(404, 'CONTEXT_NOT_FOUND', 'no charging data resource with this ChargingDataRef');
    return session;
  }

  /** The used-unit containers of the request as usage records, rated against the grants they consumed. */
  private rateReportedUsage(session: ChargingSession, profile: SubscriberProfile, request: ChargingDataRequest, seq: number, nowMs: number): CommittedUsage[] {
    const out: CommittedUsage[] = [];
    const homePlmn = homePlmnOf(profile, this.deps.settings);
    for (const unit of request.multipleUnitUsage ?? []) {
      const grant = session.grants[String(unit.ratingGroup)];
      let allowanceLeft = grant?.allowanceBytes ?? 0;
      for (const container of unit.usedUnitContainer ?? []) {
        const volume = volumeOf(container);
        if (volume <= 0) continue;
        const recordId = commitRecordId(session.ref, seq, unit.ratingGroup, container.localSequenceNumber);
        if (grant !== undefined) {
          const period = billingPeriodById(grant.period, profile.plan);
          const rated = rateUse(volume, allowanceLeft, grant.pricePerMbMicros);
          allowanceLeft -= rated.allowanceBytes;
          const rate = dataRateOf(grant.servingPlmn, homePlmn, this.deps.settings.tariff);
          const eventTime = commitEventTime(nowMs, Date.parse(period.start), Date.parse(period.end));
          out.push({
            recordId,
            period: grant.period,
            bucket: grant.bucket,
            eventTime,
            ...(grant.grantedAtMs < Date.parse(eventTime) ? { startTime: isoSeconds(grant.grantedAtMs) } : {}),
            volumeBytes: volume,
            servingPlmn: grant.servingPlmn,
            chargeMicros: rated.chargeMicros,
            estimateMicros: rated.chargeMicros,
            allowanceBytes: rate.consumesAllowance ? volume : 0,
          });
        } else {
          // Usage with no grant (the SMF reported a rating group it held no quota for): the pipeline rates it
          // with the tariff; until counted it weighs its full price, the most it can cost.
          const servingPlmn = servingPlmnOf(request.pDUSessionChargingInformation) ?? session.servingPlmn;
          const rate = dataRateOf(servingPlmn, homePlmn, this.deps.settings.tariff);
          const period = billingPeriodOf(new Date(nowMs), profile.plan);
          out.push({
            recordId,
            period: period.id,
            bucket: rate.bucket,
            eventTime: commitEventTime(nowMs, Date.parse(period.start), Date.parse(period.end)),
            volumeBytes: volume,
            servingPlmn,
            estimateMicros: dataChargeMicros(volume, rate.pricePerMbMicros),
            allowanceBytes: rate.consumesAllowance ? volume : 0,
          });
        }
      }
    }
    return out;
  }

  /**
   * Releases the session's grants, adds its usage, reserves new grants: one conditional write per period
   * budget concerned (the periods of the grants being released and the current one). Returns the grants of
   * this invocation (new or, on a retry, the ones the first attempt reserved).
   */
  private async applyToBudgets(
    session: ChargingSession,
    profile: SubscriberProfile,
    request: ChargingDataRequest,
    mode: Mode,
    usage: readonly CommittedUsage[],
    positions: readonly PublishedUsage[],
    servingPlmn: string,
    nowMs: number,
  ): Promise<SessionGrant[]> {
    const seq = request.invocationSequenceNumber;
    const current = billingPeriodOf(new Date(nowMs), profile.plan);
    const released = new Set<number>(mode === 'release' ? Object.keys(session.grants).map(Number) : ratingGroupsOf(request));
    const periods = new Set<string>([current.id]);
    for (const rg of released) {
      const grant = session.grants[String(rg)];
      if (grant !== undefined) periods.add(grant.period);
    }
    for (const u of usage) periods.add(u.period);
    const positionOf = new Map(positions.map((p) => [p.recordId, p]));
    const ordered = [...periods].sort();
    const wanted = mode === 'release' ? [] : (request.multipleUnitUsage ?? []).filter((u) => u.requestedUnit !== undefined || (u.usedUnitContainer ?? []).length === 0);
    let grants: SessionGrant[] = [];

    for (const period of ordered) {
      const isCurrent = period === current.id;
      let done = false;
      for (let attempt = 1; attempt <= this.maxAttempts && !done; attempt++) {
        const [stored, counters] = await Promise.all([
          this.deps.store.getBudget(session.subscriberId, period),
          this.deps.usage.load(session.subscriberId, [period]),
        ]);
        const countersItem = counters.counters.get(period);
        const budget = liveBudget(stored.budget, nowMs, (u) => isCounted(u, countersItem));
        if ((budget.lastSeq[session.ref] ?? -1) >= seq) {
          // A retry: this invocation already changed this budget. Its grants are the reservations it made.
          if (isCurrent) grants = grantsOf(budget, session.ref, seq, period);
          done = true;
          break;
        }
        const reservations: Record<string, Reservation> = { ...budget.reservations };
        for (const rg of released) delete reservations[`${session.ref}/${rg}`];
        const uncounted: Record<string, UncountedUsage> = { ...budget.uncounted };
        for (const u of usage) {
          if (u.period !== period || uncounted[u.recordId] !== undefined) continue;
          const p = positionOf.get(u.recordId);
          uncounted[u.recordId] = {
            bucket: u.bucket,
            chargeMicros: u.estimateMicros,
            allowanceBytes: u.allowanceBytes,
            period,
            // Kept under the key of the watermark that will hold it (per stream and shard).
            ...(p !== undefined ? { shardId: shardKeyOf(p.stream, p.shardId), sequenceNumber: p.sequenceNumber } : {}),
          };
        }
        let next: Budget = { ...budget, reservations, uncounted };
        let made: SessionGrant[] = [];
        if (isCurrent && wanted.length > 0) {
          const counted = countedOf(countersItem?.counters ?? emptyCounters(session.subscriberId, period));
          const outcome = this.reserve(next, counted, countersItem?.counters, profile, session.ref, seq, wanted, servingPlmn, period, Date.parse(current.end), nowMs);
          next = outcome.budget;
          made = outcome.grants;
        }
        const lastSeq = { ...next.lastSeq };
        const denied = { ...next.denied };
        if (mode === 'release') {
          delete lastSeq[session.ref];
          delete denied[session.ref];
        } else {
          lastSeq[session.ref] = seq;
          if (isCurrent) {
            if (wanted.length > 0 && made.some((g) => g.bytes === 0 || g.finalUnit)) denied[session.ref] = session.notifyUri ?? request.notifyUri ?? '';
            else delete denied[session.ref];
          }
        }
        next = { ...next, lastSeq, denied };
        if (await this.deps.store.putBudget(next, stored.version)) {
          if (isCurrent) grants = made;
          done = true;
        }
      }
      if (!done) throw congestion();
    }
    return grants;
  }

  /** New grants, in the order asked, each against the budget left by the previous one. */
  private reserve(
    budget: Budget,
    counted: CountedSpend,
    counters: PeriodCounters | undefined,
    profile: SubscriberProfile,
    ref: string,
    seq: number,
    wanted: readonly { ratingGroup: number; requestedUnit?: { totalVolume?: number; uplinkVolume?: number; downlinkVolume?: number } }[],
    servingPlmn: string,
    period: string,
    periodEndMs: number,
    nowMs: number,
  ): { budget: Budget; grants: SessionGrant[] } {
    const rate = dataRateOf(servingPlmn, homePlmnOf(profile, this.deps.settings), this.deps.settings.tariff);
    const cap = rate.bucket === 'roaming' ? profile.roamingCap : profile.overageCap;
    const capped = isCapped(counters ?? emptyCounters(profile.subscriberId, period), profile, rate.bucket);
    const validity = validitySeconds(nowMs, periodEndMs, this.deps.quota.validityTimeSeconds);
    const reservations: Record<string, Reservation> = { ...budget.reservations };
    const grants: SessionGrant[] = [];
    let current: Budget = budget;
    for (const unit of wanted) {
      const requested = unit.requestedUnit;
      const asked = requested?.totalVolume ?? (requested?.uplinkVolume !== undefined || requested?.downlinkVolume !== undefined ? (requested.uplinkVolume ?? 0) + (requested.downlinkVolume ?? 0) : undefined);
      const grant = grantData({
        wantedBytes: wantedBytes(asked, this.deps.quota),
        rate,
        capped,
        limitMicros: cap.limitMicros,
        spentMicros: knownSpendMicros(counted, current, rate.bucket),
        allowanceLeftBytes: allowanceLeftBytes(profile.plan.dataAllowanceBytes, counted, current),
      });
      const reservation: Reservation = {
        bucket: rate.bucket,
        chargeMicros: grant.chargeMicros,
        allowanceBytes: grant.allowanceBytes,
        bytes: grant.bytes,
        pricePerMbMicros: rate.pricePerMbMicros,
        servingPlmn,
        grantedAtMs: nowMs,
        validitySeconds: grant.bytes > 0 ? validity : Math.min(this.deps.quota.deniedValidityTimeSeconds, validity),
        expiresAtMs: nowMs + (validity + this.deps.quota.graceSeconds) * 1000,
        finalUnit: grant.limitedByCap,
        seq,
      };
      const key = `${ref}/${unit.ratingGroup}`;
      // A refusal reserves nothing; it is kept (at no charge) only so that a retry answers the same.
      reservations[key] = reservation;
      current = { ...current, reservations: { ...reservations } };
      grants.push({ ...reservation, ratingGroup: unit.ratingGroup, period });
    }
    return { budget: current, grants };
  }

  private answerOf(request: ChargingDataRequest, mode: Mode, grants: readonly SessionGrant[], nowMs: number): StoredAnswer {
    if (mode === 'release') return { status: 204 };
    const units: MultipleUnitInformation[] = grants.map((g) => this.unitInformationOf(g));
    const body: ChargingDataResponse = {
      invocationTimeStamp: isoSeconds(nowMs),
      invocationSequenceNumber: request.invocationSequenceNumber,
      ...(units.length > 0 ? { multipleUnitInformation: units } : {}),
    };
    return { status: mode === 'create' ? 201 : 200, body };
  }

  private unitInformationOf(grant: SessionGrant): MultipleUnitInformation {
    const finalUnitIndication = grant.bytes === 0 || grant.finalUnit ? this.finalUnitIndication() : undefined;
    if (grant.bytes === 0) {
      return {
        resultCode: 'QUOTA_LIMIT_REACHED',
        ratingGroup: grant.ratingGroup,
        validityTime: grant.validitySeconds,
        ...(finalUnitIndication !== undefined ? { finalUnitIndication } : {}),
      };
    }
    return {
      resultCode: 'SUCCESS',
      ratingGroup: grant.ratingGroup,
      grantedUnit: { totalVolume: grant.bytes },
      validityTime: grant.validitySeconds,
      quotaHoldingTime: this.deps.quota.quotaHoldingTimeSeconds,
      ...(finalUnitIndication !== undefined ? { finalUnitIndication } : {}),
    };
  }

  private finalUnitIndication(): FinalUnitIndication {
    return this.deps.quota.finalUnitAction === 'REDIRECT'
      ? { finalUnitAction: 'REDIRECT', redirectServer: { redirectAddressType: 'URL', redirectServerAddress: this.deps.quota.redirectUrl } }
      : { finalUnitAction: 'TERMINATE' };
  }
}

/** The grants an invocation made in a budget (a retry answers with them). */
function grantsOf(budget: Budget, ref: string, seq: number, period: string): SessionGrant[] {
  const prefix = `${ref}/`;
  return Object.entries(budget.reservations)
    .filter(([key, r]) => key.startsWith(prefix) && r.seq === seq)
    .map(([key, r]) => ({ ...r, ratingGroup: Number(key.slice(prefix.length)), period }))
    .sort((a, b) => a.ratingGroup - b.ratingGroup);
}

/** The counters hold a record once their watermark for its shard is at or past its position. */
function isCounted(usage: UncountedUsage, counters: StoredCounters | undefined): boolean {
  if (usage.shardId === undefined || usage.sequenceNumber === undefined || counters === undefined) return false;
  return isAtOrBelow(counters.applied, undefined, usage.shardId, usage.sequenceNumber);
}

function countedOf(counters: PeriodCounters): CountedSpend {
  return {
    roamingChargeMicros: counters.roaming.chargeMicros,
    overageChargeMicros: counters.overage.chargeMicros,
    allowanceBytes: counters.allowanceBytes,
  };
}

function ratingGroupsOf(request: ChargingDataRequest): number[] {
  return (request.multipleUnitUsage ?? []).map((u) => u.ratingGroup);
}

function volumeOf(container: UsedUnitContainer): number {
  if (container.totalVolume !== undefined) return container.totalVolume;
  return (container.uplinkVolume ?? 0) + (container.downlinkVolume ?? 0);
}

/**
 * The serving network of the session: the serving core network's PLMN when the SMF gives it (a home-routed
 * roaming session), else the PLMN of the user location's tracking area.
 */
export function servingPlmnOf(info: PduSessionChargingInformation | undefined): string | undefined {
  const serving = info?.pduSessionInformation?.servingCNPlmnId;
  if (serving !== undefined) return plmnText(serving);
  const location = info?.userLocationinfo;
  const tai = location?.nrLocation?.tai ?? location?.eutraLocation?.tai ?? location?.n3gaLocation?.n3gppTai;
  return tai === undefined ? undefined : plmnText(tai.plmnId);
}

/**
 * A ChargingDataRef that a retransmitted create maps to the same resource: derived from the subscriber, the
 * SMF and the PDU session's charging id when the SMF gives one. Hashed, so it carries no personal data.
 */
function refOf(subscriberId: string, request: ChargingDataRequest): string | undefined {
  const chargingId = request.chargingId ?? request.pDUSessionChargingInformation?.chargingId;
  if (chargingId === undefined) return undefined;
  const nf = request.nfConsumerIdentification;
  const consumer = nf.nFName ?? nf.nFFqdn ?? nf.nFIPv4Address ?? nf.nFIPv6Address ?? '';
  const pduSessionId = request.pDUSessionChargingInformation?.pduSessionInformation?.pduSessionID ?? '';
  return createHash('sha256').update(`${subscriberId}\u0000${consumer}\u0000${chargingId}\u0000${pduSessionId}`).digest('hex').slice(0, 32);
}

function usageEventOf(subscriberId: string, usage: CommittedUsage, settings: PolicySettings): UsageEvent {
  return {
    type: 'usage',
    recordId: usage.recordId,
    subscriberId,
    eventTime: usage.eventTime,
    ...(usage.startTime !== undefined ? { startTime: usage.startTime } : {}),
    service: 'data',
    volumeBytes: usage.volumeBytes,
    servingPlmn: usage.servingPlmn,
    ...(usage.chargeMicros !== undefined ? { chargeMicros: usage.chargeMicros } : {}),
    currency: settings.tariff.currency,
  };
}

function replay(session: ChargingSession, seq: number): SbiResponse {
  const answer = session.answers[String(seq)];
  if (answer === undefined) {
    throw new SbiError(400, 'MANDATORY_IE_INCORRECT', `invocationSequenceNumber ${seq} is older than the last one answered (${session.lastSeq})`, [
      { param: '/invocationSequenceNumber', reason: 'already superseded' },
    ]);
  }
  return toResponse(answer);
}

function toResponse(answer: StoredAnswer): SbiResponse {
  return answer.body === undefined ? { status: answer.status } : jsonResponse(answer.status, answer.body);
}

function withLocation(response: SbiResponse, location: string): SbiResponse {
  return { ...response, headers: { ...response.headers, location } };
}

function congestion(): SbiError {
  return new SbiError(503, 'NF_CONGESTION', 'too many concurrent changes to this subscriber; retry');
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
