/**
 * The self-care and admin use cases: what a subscriber (through the MVNO's portal) or the MVNO's backend
 * may do with a line's profile, caps and consent, and what they may consult. Pure orchestration over ports;
 * the rules themselves (periods, thresholds, capped billing) are the domain's.
 *
 * Changes take effect at once on the current billing period, as Regulation (EU) 2022/612 Art. 14 expects:
 * a limit lowered to or below the spend bars now, a limit raised above it (or an opt-out, or consent to
 * continue) lifts the bar the cap had put in place. Carrier commands always go through the policy workflow
 * (it sends the message, talks to the carrier and keeps the audit trail); execution names are deterministic,
 * so a retried request never bars or un-bars twice.
 */
import { z } from 'zod';
import { emptyCounters, isCapped } from '../domain/counters.js';
import type { PeriodCounters, PolicyKind, PolicySettings, SpendBucketName, SpendCap, SubscriberProfile } from '../domain/model.js';
import { billingPeriodById, billingPeriodOf, type BillingPeriod } from '../domain/periods.js';
import { bucketOfKind, isPast, thresholdCrossings, withFired } from '../domain/policy.js';
import { subscriberProfileSchema } from '../domain/subscriber-schema.js';
import { isPlainObject } from '../domain/validation.js';
import type { AuditLog } from '../ports/audit-log.js';
import { barOfBucket, type BarStore } from '../ports/bar-store.js';
import type { Clock } from '../ports/clock.js';
import type { PolicyRequest, PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import type { ProfileStore } from '../ports/profile-store.js';
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
  readonly profiles: Pick<ProfileStore, 'get' | 'put' | 'delete'>;
  /** Caps and channels changes write only those attributes (see DynamoProfileFields). */
  readonly profileFields: ProfileFields;
  readonly directory: SubscriberDirectory;
  /** Ingest's store: the API changes consent and fired marks with the same versioned write ingest uses. */
  readonly usage: Pick<UsageStore, 'load' | 'saveCounters'>;
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

const BUCKETS: readonly SpendBucketName[] = ['roaming', 'overage'];
const CAP_REACHED: Readonly<Record<SpendBucketName, PolicyKind>> = { roaming: 'ROAMING_CAP_REACHED', overage: 'OVERAGE_CAP_REACHED' };
const CAP_FIELD: Readonly<Record<SpendBucketName, 'roamingCap' | 'overageCap'>> = { roaming: 'roamingCap', overage: 'overageCap' };

/**
 * A bar lifted by the subscriber's own choice (consent, raised limit, opt-out) is announced with the
 * resume message; the workflow un-bars the request's bucket (`planActions`: UNBAR_DATA_ROAMING or
 * UNBAR_DATA_OVERAGE). CAP_RESET stays the message of a new billing period.
 */
const UNBAR_KIND: PolicyKind = 'ROAMING_RESUMED';

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

/** Whether the cap of `bucket` still stops the data: enabled, no consent, and the spend at or past the limit. */
function capHolds(counters: PeriodCounters, profile: SubscriberProfile, bucket: SpendBucketName): boolean {
  const cap = profile[CAP_FIELD[bucket]];
  return isCapped(counters, profile, bucket) && isPast(counters[bucket].chargeMicros, cap.limitMicros, 100, 'reaches');
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
   * Writes changed counters under the version read, keeping ingest's watermarks. `outbox` requests go into
   * the item's pending outbox in the same write (a crash before they start leaves them for ingest to start).
   */
  private async saveCounters(stored: StoredCounters, counters: PeriodCounters, outbox: readonly PolicyRequest[] = []): Promise<boolean> {
    const { saved } = await this.deps.usage.saveCounters({
      counters,
      expectedVersion: stored.version,
      applied: stored.applied,
      pending: [...stored.pending, ...outbox],
    });
    return saved;
  }

  /**
   * Takes the requests just started out of the outbox again. Best effort: if ingest wrote the item in
   * between, it keeps them pending and starts them again, which their execution names make harmless.
   */
  private async clearOutbox(written: StoredCounters, counters: PeriodCounters): Promise<void> {
    await this.deps.usage.saveCounters({ counters, expectedVersion: written.version + 1, applied: written.applied, pending: written.pending });
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
    const before = await this.deps.profiles.get(subscriberId);
    const unchanged = before !== undefined && sameProfile(before, profile);
    if (!unchanged) await this.deps.profiles.put(profile);
    // Settled even when unchanged, as in putCaps: the retry of a PUT that failed after the write still bars.
    const effects = await this.settleCaps(profile, BUCKETS);
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
    const optingOut = BUCKETS.filter((b) => change[CAP_FIELD[b]]?.enabled === false);
    if (optingOut.length > 0 && change.optOutConsent !== true) {
      throw new InvalidRequestError([
        {
          path: 'optOutConsent',
          message: `must be true to opt out of ${optingOut.map((b) => CAP_FIELD[b]).join(' and ')}: the subscriber's explicit consent is required`,
        },
      ]);
    }
    if (change.roamingCap === undefined && change.overageCap === undefined) {
      throw new InvalidRequestError([{ path: 'body', message: 'must change roamingCap or overageCap' }]);
    }
    const before = await this.profileOf(subscriberId);
    const profile: SubscriberProfile = {
      ...before,
      roamingCap: { ...before.roamingCap, ...change.roamingCap },
      overageCap: { ...before.overageCap, ...change.overageCap },
    };
    const changed = BUCKETS.filter((b) => !sameCap(before[CAP_FIELD[b]], profile[CAP_FIELD[b]]));
    if (changed.length > 0) {
      const fields = Object.fromEntries(changed.map((b) => [CAP_FIELD[b], profile[CAP_FIELD[b]]]));
      if (!(await this.deps.profileFields.update(subscriberId, fields))) throw new SubscriberNotFoundError();
    }
    // Settled even when nothing changed: a retry after a failure between the write and the workflow start
    // finds the caps already in place and must still start what the change requires (names make it once).
    const effects = await this.settleCaps(profile, BUCKETS);
    return {
      subscriberId,
      period: billingPeriodOf(this.now(), profile.plan).id,
      roamingCap: profile.roamingCap,
      overageCap: profile.overageCap,
      effects,
    };
  }

  /**
   * Brings the bars of the current period in line with the caps in force: a cap now reached starts its
   * CAP_REACHED request (the bar, with the cap message), marked fired on the counters in the same versioned
   * write that puts the request in the counters' outbox, exactly as ingest does; so ingest never starts it
   * again, and a crash before the start leaves it in the outbox. A cap bar that no longer holds is lifted.
   */
  private async settleCaps(profile: SubscriberProfile, buckets: readonly SpendBucketName[]): Promise<CapEffect[]> {
    const { subscriberId } = profile;
    const now = this.now();
    const at = now.toISOString();
    const period = billingPeriodOf(now, profile.plan).id;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const stored = await this.countersOf(subscriberId, period);
      const { counters } = stored;
      const bars = await this.deps.bars.get(subscriberId);
      const crossings = thresholdCrossings(counters, counters, profile, this.deps.settings, at).filter((c) => {
        const bucket = bucketOfKind(c.kind);
        return bucket !== undefined && buckets.includes(bucket);
      });
      const reached = new Set(BUCKETS.filter((b) => crossings.some((c) => c.kind === CAP_REACHED[b])));
      const crossed: PolicyRequest[] = [];
      const lifted: PolicyRequest[] = [];
      const effects: CapEffect[] = [];
      for (const crossing of crossings) {
        const bucket = bucketOfKind(crossing.kind);
        if (bucket === undefined) continue;
        // Lowered straight past 80%: the cap message says more than the warning would, a moment apart.
        if (reached.has(bucket) && crossing.kind !== CAP_REACHED[bucket]) continue;
        crossed.push({ kind: crossing.kind, subscriberId, period, crossingId: crossing.id, at, bucket, spentMicros: counters[bucket].chargeMicros });
        if (crossing.kind === CAP_REACHED[bucket]) effects.push({ bucket, effect: 'bar', reason: crossing.id });
      }
      for (const bucket of buckets) {
        const bar = bars[barOfBucket(bucket)];
        if (bar === undefined || bar.period !== period || capHolds(counters, profile, bucket)) continue;
        // One lift per bar placed (its time names it): a retried request lifts it once.
        const crossingId = `CAP_LIFTED#${bucket}@${bar.at}`;
        lifted.push({ kind: UNBAR_KIND, subscriberId, period, crossingId, at, bucket, spentMicros: counters[bucket].chargeMicros });
        effects.push({ bucket, effect: 'unbar', reason: crossingId });
      }
      const marked = withFired(counters, crossings);
      if (crossings.length > 0 && !(await this.saveCounters(stored, marked, crossed))) continue;
      const requests = [...crossed, ...lifted];
      if (requests.length > 0) await this.deps.workflow.start(requests);
      if (crossed.length > 0) await this.clearOutbox(stored, marked);
      return effects;
    }
    throw new ConflictError();
  }

  // ---- consent to continue --------------------------------------------------------------------------

  async consentFromBody(subscriberId: string, body: unknown): Promise<ConsentResponse> {
    const { bucket } = parseBody(consentRequestSchema, body);
    return this.consent(subscriberId, bucket);
  }

  /**
   * Continue past the cap for the rest of the current period: consent on the counters (from then on the
   * bucket's charges are billable: `applyRated` honours it), and the bar lifted with the resume message
   * when the cap had reached (or was reaching) the limit. Idempotent: once per bucket and period.
   */
  async consent(subscriberId: string, bucket: SpendBucketName): Promise<ConsentResponse> {
    const profile = await this.profileOf(subscriberId);
    const now = this.now();
    const at = now.toISOString();
    const period = billingPeriodOf(now, profile.plan).id;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const stored = await this.countersOf(subscriberId, period);
      const { counters } = stored;
      if (!counters.consent[bucket]) {
        const consented: PeriodCounters = { ...counters, consent: { ...counters.consent, [bucket]: true } };
        if (!(await this.saveCounters(stored, consented))) continue;
      }
      const bars = await this.deps.bars.get(subscriberId);
      const capFired = Object.keys(counters.fired).some((id) => id.startsWith(`${CAP_REACHED[bucket]}@`));
      const effects: CapEffect[] = [];
      if (bars[barOfBucket(bucket)] !== undefined || capFired) {
        const crossingId = `ROAMING_RESUMED#${bucket}`;
        await this.deps.workflow.start([{ kind: 'ROAMING_RESUMED', subscriberId, period, crossingId, at, bucket }]);
        effects.push({ bucket, effect: 'unbar', reason: crossingId });
      }
      return { subscriberId, period, bucket, consent: true, effects };
    }
    throw new ConflictError();
  }

  /**
   * The buckets a keyword reply continues: those whose cap barred (or has just reached the limit) in the
   * current period without consent yet. The cap message asks for the keyword, so that is what it answers.
   */
  async bucketsAwaitingConsent(subscriberId: string): Promise<SpendBucketName[]> {
    const profile = await this.profileOf(subscriberId);
    const period = billingPeriodOf(this.now(), profile.plan).id;
    const { counters } = await this.countersOf(subscriberId, period);
    const bars = await this.deps.bars.get(subscriberId);
    return BUCKETS.filter(
      (b) =>
        !counters.consent[b] &&
        (bars[barOfBucket(b)] !== undefined || Object.keys(counters.fired).some((id) => id.startsWith(`${CAP_REACHED[b]}@`))),
    );
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
    const [{ counters }, bars, audit] = await Promise.all([
      this.countersOf(subscriberId, period.id),
      this.deps.bars.get(subscriberId),
      this.deps.audit.list(subscriberId, period.start, period.end),
    ]);
    const isCurrent = period.id === current.id;
    const bucketView = (bucket: SpendBucketName) => {
      const bar = bars[barOfBucket(bucket)];
      // A bar belongs to the period whose cap placed it; the current period also shows any bar still in force.
      const shown = bar !== undefined && (bar.period === period.id || isCurrent) ? { at: bar.at, reason: bar.reason } : null;
      return {
        ...counters[bucket],
        cap: profile[CAP_FIELD[bucket]],
        consent: counters.consent[bucket],
        bar: shown,
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
