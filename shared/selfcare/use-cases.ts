/**
 * The self-care and admin use cases: what a subscriber (through the MVNO's portal) or the MVNO's backend
 * may do with a line's profile, caps and consent, and what they may consult. Pure orchestration over ports;
 * the rules themselves (periods, thresholds, capped billing, when a line is barred) are the domain's.
 *
 * Changes take effect at once on the current billing period, as Regulation (EU) 2022/612 Art. 14 expects.
 * Every change of the caps or the consent starts a CAPS_CHANGED request whose workflow reconciles the line
 * with the caps now in force (shared/policy/reconcile-line.ts): a limit lowered to or below the spend bars,
 * a limit raised above it (or an opt-out, or consent to continue) lifts the bar, an opt-in bars again. The
 * request is written in the current period's outbox in the same versioned write as the warnings the change
 * crosses, then started; its name comes from the profile's revision (or the consent), so a retried request
 * acts once and every later change acts again.
 */
import * as z from 'zod';
import { capOf, CAP_LIST, mustBar } from '../domain/caps.js';
import { emptyCounters } from '../domain/counters.js';
import type { PeriodCounters, PolicyRequest, PolicySettings, SpendBucketName, SpendCap, SubscriberProfile } from '../domain/model.js';
import { SPEND_BUCKETS } from '../domain/model.js';
import { billingPeriodById, billingPeriodOf, type BillingPeriod } from '../domain/periods.js';
import { bucketOfKind, thresholdCrossings, withFired } from '../domain/policy.js';
import { subscriberProfileSchema } from '../domain/subscriber-schema.js';
import { isPlainObject } from '../domain/validation.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { BarStore } from '../ports/bar-store.js';
import type { Clock } from '../ports/clock.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import { RevisionConflictError, type ProfileStore } from '../ports/profile-store.js';
import type { StoredCounters, UsageStore } from '../ports/usage-store.js';
import { ConflictError, fieldErrorsOf, InvalidRequestError, SubscriberNotFoundError, type FieldError } from './errors.js';
import type { ProfileFields, SubscriberDirectory } from './ports.js';
import {
  capsRequestSchema,
  consentRequestSchema,
  notificationsRequestSchema,
  periodQuerySchema,
  type CapEffect,
  type CapsResponse,
  type ConsentResponse,
  type NotificationsResponse,
  type UsageResponse,
} from './schemas.js';

export interface SelfCareDeps {
  readonly profiles: Pick<ProfileStore, 'get' | 'getVersioned' | 'put' | 'delete'>;
  /** Caps and channels changes write only those attributes (see DynamoProfileFields). */
  readonly profileFields: ProfileFields;
  readonly directory: SubscriberDirectory;
  /** Ingest's store: the API changes consent and fired marks with the same versioned write ingest uses. */
  readonly usage: Pick<UsageStore, 'load' | 'saveCounters'>;
  /** The line's bars (read only: the workflow changes them). */
  readonly bars: Pick<BarStore, 'get'>;
  readonly audit: Pick<AuditLog, 'list'>;
  readonly workflow: PolicyWorkflowStarter;
  readonly clock: Clock;
  readonly settings: PolicySettings;
  /**
   * Attempts at a counters change before answering 409: ingest writes the same item under the same version
   * condition, so a first conflict is normal; several in a row mean a storm of usage, and the client retries.
   * @default 4
   */
  readonly maxAttempts?: number;
}

const BUCKETS: readonly SpendBucketName[] = SPEND_BUCKETS;

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new InvalidRequestError(fieldErrorsOf(result.error).map(atBody));
  return result.data;
}

/** Whole-body errors (not a JSON object) have an empty path: name them `body`. */
function atBody(field: FieldError): FieldError {
  return field.path === '' ? { path: 'body', message: field.message } : field;
}

function sameCap(a: SpendCap, b: SpendCap): boolean {
  return a.enabled === b.enabled && a.limitMicros === b.limitMicros;
}

function sameProfile(a: SubscriberProfile, b: SubscriberProfile): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Key order does not make two profiles different. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => value[k] !== undefined)
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}

export class SelfCare {
  private readonly deps: SelfCareDeps;
  private readonly maxAttempts: number;

