/**
 * The self-care and operator use cases: what a subscriber (through the MVNO's self-care portal) or the MVNO
 * (provisioning, support) may do with a line's profile, caps and consent, and what they may consult. Pure
 * orchestration over ports; the rules themselves (periods, thresholds, capped billing, when a line is barred)
 * are the domain's.
 *
 * Changes take effect at once on the current billing period, as Regulation (EU) 2022/612 Art. 14 expects.
 * Every change of the caps or the consent starts a CAPS_CHANGED request whose workflow reconciles the line
 * with the caps now in force (shared/policy/reconcile-line.ts): a limit lowered to or below the spend bars,
 * a limit raised above it (or an opt-out, or consent to continue) lifts the bar, an opt-in bars again. The
 * request is written in the current period's outbox in the same versioned write as the warnings the change
 * crosses, then started; its name comes from the profile's revision (or the consent), so a retried request
 * acts once and every later change acts again.
 *
 * The caps, the consent and the notification channels belong to the subscriber: a provisioning PUT that
 * leaves them out keeps them, one that would change them needs a reason (operator role), an opt-out needs the
 * subscriber's consent statement, every change is kept in the audit trail (who, why, with which consent), and
 * no limit goes above the deployment's maximum.
 */
import * as z from 'zod';
import { capOf, capOfKind, CAP_LIST, mustBar } from '../domain/caps.js';
import { emptyCounters } from '../domain/counters.js';
import { messageSubject } from '../domain/messages.js';
import type { PeriodCounters, PolicyRequest, PolicySettings, SpendBucketName, SpendCap, SubscriberProfile } from '../domain/model.js';
import { SPEND_BUCKETS } from '../domain/model.js';
import { billingPeriodById, billingPeriodOf, type BillingPeriod } from '../domain/periods.js';
import { bucketOfKind, hasFired, requestOfCrossing, thresholdCrossings, withFired } from '../domain/policy.js';
import { subscriberProfileSchema } from '../domain/subscriber-schema.js';
import { isPlainObject } from '../domain/validation.js';
import type { AuditLog, ChoiceChange, ConsentStatement, NotificationAudit } from '../ports/audit-log.js';
import type { BarStore } from '../ports/bar-store.js';
import type { Clock } from '../ports/clock.js';
import { NotificationRejectedError, type Notifier } from '../ports/notifier.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';
import { RevisionConflictError, type ProfileStore } from '../ports/profile-store.js';
import type { StoredCounters, UsageStore } from '../ports/usage-store.js';
import { startOutbox, writeCounters, type CountersWrites } from '../counters/counters-writer.js';
import { ApiProblemError, ConflictError, fieldErrorsOf, InvalidRequestError, PreconditionFailedError, SubscriberNotFoundError, type FieldError } from './errors.js';
import type { ProfileFields, SubscriberDirectory } from '../ports/self-care.js';
import {
  capsRequestSchema,
  consentRequestSchema,
  msisdnQuerySchema,
  notificationsRequestSchema,
  operatorCapsRequestSchema,
  operatorConsentRequestSchema,
  operatorNotificationsRequestSchema,
  periodQuerySchema,
  pseudonymParameterSchema,
  resendRequestSchema,
  subscriberProfileRequestSchema,
  type CapEffect,
  type CapsResponse,
  type ConsentResponse,
  type NotificationsResponse,
  type PseudonymLookupResponse,
  type ResendResponse,
  type SubscriberSearchResponse,
  type UsageResponse,
} from './schemas.js';

export interface SelfCareDeps {
  readonly profiles: Pick<ProfileStore, 'get' | 'getVersioned' | 'put' | 'delete'>;
  /** Caps and channels changes write only those attributes (see DynamoProfileFields). */
  readonly profileFields: ProfileFields;
  readonly directory: SubscriberDirectory;
  /** Ingest's store: the API changes consent and fired marks with the counters writer ingest uses. */
  readonly usage: Pick<UsageStore, 'load' | 'saveCounters' | 'saveState' | 'clearOutbox'>;
  /** The line's bars (read only: the workflow changes them). */
  readonly bars: Pick<BarStore, 'get'>;
  /** The trail of a period (read) and the record of every choice changed (append). */
  readonly audit: Pick<AuditLog, 'list' | 'record'>;
  readonly workflow: PolicyWorkflowStarter;
  readonly clock: Clock;
  readonly settings: PolicySettings;
  /** Sends a message again for support (the operator API); absent where nothing is ever re-sent. */
  readonly notifier?: Pick<Notifier, 'send'>;
  /**
   * Attempts at a counters change before answering 409: ingest writes the same item under the same version
   * condition, so a first conflict is normal; several in a row mean a storm of usage, and the client retries.
   * @default 4
   */
  readonly maxAttempts?: number;
}

