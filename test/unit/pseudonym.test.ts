/**
 * One keyed pseudonym everywhere: the same token in log lines, ops alerts (the bill-shock text and the
 * `subscriberKey` of failure alerts), execution and schedule names under one key; nothing in common under
 * another key; the key read once per container; and no silent fall-back to the public key in Lambda.
 */
import * as fc from 'fast-check';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { unbarScheduleNameOf } from '../../shared/adapters/scheduler-unbar.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { Bar, PolicyRequest, SubscriberProfile } from '../../shared/domain/model.js';
import { subscriberProfileSchema } from '../../shared/domain/subscriber-schema.js';
import { maskSubscriber } from '../../shared/observability.js';
import type { OpsAlert } from '../../shared/ports/notifier.js';
import { subscriberKeyOf } from '../../shared/ports/notifier.js';
import { planNotifications } from '../../shared/policy/plan.js';
import { idempotencyKeyOf } from '../../shared/policy/reconcile-line.js';
import { reportFailure } from '../../shared/policy/report-failure.js';
import {
  keyedDigest,
  LOCAL_PSEUDONYM_KEY,
  PSEUDONYM_LENGTH,
  PSEUDONYM_PATTERN,
  pseudonymOf,
  redactIdentifiers,
  resetPseudonymKey,
  usePseudonymKey,
} from '../../shared/privacy/pseudonym.js';
import { forgetPseudonymKeyLoad, loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';

const ID = '208150000471337';
const MSISDN = '+33612345678';
const KEY_A = 'a'.repeat(32) + '-deployment-A-secret';
const KEY_B = 'b'.repeat(32) + '-deployment-B-secret';

const bar: Bar = {
  id: '2026-09-01/roaming/ROAMING_CAP_REACHED@50000000',
  bucket: 'roaming',
  period: '2026-09-01',
  placedAt: '2026-09-10T12:00:00.000Z',
  until: '2026-09-30T22:00:00.000Z',
  reason: 'ROAMING_CAP_REACHED@50000000',
};
const request: PolicyRequest = { kind: 'ROAMING_CAP_REACHED', subscriberId: ID, period: '2026-09-01', crossingId: 'ROAMING_CAP_REACHED@50000000', at: '2026-09-10T12:00:00Z' };

const profile: SubscriberProfile = subscriberProfileSchema.parse({ subscriberId: ID, msisdn: MSISDN, plan: { dataAllowanceBytes: 0, monthlyFeeMicros: 10_000_000 } });

/** Every place the subscriber shows up outside the tables, under the key installed now. */
async function tokensOutsideTheTables(): Promise<{ log: string; alertKey: string; billShock: string; failureAlert: string; execution: string; schedule: string }> {
  const plan = await planNotifications(
    { kind: 'BILL_SHOCK_ALERT', subscriberId: ID, period: '2026-09-01', crossingId: 'BILL_SHOCK_ALERT', at: '2026-09-10T12:00:00Z', spentMicros: 320_000_000, line: { at: '2026-09-10T12:00:00Z', period: '2026-09-01', buckets: [] } },
    {
      profiles: { get: async () => profile },
      usage: { load: async () => ({ counters: new Map(), state: { version: 0, applied: {}, pending: [] } }) },
      settings: DEFAULT_SETTINGS,
      opsAddress: 'ops',
      clock: { now: () => new Date('2026-09-10T12:00:00Z') },
    },
  );
  const alerts: OpsAlert[] = [];
  await reportFailure(
    {
      failure: 'notification',
      message: { subscriberId: ID, period: '2026-09-01', crossingId: 'c', kind: 'ROAMING_CAP_REACHED', channel: 'sms', to: MSISDN, text: 'x' },
      error: { Error: 'NotificationRejectedError', Cause: `Invalid parameter: PhoneNumber Reason: ${MSISDN} is not valid to publish to` },
    },
    {
      notifier: { send: async () => ({}), alertOps: async (alert) => (alerts.push(alert), {}) },
      audit: { begin: async () => 'PROCEED', complete: async () => undefined, record: async () => undefined, list: async () => [] },
      clock: { now: () => new Date('2026-09-10T12:00:00Z') },
    },
  );
  return {
    log: maskSubscriber(ID),
    alertKey: subscriberKeyOf(ID),
    billShock: plan.notifications.find((n) => n.channel === 'ops')?.text ?? '',
    failureAlert: `${alerts[0]?.subject ?? ''}\n${alerts[0]?.text ?? ''}\n${alerts[0]?.subscriberKey ?? ''}`,
    execution: executionNameOf(request),
    schedule: unbarScheduleNameOf(ID, bar),
  };
}

describe('subscriber pseudonym', () => {
  afterEach(() => {
    resetPseudonymKey();
    forgetPseudonymKeyLoad();
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  });

  it('is `sub-` and 16 hex digits (20 characters), stable under one key', () => {
    usePseudonymKey(KEY_A);

    expect(pseudonymOf(ID)).toMatch(PSEUDONYM_PATTERN);
    expect(pseudonymOf(ID)).toHaveLength(PSEUDONYM_LENGTH);
    expect(PSEUDONYM_LENGTH).toBe(20);
    expect(pseudonymOf(ID)).toBe(pseudonymOf(ID));
    expect(pseudonymOf(ID)).not.toBe(pseudonymOf('208150000471338'));
  });

  it('is the same token in the log line, the alerts, the bill-shock text and the execution and schedule names under one key', async () => {
    usePseudonymKey(KEY_A);
    const pseudonym = pseudonymOf(ID);

    const seen = await tokensOutsideTheTables();

    expect(seen.log).toBe(pseudonym);
    expect(seen.alertKey).toBe(pseudonym);
    expect(seen.billShock).toContain(pseudonym);
    expect(seen.failureAlert).toContain(pseudonym);
    expect(seen.execution).toContain(pseudonym);
    expect(seen.schedule).toContain(pseudonym);
    for (const text of Object.values(seen)) {
      expect(text).not.toContain(ID);
      expect(text).not.toContain(MSISDN);
      expect(text).not.toContain(MSISDN.slice(1));
    }
  });

  it('differs under another key, everywhere, so that no pseudonym can be computed without the deployment`s key', async () => {
    usePseudonymKey(KEY_A);
    const underA = await tokensOutsideTheTables();
    const pseudonymA = pseudonymOf(ID);
    usePseudonymKey(KEY_B);
    const underB = await tokensOutsideTheTables();
    const pseudonymB = pseudonymOf(ID);
    resetPseudonymKey();
    const local = pseudonymOf(ID);

    expect(pseudonymA).not.toBe(pseudonymB);
    expect(local).not.toBe(pseudonymA);
    expect(local).not.toBe(pseudonymB);
    expect(underB.execution).not.toBe(underA.execution);
    expect(underB.schedule).not.toBe(underA.schedule);
    expect(underB.billShock).not.toContain(pseudonymA);
    expect(underB.failureAlert).not.toContain(pseudonymA);
    // Nor is it the unsalted hash an attacker could compute by trying every id.
    expect(pseudonymA).not.toMatch(/939b97d82c4c/);
  });

  it('keeps names deterministic per request and within the services` limits, whatever the id', () => {
    usePseudonymKey(KEY_A);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }), fc.constantFrom('OVERAGE_CAP_REACHED', 'DATA_ALLOWANCE_100', 'CAPS_CHANGED', 'CAP_RESET'), (id, kind) => {
        const r = { ...request, subscriberId: id, kind: kind as PolicyRequest['kind'] };
        const execution = executionNameOf(r);
        const schedule = unbarScheduleNameOf(id, { ...bar, bucket: 'overage' });
        expect(execution).toBe(executionNameOf({ ...r }));
        expect(execution).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        expect(execution).toContain(pseudonymOf(id));
        expect(schedule).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
        expect(schedule).toContain(pseudonymOf(id));
        expect(executionNameOf({ ...r, crossingId: `${r.crossingId}x` })).not.toBe(execution);
      }),
    );
  });

  it('keys the carrier idempotency key and name digests too (no plain hash of the id anywhere)', () => {
    usePseudonymKey(KEY_A);
    const a = idempotencyKeyOf(ID, bar.id, 'BAR_DATA_ROAMING');
    const digest = keyedDigest([ID], 16);
    usePseudonymKey(KEY_B);

    expect(idempotencyKeyOf(ID, bar.id, 'BAR_DATA_ROAMING')).not.toBe(a);
    expect(keyedDigest([ID], 16)).not.toBe(digest);
    expect(digest).not.toBe(pseudonymOf(ID).slice(4));
  });

  it('refuses a key too short to be secret', () => {
    expect(() => usePseudonymKey('short')).toThrow(/at least 32 bytes/);
  });

  it('in Lambda, refuses to compute a pseudonym before the deployment`s key is loaded (never the public key)', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'spendcap-test';

    expect(() => pseudonymOf(ID)).toThrow(/pseudonym key not loaded/);
    usePseudonymKey(KEY_A);
    expect(pseudonymOf(ID)).toMatch(PSEUDONYM_PATTERN);
  });

  it('reads the key from its secret once per container, and reads again after a failure', async () => {
    const calls: string[] = [];
    let fail = true;
    const client = {
      send: async (command: GetSecretValueCommand) => {
        calls.push(command.input.SecretId ?? '');
        if (fail) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return { SecretString: KEY_B };
      },
    };
    const env = { PSEUDONYM_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:pseudonym' };

    await expect(loadPseudonymKey(env, client)).rejects.toThrow('pseudonym key: the secret could not be read (ThrottlingException)');
    fail = false;
    await loadPseudonymKey(env, client);
    await loadPseudonymKey(env, client);
    const loaded = pseudonymOf(ID);
    usePseudonymKey(KEY_B);

    expect(calls).toEqual([env.PSEUDONYM_KEY_SECRET_ARN, env.PSEUDONYM_KEY_SECRET_ARN]);
    expect(loaded).toBe(pseudonymOf(ID));
  });

  it('uses the public local key when no secret is bound (the local runtime)', async () => {
    await loadPseudonymKey({});
    const local = pseudonymOf(ID);
    usePseudonymKey(LOCAL_PSEUDONYM_KEY);

    expect(local).toBe(pseudonymOf(ID));
  });

  it('redacts identifiers from an outside error message: the id becomes its pseudonym, numbers and addresses disappear', () => {
    const text = redactIdentifiers(`refused ${MSISDN} (33612345678) for ${ID}, mail a.b@example.org`, { subscriberId: ID, others: [MSISDN, 'a.b@example.org'] });

    expect(text).toBe(`refused [redacted] ([redacted]) for ${pseudonymOf(ID)}, mail [redacted]`);
  });
});