  constructor(deps: SelfCareDeps) {
    this.deps = deps;
    this.maxAttempts = deps.maxAttempts ?? 4;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  private async profileOf(subscriberId: string): Promise<SubscriberProfile> {
    const profile = await this.deps.profiles.get(subscriberId);
    if (profile === undefined) throw new SubscriberNotFoundError();
    return profile;
  }

  private async countersOf(subscriberId: string, period: string): Promise<StoredCounters> {
    const { counters } = await this.deps.usage.load(subscriberId, [period]);
    return counters.get(period) ?? { counters: emptyCounters(subscriberId, period), version: 0, applied: {}, pending: [] };
  }

  /**
   * Applies `change` to the current period's counters and writes them under the version read (keeping
   * ingest's watermarks), with the requests it returns added to the item's outbox in the same write; then
   * starts them. A conflict with ingest re-reads and redoes; a crash after the write leaves the requests in
   * the outbox, where ingest starts them (their names make a second start a no-op).
   */
  private async changeCurrentPeriod(
    subscriberId: string,
    period: string,
    change: (counters: PeriodCounters) => { counters: PeriodCounters; requests: PolicyRequest[] },
  ): Promise<PeriodCounters> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const stored = await this.countersOf(subscriberId, period);
      const next = change(stored.counters);
      // A retried request finds its requests already in the outbox: nothing to write, only to start again.
      const added = next.requests.filter((r) => !stored.pending.some((p) => p.crossingId === r.crossingId));
      if (added.length > 0 || next.counters !== stored.counters) {
        const { saved } = await this.deps.usage.saveCounters({
          counters: next.counters,
          expectedVersion: stored.version,
          applied: stored.applied,
          pending: [...stored.pending, ...added],
          ...(stored.latestEventMs !== undefined && { latestEventMs: stored.latestEventMs }),
        });
        if (!saved) continue;
      }
      if (next.requests.length > 0) await this.deps.workflow.start(next.requests);
      return next.counters;
    }
    throw new ConflictError();
  }

  // ---- profiles -------------------------------------------------------------------------------------

  /**
   * Creates or replaces a profile (subscriber.v1, defaults applied). Idempotent: the same body again
   * changes nothing. A changed cap takes effect at once, as through `putCaps`; the provisioning system
   * that sends a whole profile is trusted to hold the subscriber's consent to an opt-out.
   */
  async putProfile(subscriberId: string, body: unknown): Promise<{ created: boolean; profile: SubscriberProfile; effects: CapEffect[] }> {
    if (!isPlainObject(body)) {
      const parsed = subscriberProfileSchema.safeParse(body);
      throw new InvalidRequestError(parsed.success ? [] : fieldErrorsOf(parsed.error).map(atBody));
    }
    if (body.subscriberId !== undefined && body.subscriberId !== subscriberId) {
      throw new InvalidRequestError([{ path: 'subscriberId', message: 'must equal the subscriber id in the path (or be left out)' }]);
    }
    const profile: SubscriberProfile = parseBody(subscriberProfileSchema, { ...body, subscriberId });
    const before = await this.deps.profiles.getVersioned(subscriberId);
    let revision = before?.revision ?? 0;
    if (before === undefined || !sameProfile(before.profile, profile)) {
      try {
        revision = await this.deps.profiles.put(profile, revision);
      } catch (e: unknown) {
        if (e instanceof RevisionConflictError) throw new ConflictError('the profile changed concurrently; retry the request');
        throw e;
      }
    }
    // Settled even when unchanged: the retry of a PUT that failed after the write still reconciles (once).
    const effects = await this.settleCaps(profile, revision);
    return { created: before === undefined, profile, effects };
  }

  async getProfile(subscriberId: string): Promise<SubscriberProfile> {
    return this.profileOf(subscriberId);
  }

  /** Deletes the profile; counters and audit trail stay (they are billing records). */
  async deleteProfile(subscriberId: string): Promise<void> {
    await this.profileOf(subscriberId);
    await this.deps.profiles.delete(subscriberId);
  }

  // ---- caps -----------------------------------------------------------------------------------------

  async putCaps(subscriberId: string, body: unknown): Promise<CapsResponse> {
    const change = parseBody(capsRequestSchema, body);
    const optingOut = CAP_LIST.filter((cap) => change[cap.capField]?.enabled === false);
    if (optingOut.length > 0 && change.optOutConsent !== true) {
      throw new InvalidRequestError([
        {
          path: 'optOutConsent',
          message: `must be true to opt out of ${optingOut.map((cap) => cap.capField).join(' and ')}: the subscriber's explicit consent is required`,
        },
      ]);
    }
    if (change.roamingCap === undefined && change.overageCap === undefined) {
      throw new InvalidRequestError([{ path: 'body', message: 'must change roamingCap or overageCap' }]);
    }
    const before = await this.deps.profiles.getVersioned(subscriberId);
    if (before === undefined) throw new SubscriberNotFoundError();
    const profile: SubscriberProfile = {
      ...before.profile,
      roamingCap: { ...before.profile.roamingCap, ...change.roamingCap },
      overageCap: { ...before.profile.overageCap, ...change.overageCap },
    };
    const changed = CAP_LIST.filter((cap) => !sameCap(before.profile[cap.capField], profile[cap.capField]));
    let revision = before.revision;
    if (changed.length > 0) {
      const fields = Object.fromEntries(changed.map((cap) => [cap.capField, profile[cap.capField]]));
      const written = await this.deps.profileFields.update(subscriberId, fields);
      if (written === undefined) throw new SubscriberNotFoundError();
      revision = written;
    }
    // Settled even when nothing changed: a retry after a failure between the write and the workflow start
    // finds the caps already in place and must still start what the change requires (names make it once).
    const effects = await this.settleCaps(profile, revision);
    return {
      subscriberId,
      period: billingPeriodOf(this.now(), profile.plan).id,
      roamingCap: profile.roamingCap,
      overageCap: profile.overageCap,
      effects,
    };
  }

  /**
   * After a change of the caps (revision `revision` of the profile): the warnings the new limits cross now
   * (once per period and limit, like ingest's; not the 80% one of a cap reached at once, whose cap message
   * says more), every crossing marked fired so that ingest does not start them again, and the CAPS_CHANGED
   * request that reconciles the line. Answers the bars the change is expected to place or lift.
   */
  private async settleCaps(profile: SubscriberProfile, revision: number): Promise<CapEffect[]> {
    const { subscriberId } = profile;
    const at = this.now().toISOString();
    const period = billingPeriodOf(at, profile.plan).id;
    const reconcile: PolicyRequest = { kind: 'CAPS_CHANGED', subscriberId, period, crossingId: `CAPS_CHANGED#r${revision}`, at };
    const counters = await this.changeCurrentPeriod(subscriberId, period, (current) => {
      const crossings = thresholdCrossings(current, current, profile, this.deps.settings, at).filter((c) => bucketOfKind(c.kind) !== undefined);
      const warnings: PolicyRequest[] = [];
      for (const crossing of crossings) {
        const bucket = bucketOfKind(crossing.kind);
        if (bucket === undefined || crossing.kind !== CAP_LIST.find((cap) => cap.bucket === bucket)?.warningKind) continue;
        if (mustBar(profile, current, bucket)) continue;
        warnings.push({ kind: crossing.kind, subscriberId, period, crossingId: crossing.id, at, bucket, spentMicros: current[bucket].chargeMicros });
      }
      return { counters: withFired(current, crossings), requests: [...warnings, reconcile] };
    });
    return this.expectedEffects(profile, counters, reconcile.crossingId);
  }

  /** The bars a reconcile is expected to place or lift, from the line as it is and the counters. */
  private async expectedEffects(profile: SubscriberProfile, counters: PeriodCounters, reason: string): Promise<CapEffect[]> {
    const { bars } = await this.deps.bars.get(profile.subscriberId);
    const effects: CapEffect[] = [];
    for (const bucket of BUCKETS) {
      const barred = bars[bucket] !== undefined && bars[bucket].period >= counters.period;
      const must = mustBar(profile, counters, bucket);
      if (must && !barred) effects.push({ bucket, effect: 'bar', reason });
      if (!must && bars[bucket] !== undefined) effects.push({ bucket, effect: 'unbar', reason });
    }
    return effects;
  }

  // ---- consent to continue --------------------------------------------------------------------------

  async consentFromBody(subscriberId: string, body: unknown): Promise<ConsentResponse> {
    const { bucket } = parseBody(consentRequestSchema, body);
    return this.consent(subscriberId, bucket);
  }

  /**
   * Continue past the cap for the rest of the current period: consent on the counters (from then on the
   * bucket's charges are billable: `applyRated` honours it), and the line reconciled, which lifts the bar
   * with the resume message. Idempotent: once per bucket and period.
   */
  async consent(subscriberId: string, bucket: SpendBucketName): Promise<ConsentResponse> {
    const profile = await this.profileOf(subscriberId);
    const at = this.now().toISOString();
    const period = billingPeriodOf(at, profile.plan).id;
    const reconcile: PolicyRequest = { kind: 'CAPS_CHANGED', subscriberId, period, crossingId: `CAPS_CHANGED#consent-${bucket}`, at, bucket };
    const counters = await this.changeCurrentPeriod(subscriberId, period, (current) => ({
      counters: current.consent[bucket] ? current : { ...current, consent: { ...current.consent, [bucket]: true } },
      requests: [reconcile],
    }));
    const effects = (await this.expectedEffects(profile, counters, reconcile.crossingId)).filter((e) => e.bucket === bucket);
    return { subscriberId, period, bucket, consent: true, effects };
  }

  /**
   * The buckets a keyword reply continues: those barred now, or whose cap reached the limit in the current
   * period, without consent yet. The cap message asks for the keyword, so that is what it answers.
   */
  async bucketsAwaitingConsent(subscriberId: string): Promise<SpendBucketName[]> {
    const profile = await this.profileOf(subscriberId);
    const period = billingPeriodOf(this.now(), profile.plan).id;
    const { counters } = await this.countersOf(subscriberId, period);
    const { bars } = await this.deps.bars.get(subscriberId);
    return CAP_LIST.filter(
      (cap) => !counters.consent[cap.bucket] && (bars[cap.bucket] !== undefined || Object.keys(counters.fired).some((id) => id.startsWith(`${cap.capKind}@`))),
    ).map((cap) => cap.bucket);
  }

  // ---- notifications --------------------------------------------------------------------------------

  async putNotifications(subscriberId: string, body: unknown): Promise<NotificationsResponse> {
    const change = parseBody(notificationsRequestSchema, body);
    if (change.sms === undefined && change.email === undefined) {
      throw new InvalidRequestError([{ path: 'body', message: 'must set sms or email' }]);
    }
    const before = await this.profileOf(subscriberId);
    const notifications = { ...before.notifications, ...change };
    if (notifications.sms !== before.notifications.sms || notifications.email !== before.notifications.email) {
      if (!(await this.deps.profileFields.update(subscriberId, { notifications }))) throw new SubscriberNotFoundError();
    }
    return { subscriberId, ...notifications };
  }

  // ---- usage ----------------------------------------------------------------------------------------

  /** Counters, charges, bars and audit trail of a billing period (the current one by default). */
  async usage(subscriberId: string, periodId?: string): Promise<UsageResponse> {
    const profile = await this.profileOf(subscriberId);
    const current = billingPeriodOf(this.now(), profile.plan);
    let period: BillingPeriod = current;
    if (periodId !== undefined) {
      const checked = periodQuerySchema.safeParse(periodId);
      if (!checked.success) throw new InvalidRequestError(fieldErrorsOf(checked.error, 'period'));
      try {
        period = billingPeriodById(checked.data, profile.plan);
      } catch (e: unknown) {
        throw new InvalidRequestError([{ path: 'period', message: (e instanceof Error ? e.message : String(e)).replace(/^period: /, '') }]);
      }
    }
    const [{ counters }, line, audit] = await Promise.all([
      this.countersOf(subscriberId, period.id),
      this.deps.bars.get(subscriberId),
      this.deps.audit.list(subscriberId, period.start, period.end),
    ]);
    const isCurrent = period.id === current.id;
    const bucketView = (bucket: SpendBucketName) => {
      const bar = line.bars[bucket];
      // A bar belongs to the period whose cap placed it; the current period also shows any bar still in force.
      const shown = bar !== undefined && (bar.period === period.id || isCurrent) ? { at: bar.placedAt, until: bar.until, period: bar.period, reason: bar.reason } : null;
      return {
        ...counters[bucket],
        cap: capOf(profile, bucket),
        consent: counters.consent[bucket],
        bar: shown,
        late: { events: counters.lateEvents, writtenOffMicros: counters.lateWrittenOff[bucket] },
      };
    };
    return {
      subscriberId,
      period: { id: period.id, start: period.start, end: period.end },
      current: isCurrent,
      data: {
        dataBytes: counters.dataBytes,
        roamingDataBytes: counters.roamingDataBytes,
        allowanceBytes: counters.allowanceBytes,
        dataAllowanceBytes: profile.plan.dataAllowanceBytes,
      },
      voiceSeconds: counters.voiceSeconds,
      smsCount: counters.smsCount,
      eventsApplied: counters.eventsApplied,
      roaming: bucketView('roaming'),
      overage: bucketView('overage'),
      thresholds: Object.entries(counters.fired)
        .map(([id, firedAt]) => ({ id, at: firedAt }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id.localeCompare(b.id))),
      audit,
    };
  }

  // ---- inbound SMS ----------------------------------------------------------------------------------

  /** The subscriber behind an E.164 number, for the keyword reply. */
  async subscriberByMsisdn(msisdn: string): Promise<string | undefined> {
    return this.deps.directory.findByMsisdn(msisdn);
  }
}