/** Who asks: the subscriber through self-care, or the MVNO (provisioning, support) through the operator API. */
export interface Actor {
  readonly role: 'subscriber' | 'operator';
  /** The authenticated caller (IAM principal ARN), kept in the audit trail of the changes it makes. */
  readonly caller?: string;
}

export const SUBSCRIBER: Actor = { role: 'subscriber' };
export const OPERATOR: Actor = { role: 'operator' };

/** The preconditions of a request (HTTP If-Match / If-None-Match) and the reason header of a profile PUT. */
export interface RequestConditions {
  /** If-Match: the revisions the client accepts, `*` for any existing one; undefined when absent. */
  readonly ifMatch?: readonly (number | '*')[];
  /** If-None-Match: * (create only). */
  readonly ifNoneMatch?: boolean;
  /** Why an operator's profile PUT changes a subscriber-owned choice (`Spendcap-Change-Reason`). */
  readonly changeReason?: string;
}

/** A result and the subscriber's revision after it (the ETag). */
export interface Revised<T> {
  readonly value: T;
  readonly revision: number;
}

const BUCKETS: readonly SpendBucketName[] = SPEND_BUCKETS;

/** A consent statement may be dated a little ahead of our clock (the portal's clock), not more. */
const CONSENT_CLOCK_SKEW_MS = 5 * 60_000;

/** Profiles a search by MSISDN returns at most (a number is on one line, two while it moves). */
const MSISDN_SEARCH_LIMIT = 10;

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new InvalidRequestError(fieldErrorsOf(result.error).map(atBody));
  return result.data;
}

/** Whole-body errors (not a JSON object) have an empty path: name them `body`. */
function atBody(field: FieldError): FieldError {
  return field.path === '' ? { path: 'body', message: field.message } : field;
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

/** The subscriber-owned values that differ between two profiles, as `roamingCap.limitMicros` 50000000 -> 20000000. */
export function choiceChanges(before: Pick<SubscriberProfile, 'roamingCap' | 'overageCap' | 'notifications'>, after: Pick<SubscriberProfile, 'roamingCap' | 'overageCap' | 'notifications'>): ChoiceChange[] {
  const changes: ChoiceChange[] = [];
  for (const cap of CAP_LIST) {
    for (const key of ['enabled', 'limitMicros'] as const) {
      const from = before[cap.capField][key];
      const to = after[cap.capField][key];
      if (from !== to) changes.push({ field: `${cap.capField}.${key}`, from, to });
    }
  }
  for (const key of ['sms', 'email'] as const) {
    if (before.notifications[key] !== after.notifications[key]) changes.push({ field: `notifications.${key}`, from: before.notifications[key], to: after.notifications[key] });
  }
  return changes;
}

/** The reason of an operator's request body (self-care bodies have none). */
function reasonOf(body: object): string | undefined {
  return 'reason' in body && typeof body.reason === 'string' ? body.reason : undefined;
}

/** The changes that opt out of a cap: `<cap>.enabled` from true to false. */
function optOutsOf(changes: readonly ChoiceChange[]): ChoiceChange[] {
  return changes.filter((c) => c.field.endsWith('.enabled') && c.from === true && c.to === false);
}

/** The contract's defaults of the subscriber-owned choices, for a profile created without them. */
const DEFAULT_CHOICES = (() => {
  const { roamingCap, overageCap, notifications } = subscriberProfileSchema.parse({ subscriberId: 'x', msisdn: '+33600000000', plan: { dataAllowanceBytes: 0 } });
  return { roamingCap, overageCap, notifications };
})();

/** A period without a counters item yet: written as version 1. */
function noCounters(subscriberId: string, period: string): StoredCounters {
  return { counters: emptyCounters(subscriberId, period), version: 0, applied: {}, pending: [] };
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

  /** The highest limit the API accepts: the deployment's setting, EUR 1,000 by default. */
  get maxLimitMicros(): number {
    return this.deps.settings.maxCapLimitMicros ?? 1_000_000_000;
  }

  private async profileOf(subscriberId: string): Promise<SubscriberProfile> {
    const profile = await this.deps.profiles.get(subscriberId);
    if (profile === undefined) throw new SubscriberNotFoundError();
    return profile;
  }

  private async versionedProfileOf(subscriberId: string): Promise<{ profile: SubscriberProfile; revision: number }> {
    const versioned = await this.deps.profiles.getVersioned(subscriberId);
    if (versioned === undefined) throw new SubscriberNotFoundError();
    return versioned;
  }

  private async countersOf(subscriberId: string, period: string): Promise<StoredCounters> {
    const { counters } = await this.deps.usage.load(subscriberId, [period]);
    return counters.get(period) ?? noCounters(subscriberId, period);
  }

  /**
   * Checks If-Match / If-None-Match against the stored revision (undefined: no profile) and answers the
   * revision a conditional write must find, or undefined when the request has no precondition.
   */
  private precondition(conditions: RequestConditions, revision: number | undefined): number | undefined {
    if (conditions.ifNoneMatch === true && revision !== undefined) throw new PreconditionFailedError();
    const { ifMatch } = conditions;
    if (ifMatch === undefined) return conditions.ifNoneMatch === true ? 0 : undefined;
    if (revision === undefined || !ifMatch.some((tag) => tag === '*' || tag === revision)) throw new PreconditionFailedError();
    return revision;
  }

  /** Limits above the deployment's maximum are refused, naming the field. */
  private checkLimits(caps: { readonly roamingCap?: { readonly limitMicros?: number | undefined } | undefined; readonly overageCap?: { readonly limitMicros?: number | undefined } | undefined }): void {
    const max = this.maxLimitMicros;
    const fields: FieldError[] = [];
    for (const cap of CAP_LIST) {
      const limit = caps[cap.capField]?.limitMicros;
      if (limit !== undefined && limit > max) fields.push({ path: `${cap.capField}.limitMicros`, message: `must be at most ${max} (the deployment maximum)` });
    }
    if (fields.length > 0) throw new InvalidRequestError(fields);
  }

  /** A consent statement dated in the future is refused (a typo, or a statement made up in advance). */
  private checkConsent(consent: ConsentStatement | undefined, path = 'consent'): void {
    if (consent === undefined) return;
    if (Date.parse(consent.at) > this.now().getTime() + CONSENT_CLOCK_SKEW_MS) {
      throw new InvalidRequestError([{ path: `${path}.at`, message: 'must not be in the future' }]);
    }
  }

  /** The audit entry of a changed choice, in the current period of the subscriber. */
  private async recordChoices(
    profile: SubscriberProfile,
    crossingId: string,
    changes: readonly ChoiceChange[],
    actor: Actor,
    extra: { readonly reason?: string | undefined; readonly consent?: ConsentStatement | undefined },
  ): Promise<void> {
    if (changes.length === 0) return;
    const at = this.now().toISOString();
    await this.deps.audit.record({
      type: 'CHOICE_CHANGED',
      subscriberId: profile.subscriberId,
      at,
      period: billingPeriodOf(at, profile.plan).id,
      crossingId,
      by: actor.role,
      changes,
      ...(extra.reason !== undefined && { reason: extra.reason }),
      ...(extra.consent !== undefined && { consent: extra.consent }),
      ...(actor.caller !== undefined && { caller: actor.caller }),
    });
  }

  /**
   * Applies `change` to the current period's counters and writes them with the counters writer, as ingest
   * does: under the version read (keeping ingest's watermarks), with the requests it returns added to the
   * item's outbox in the same write; then starts them, with any the outbox still holds (a writer that
   * crashed after its write), and removes them from the outbox. A conflict with ingest re-reads and redoes;
   * a crash after the write leaves the requests in the outbox, where the next writer of the item, ingest or
   * self-care, starts them (their names make a second start a no-op).
   */
  private async changeCurrentPeriod(
    subscriberId: string,
    period: string,
    change: (counters: PeriodCounters) => { counters: PeriodCounters; requests: PolicyRequest[] },
  ): Promise<PeriodCounters> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const read = await this.deps.usage.load(subscriberId, [period]);
      const stored = read.counters.get(period) ?? noCounters(subscriberId, period);
      const next = change(stored.counters);
      // A retried request finds its requests already in the outbox: nothing to write, only to start again.
      const added = next.requests.filter((r) => !stored.pending.some((p) => p.crossingId === r.crossingId));
      const writes: CountersWrites = {
        counters:
          added.length > 0 || next.counters !== stored.counters
            ? [
                {
                  counters: next.counters,
                  expectedVersion: stored.version,
                  applied: stored.applied,
                  pending: [...stored.pending, ...added],
                  ...(stored.latestEventMs !== undefined && { latestEventMs: stored.latestEventMs }),
                },
              ]
            : [],
      };
      const written = await writeCounters(this.deps.usage, subscriberId, read, writes);
      if (written.error !== undefined) throw written.error;
      if (!written.complete) continue;
      await startOutbox({ usage: this.deps.usage, workflows: this.deps.workflow }, subscriberId, [...stored.pending, ...next.requests], read, writes);
      return next.counters;
    }
    throw new ConflictError();
  }

  // ---- profiles (operator) --------------------------------------------------------------------------

  /**
   * Creates or replaces a profile (subscriber.v1, defaults applied). Idempotent: the same body again changes
   * nothing. The subscriber-owned choices (caps, channels) left out are kept as stored; one that differs from
   * the stored value needs `changeReason` (kept in the audit trail) and takes effect at once, as through
   * `putCaps`; an opt-out is refused here (it needs the subscriber's consent statement: PUT .../caps).
   */
  async putProfile(
    subscriberId: string,
    body: unknown,
    conditions: RequestConditions = {},
    actor: Actor = OPERATOR,
  ): Promise<{ created: boolean; profile: SubscriberProfile; revision: number; effects: CapEffect[] }> {
    if (!isPlainObject(body)) {
      const parsed = subscriberProfileRequestSchema.safeParse(body);
      throw new InvalidRequestError(parsed.success ? [] : fieldErrorsOf(parsed.error).map(atBody));
    }
    if (body.subscriberId !== undefined && body.subscriberId !== subscriberId) {
      throw new InvalidRequestError([{ path: 'subscriberId', message: 'must equal the subscriber id in the path (or be left out)' }]);
    }
    const input = parseBody(subscriberProfileRequestSchema, { ...body, subscriberId });
    this.checkLimits(input);
    const before = await this.deps.profiles.getVersioned(subscriberId);
    const expected = this.precondition(conditions, before?.revision);
    const kept = before?.profile ?? DEFAULT_CHOICES;
    const profile: SubscriberProfile = parseBody(subscriberProfileSchema, {
      ...input,
      subscriberId,
      roamingCap: { ...kept.roamingCap, ...input.roamingCap },
      overageCap: { ...kept.overageCap, ...input.overageCap },
      notifications: { ...kept.notifications, ...input.notifications },
    });
    const changes = choiceChanges(kept, profile);
    const optOuts = optOutsOf(changes);
    if (optOuts.length > 0) {
      throw new ApiProblemError(
        'consent-required',
        "an opt-out needs the subscriber's consent statement: PUT /v1/subscribers/{id}/caps with `consent` (who, when, channel) and a reason",
        optOuts.map((c) => ({ path: c.field, message: "cannot be set to false by a profile PUT: opt out through .../caps with the subscriber's consent statement" })),
      );
    }
    if (before !== undefined && changes.length > 0 && conditions.changeReason === undefined) {
      throw new ApiProblemError(
        'subscriber-choice',
        "the profile would change choices the subscriber made: leave them out to keep them, or send the Spendcap-Change-Reason header to change them on the subscriber's behalf",
        changes.map((c) => ({ path: c.field, message: `the subscriber's choice is ${String(c.from)}; leave it out to keep it, or give Spendcap-Change-Reason to change it` })),
      );
    }
    let revision = before?.revision ?? 0;
    if (before === undefined || !sameProfile(before.profile, profile)) {
      try {
        revision = await this.deps.profiles.put(profile, expected ?? revision);
      } catch (e: unknown) {
        if (!(e instanceof RevisionConflictError)) throw e;
        if (expected !== undefined) throw new PreconditionFailedError();
        throw new ConflictError('the profile changed concurrently; retry the request');
      }
      if (before !== undefined) await this.recordChoices(profile, `CAPS_CHANGED#r${revision}`, changes, actor, { reason: conditions.changeReason });
    }
    // Settled even when unchanged: the retry of a PUT that failed after the write still reconciles (once).
    const effects = await this.settleCaps(profile, revision);
    return { created: before === undefined, profile, revision, effects };
  }

  async getProfile(subscriberId: string): Promise<Revised<SubscriberProfile>> {
    const { profile, revision } = await this.versionedProfileOf(subscriberId);
    return { value: profile, revision };
  }

  /** Deletes the profile; counters and audit trail stay (they are billing records). */
  async deleteProfile(subscriberId: string, conditions: RequestConditions = {}): Promise<void> {
    const { revision } = await this.versionedProfileOf(subscriberId);
    const expected = this.precondition(conditions, revision);
    try {
      await this.deps.profiles.delete(subscriberId, expected);
    } catch (e: unknown) {
      if (e instanceof RevisionConflictError) throw new PreconditionFailedError();
      throw e;
    }
  }

  /** The profiles with this number, for support (search by MSISDN). */
  async searchByMsisdn(msisdn: string | undefined): Promise<SubscriberSearchResponse> {
    if (msisdn === undefined) throw new InvalidRequestError([{ path: 'msisdn', message: 'required: the E.164 number to look for' }]);
    const checked = msisdnQuerySchema.safeParse(msisdn);
    if (!checked.success) throw new InvalidRequestError(fieldErrorsOf(checked.error, 'msisdn'));
    return { subscribers: await this.deps.directory.listByMsisdn(checked.data, MSISDN_SEARCH_LIMIT) };
  }

  /** From a pseudonym seen in a log line or an alert back to the subscriber (its own permission). */
  async lookupPseudonym(pseudonym: string): Promise<PseudonymLookupResponse> {
    const checked = pseudonymParameterSchema.safeParse(pseudonym);
    if (!checked.success) throw new InvalidRequestError(fieldErrorsOf(checked.error, 'pseudonym'));
    const subscriberIds = await this.deps.directory.findByPseudonym(checked.data);
    if (subscriberIds.length === 0) {
      throw new ApiProblemError('unknown-pseudonym', 'no profile has this pseudonym (a profile written before pseudonyms existed gets it at its next change)');
    }
    return { pseudonym: checked.data, subscriberIds };
  }

  // ---- caps -----------------------------------------------------------------------------------------

  async putCaps(subscriberId: string, body: unknown, actor: Actor = SUBSCRIBER, conditions: RequestConditions = {}): Promise<Revised<CapsResponse>> {
    const change = actor.role === 'operator' ? parseBody(operatorCapsRequestSchema, body) : parseBody(capsRequestSchema, body);
    if (change.roamingCap === undefined && change.overageCap === undefined) {
      throw new InvalidRequestError([{ path: 'body', message: 'must change roamingCap or overageCap' }]);
    }
    this.checkLimits(change);
    this.checkConsent(change.consent);
    const before = await this.versionedProfileOf(subscriberId);
    const expected = this.precondition(conditions, before.revision);
    const profile: SubscriberProfile = {
      ...before.profile,
      roamingCap: { ...before.profile.roamingCap, ...change.roamingCap },
      overageCap: { ...before.profile.overageCap, ...change.overageCap },
    };
    const changes = choiceChanges(before.profile, profile);
    const optOuts = optOutsOf(changes);
    if (optOuts.length > 0 && change.consent === undefined) {
      const caps = optOuts.map((c) => c.field.split('.')[0]).join(' and ');
      throw new ApiProblemError('consent-required', `an opt-out of ${caps} needs the subscriber's consent statement`, [
        { path: 'consent', message: `required to opt out of ${caps}: { who, at, channel } of the subscriber's consent` },
      ]);
    }
    let revision = before.revision;
    if (changes.length > 0) {
      const changedCaps = CAP_LIST.filter((cap) => changes.some((c) => c.field.startsWith(`${cap.capField}.`)));
      const fields = Object.fromEntries(changedCaps.map((cap) => [cap.capField, profile[cap.capField]]));
      revision = await this.writeFields(subscriberId, fields, expected);
      await this.recordChoices(profile, `CAPS_CHANGED#r${revision}`, changes, actor, {
        reason: reasonOf(change),
        consent: optOuts.length > 0 ? change.consent : undefined,
      });
    }
    // Settled even when nothing changed: a retry after a failure between the write and the workflow start
    // finds the caps already in place and must still start what the change requires (names make it once).
    const effects = await this.settleCaps(profile, revision);
    return {
      value: {
        subscriberId,
        period: billingPeriodOf(this.now(), profile.plan).id,
        roamingCap: profile.roamingCap,
        overageCap: profile.overageCap,
        effects,
      },
      revision,
    };
  }

  /** Writes some attributes of the profile (conditional on `expected` when the request had If-Match). */
  private async writeFields(subscriberId: string, fields: Parameters<ProfileFields['update']>[1], expected: number | undefined): Promise<number> {
    let written: number | undefined;
    try {
      written = await this.deps.profileFields.update(subscriberId, fields, expected === undefined ? {} : { expectedRevision: expected });
    } catch (e: unknown) {
      if (e instanceof RevisionConflictError) throw new PreconditionFailedError();
      throw e;
    }
    if (written === undefined) throw new SubscriberNotFoundError();
    return written;
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
      const warnings = crossings.filter((crossing) => {
        const cap = capOfKind(crossing.kind);
        return cap !== undefined && crossing.kind === cap.warningKind && !mustBar(profile, current, cap.bucket);
      });
      return { counters: withFired(current, crossings), requests: [...warnings.map((crossing) => requestOfCrossing(crossing, current)), reconcile] };
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

  async consentFromBody(subscriberId: string, body: unknown, actor: Actor = SUBSCRIBER, conditions: RequestConditions = {}): Promise<Revised<ConsentResponse>> {
    const request = actor.role === 'operator' ? parseBody(operatorConsentRequestSchema, body) : parseBody(consentRequestSchema, body);
    this.checkConsent(request.consent);
    const { revision } = await this.versionedProfileOf(subscriberId);
    this.precondition(conditions, revision);
    const value = await this.consent(subscriberId, request.bucket, {
      actor,
      ...(request.consent !== undefined && { statement: request.consent }),
      reason: reasonOf(request),
    });
    return { value, revision };
  }

  /**
   * Continue past the cap for the rest of the current period: consent on the counters (from then on the
   * bucket's charges are billable: `applyRated` honours it), and the line reconciled, which lifts the bar
   * with the resume message. Idempotent: once per bucket and period. The consent is kept in the audit trail
   * with who gave it, when and how, when known.
   */
  async consent(
    subscriberId: string,
    bucket: SpendBucketName,
    given: { readonly actor?: Actor; readonly statement?: ConsentStatement; readonly reason?: string } = {},
  ): Promise<ConsentResponse> {
    const profile = await this.profileOf(subscriberId);
    const at = this.now().toISOString();
    const period = billingPeriodOf(at, profile.plan).id;
    const reconcile: PolicyRequest = { kind: 'CAPS_CHANGED', subscriberId, period, crossingId: `CAPS_CHANGED#consent-${bucket}`, at, bucket };
    let newlyGiven = false;
    const counters = await this.changeCurrentPeriod(subscriberId, period, (current) => {
      newlyGiven = !current.consent[bucket];
      return {
        counters: current.consent[bucket] ? current : { ...current, consent: { ...current.consent, [bucket]: true } },
        requests: [reconcile],
      };
    });
    if (newlyGiven) {
      await this.recordChoices(profile, reconcile.crossingId, [{ field: `consent.${bucket}`, from: false, to: true }], given.actor ?? SUBSCRIBER, {
        reason: given.reason,
        consent: given.statement,
      });
    }
    const effects = (await this.expectedEffects(profile, counters, reconcile.crossingId)).filter((e) => e.bucket === bucket);
    return { subscriberId, period, bucket, consent: true, effects };
  }

  /** The consent the SMS keyword gives: from the line's own number, now, with the words it replied. */
  async consentByKeyword(subscriberId: string, bucket: SpendBucketName, reply: string): Promise<ConsentResponse> {
    const statement: ConsentStatement = { who: "the line's own number (reply to the cap message)", at: this.now().toISOString(), channel: 'sms', text: reply.slice(0, 160) };
    return this.consent(subscriberId, bucket, { actor: SUBSCRIBER, statement });
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
      (cap) => !counters.consent[cap.bucket] && (bars[cap.bucket] !== undefined || hasFired(counters, cap.capKind)),
    ).map((cap) => cap.bucket);
  }

  // ---- notifications --------------------------------------------------------------------------------

  async putNotifications(subscriberId: string, body: unknown, actor: Actor = SUBSCRIBER, conditions: RequestConditions = {}): Promise<Revised<NotificationsResponse>> {
    const change = actor.role === 'operator' ? parseBody(operatorNotificationsRequestSchema, body) : parseBody(notificationsRequestSchema, body);
    if (change.sms === undefined && change.email === undefined) {
      throw new InvalidRequestError([{ path: 'body', message: 'must set sms or email' }]);
    }
    const before = await this.versionedProfileOf(subscriberId);
    const expected = this.precondition(conditions, before.revision);
    const notifications = {
      sms: change.sms ?? before.profile.notifications.sms,
      email: change.email ?? before.profile.notifications.email,
    };
    const after = { ...before.profile, notifications };
    const changes = choiceChanges(before.profile, after);
    let revision = before.revision;
    if (changes.length > 0) {
      revision = await this.writeFields(subscriberId, { notifications }, expected);
      await this.recordChoices(after, `CHOICES#r${revision}`, changes, actor, { reason: reasonOf(change) });
    }
    return { value: { subscriberId, ...notifications }, revision };
  }

  /**
   * Support: sends the last message of the current period (SMS or e-mail) again, to the address now in the
   * profile, and keeps it in the audit trail as a resend with its reason. Not idempotent: each call sends once.
   */
  async resendLastMessage(subscriberId: string, body: unknown, actor: Actor = OPERATOR): Promise<ResendResponse> {
    const request = parseBody(resendRequestSchema, body);
    const { notifier } = this.deps;
    if (notifier === undefined) throw new Error('resend: no notifier in this runtime');
    const profile = await this.profileOf(subscriberId);
    const now = this.now();
    const period = billingPeriodOf(now, profile.plan);
    const trail = await this.deps.audit.list(subscriberId, period.start, period.end);
    const last = trail
      .filter((e): e is NotificationAudit => e.type === 'NOTIFICATION' && (e.channel === 'sms' || e.channel === 'email'))
      .filter((e) => request.channel === undefined || e.channel === request.channel)
      .at(-1);
    if (last === undefined) throw new ApiProblemError('no-message', `no ${request.channel ?? 'sms or e-mail'} message was sent in the current billing period`);
    const to = last.channel === 'sms' ? (profile.notifications.sms ? profile.msisdn : undefined) : profile.notifications.email ? profile.email : undefined;
    if (to === undefined) throw new ApiProblemError('channel-off', `the subscriber has no ${last.channel} channel switched on (or no address for it)`);
    const at = now.toISOString();
    let messageId: string | undefined;
    try {
      ({ messageId } = await notifier.send({
        subscriberId,
        ...(profile.accountId !== undefined && { accountId: profile.accountId }),
        kind: last.kind,
        channel: last.channel,
        to,
        text: last.text,
        ...(last.channel === 'email' && { subject: messageSubject(last.kind, profile.locale) }),
        at,
      }));
    } catch (e: unknown) {
      if (e instanceof NotificationRejectedError) throw new ApiProblemError('channel-off', `the provider refused the ${last.channel} message (number or address not reachable)`);
      throw e;
    }
    const entry: NotificationAudit = {
      type: 'NOTIFICATION',
      subscriberId,
      at,
      period: period.id,
      crossingId: last.crossingId,
      kind: last.kind,
      channel: last.channel,
      to,
      text: last.text,
      ...(messageId !== undefined && { messageId }),
      resend: { of: last.at, reason: request.reason, ...(actor.caller !== undefined && { caller: actor.caller }) },
    };
    await this.deps.audit.record(entry);
    return { subscriberId, notification: entry };
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

/** Keeps `SpendCap` in the public surface (used by callers building changes). */
export type { SpendCap };
