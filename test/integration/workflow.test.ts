/**
 * The policy workflow end to end, locally: the state machine definition synthesized from the CDK stack,
 * executed by aws-local-stepfunctions, every Task bound to the real handler (createHandler) with outbox
 * adapters for SNS, the carrier and Scheduler, and the DynamoDB adapters on dynalite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { messageContextFor, renderMessage } from '../../shared/domain/messages.js';
import { NOTIFICATION_KINDS, type Channel, type Locale, type NotificationKind, type PolicyRequest } from '../../shared/domain/model.js';
import { subscriberKeyOf } from '../../shared/ports/notifier.js';
import { capResetOf } from '../../shared/policy/reconcile-line.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { taskStatesOf } from '../../local/workflow-runner.js';
import { POLICY_STATES, POLICY_TASKS } from '../../shared/policy/workflow-states.js';
import { pseudonymOf } from '../../shared/privacy/pseudonym.js';
import { barOf, setBars } from '../support/bars.js';
import { createWorld, freshId, OPS_ADDRESS, startDatabase, type Database, type WorkflowWorld } from './workflow-fixture.js';

const PERIOD = '2026-09-01';
const AT = '2026-09-10T12:00:00.000Z';
const SEP_END = '2026-09-30T22:00:00Z';
const SWISS_PLMN = '22801';

let db: Database;

beforeAll(async () => {
  db = await startDatabase();
  // Synthesizes SpendcapStack once for the file (cached by the loader).
  loadPolicyDefinition();
}, 120_000);

afterAll(async () => {
  await db.stop();
});

function requestOf(subscriberId: string, kind: PolicyRequest['kind'], extra: Partial<PolicyRequest> = {}): PolicyRequest {
  const spend = kind === 'ROAMING_SPEND_80' || kind === 'OVERAGE_SPEND_80' ? { spentMicros: 40_000_000 } : {};
  const plmn = kind.startsWith('ROAMING') ? { servingPlmn: SWISS_PLMN } : {};
  const crossingId = kind === 'ROAMING_WELCOME' ? 'ROAMING_WELCOME#e1' : kind.includes('SPEND') || kind.includes('CAP_REACHED') ? `${kind}@50000000` : kind;
  return { kind, subscriberId, period: PERIOD, crossingId, at: AT, ...plmn, ...spend, ...extra };
}

/** The request a notification kind is sent for, with the line it needs (a bar to lift, a cap spent). */
async function arrange(world: WorkflowWorld, id: string, kind: NotificationKind): Promise<PolicyRequest> {
  switch (kind) {
    case 'ROAMING_CAP_REACHED':
      await world.spend(id, PERIOD, { roaming: 50_000_000 });
      return requestOf(id, kind);
    case 'OVERAGE_CAP_REACHED':
      await world.spend(id, PERIOD, { overage: 50_000_000 });
      return requestOf(id, kind);
    case 'CAP_RESET': {
      const bar = barOf('roaming', PERIOD, SEP_END);
      await setBars(world.line, id, { roaming: bar });
      world.clock.set(SEP_END);
      return capResetOf(id, bar);
    }
    case 'ROAMING_RESUMED':
      await setBars(world.line, id, { roaming: barOf('roaming', PERIOD, SEP_END) });
      return { kind: 'CAPS_CHANGED', subscriberId: id, period: PERIOD, crossingId: 'CAPS_CHANGED#r9', at: AT };
    default:
      return requestOf(id, kind);
  }
}

describe('the definition', () => {
  it('is the one synthesized from the stack, with every Task bound to a handler by its state name', () => {
    const definition = loadPolicyDefinition();
    const tasks = taskStatesOf(definition).map((t) => t.name).sort();

    expect(definition.StartAt).toBe(POLICY_STATES.lineNeeded);
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(tasks).toEqual(Object.keys(POLICY_TASKS).sort());
  });
});

const KINDS: readonly NotificationKind[] = NOTIFICATION_KINDS;

describe('every notification kind, in French and in English', () => {
  const cases = KINDS.flatMap((kind) => (['fr', 'en'] as const).map((locale) => [kind, locale] as const));

  it.each(cases)('%s in %s: the text of the templates in the subscriber language, sent and audited', async (kind, locale: Locale) => {
    const world = createWorld(db);
    const id = freshId(`K-${locale}`);
    const profile = await world.addProfile({ subscriberId: id, locale, msisdn: '+33611111111' });
    const request = await arrange(world, id, kind);
    const channel: Channel = kind === 'BILL_SHOCK_ALERT' ? 'ops' : 'sms';
    const at = world.clock.now().toISOString();

    const execution = await world.workflow.run(request);

    expect(execution.status).toBe('SUCCEEDED');
    const about = { ...request, kind, ...(kind === 'ROAMING_RESUMED' && { bucket: 'roaming' as const }), ...(kind === 'CAP_RESET' && { bucket: 'roaming' as const }) };
    // The ops alert names the subscriber by its pseudonym (never the id).
    const expectedText = renderMessage(kind, locale, messageContextFor(about, profile, DEFAULT_SETTINGS, undefined, pseudonymOf(profile.subscriberId)), channel);
    expect(world.notifications.all()).toEqual([
      { subscriberId: id, kind, channel, to: channel === 'ops' ? OPS_ADDRESS : '+33611111111', text: expectedText, at, ...(channel === 'ops' && { subject: expect.any(String) }) },
    ]);
    const audited = await world.audit.list(id);
    expect(audited).toContainEqual(expect.objectContaining({ type: 'NOTIFICATION', kind, channel, text: expectedText, at, crossingId: request.crossingId }));
  });
});

describe('the cap bar', () => {
  it('schedules the lift at the period end, bars data roaming, then sends the SMS that says so', async () => {
    const world = createWorld(db);
    const id = freshId('BAR');
    await world.addProfile({ subscriberId: id, locale: 'fr' });
    await world.spend(id, PERIOD, { roaming: 52_000_000 });
    const request = requestOf(id, 'ROAMING_CAP_REACHED');
    const order: string[] = [];
    world.schedules.onSchedule(() => order.push('schedule'));
    world.carrier.onCommand((c) => order.push(c.command));
    world.notifications.onNotification((n) => order.push(n.kind));

    const execution = await world.workflow.run(request);

    expect(execution.status).toBe('SUCCEEDED');
    expect(order).toEqual(['schedule', 'BAR_DATA_ROAMING', 'ROAMING_CAP_REACHED']);
    expect(world.carrier.all()).toEqual([
      {
        subscriberId: id,
        command: 'BAR_DATA_ROAMING',
        at: AT,
        reason: 'ROAMING_CAP_REACHED@50000000',
        idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/),
        barEndsAt: '2026-09-30T22:00:00Z',
      },
    ]);
    const bar = (await world.line.get(id)).bars.roaming;
    // Midnight in Paris (UTC+2 in summer) on October 1st.
    expect(bar).toEqual({ id: `${PERIOD}/roaming/ROAMING_CAP_REACHED@50000000`, bucket: 'roaming', period: PERIOD, placedAt: AT, until: SEP_END, reason: 'ROAMING_CAP_REACHED@50000000' });
    expect(world.schedules.pending()).toEqual([{ name: expect.stringMatching(/^unbar-roaming-2026-09-01-/), at: SEP_END, request: capResetOf(id, bar!) }]);
    const trail = await world.audit.list(id);
    expect(trail.map((e) => e.type).sort()).toEqual(['CARRIER_COMMAND', 'NOTIFICATION', 'UNBAR_SCHEDULED']);
    expect(trail).toContainEqual(expect.objectContaining({ type: 'CARRIER_COMMAND', command: 'BAR_DATA_ROAMING', status: 'DONE', barId: bar?.id }));
  });

  it('bars out-of-bundle data at home on the overage cap', async () => {
    const world = createWorld(db);
    const id = freshId('OVR');
    await world.addProfile({ subscriberId: id, locale: 'en' });
    await world.spend(id, PERIOD, { overage: 55_000_000 });

    const execution = await world.workflow.run(requestOf(id, 'OVERAGE_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_OVERAGE']);
    expect((await world.line.get(id)).bars.overage?.period).toBe(PERIOD);
    expect(world.schedules.pending().map((s) => s.request.bucket)).toEqual(['overage']);
  });

  it('no bar and no message when the subscriber consented before the crossing was handled', async () => {
    const world = createWorld(db);
    const id = freshId('CONSENTED');
    await world.addProfile({ subscriberId: id });
    await world.spend(id, PERIOD, { roaming: 60_000_000, consent: { roaming: true, overage: false } });

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.all()).toEqual([]);
    expect(world.notifications.all()).toEqual([]);
  });
});

describe('when a bar cannot go out', () => {
  it('a transient carrier error is retried and the command then goes through once', async () => {
    const world = createWorld(db);
    const id = freshId('RETRY');
    await world.addProfile({ subscriberId: id });
    await world.spend(id, PERIOD, { roaming: 50_000_000 });
    world.carrier.failNext(2, 'transient');

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.attempts).toBe(3);
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING']);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED']);
    expect(world.notifications.opsAlerts()).toEqual([]);
  });

  it('a carrier that keeps failing: bounded retries, ops alert, failure in the trail, failed execution, no false "stopped" SMS', async () => {
    const world = createWorld(db);
    const id = freshId('DOWN');
    await world.addProfile({ subscriberId: id });
    await world.spend(id, PERIOD, { roaming: 50_000_000 });
    world.carrier.failNext(100, 'transient');

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('FAILED');
    expect(execution.error?.Error).toBe('LineReconcileFailed');
    expect(execution.error?.Cause).toContain('BAR_DATA_ROAMING');
    // MaxAttempts 8 after the first attempt.
    expect(world.carrier.attempts).toBe(9);
    expect(world.carrier.all()).toEqual([]);
    expect(world.notifications.of(id)).toEqual([]);
    expect((await world.line.get(id)).bars).toEqual({});
    const alerts = world.notifications.opsAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toBe('spendcap: line reconcile failed (ROAMING_CAP_REACHED)');
    expect(alerts[0]?.text).toContain(subscriberKeyOf(id));
    expect(alerts[0]?.text).not.toContain(id);
    expect(await world.audit.list(id)).toContainEqual(expect.objectContaining({ type: 'LINE_FAILED', kind: 'ROAMING_CAP_REACHED', error: expect.stringContaining('CarrierTransientError') }));
  });

  it('a command the carrier refuses is not retried: reported at once, and the line is left as it was', async () => {
    const world = createWorld(db);
    const id = freshId('REFUSED');
    await world.addProfile({ subscriberId: id });
    await world.spend(id, PERIOD, { overage: 50_000_000 });
    world.carrier.failNext(1, 'permanent');

    const execution = await world.workflow.run(requestOf(id, 'OVERAGE_CAP_REACHED'));

    expect(execution.status).toBe('FAILED');
    expect(world.carrier.attempts).toBe(1);
    expect(world.notifications.opsAlerts()).toHaveLength(1);
    expect(await world.line.get(id)).toEqual({ bars: {}, pending: {} });
    expect(await world.audit.list(id)).toContainEqual(expect.objectContaining({ type: 'LINE_FAILED', error: expect.stringContaining('CarrierRejectedError') }));
  });

  it('a lift that cannot be scheduled: no bar is sent, operations are alerted and the execution fails visibly', async () => {
    const world = createWorld(db);
    const id = freshId('NOSCHED');
    await world.addProfile({ subscriberId: id });
    await world.spend(id, PERIOD, { roaming: 50_000_000 });
    world.schedules.failNext(100, 'transient');

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('FAILED');
    expect(world.carrier.attempts).toBe(0);
    expect(world.notifications.of(id)).toEqual([]);
    expect((await world.line.get(id)).bars).toEqual({});
    expect(world.notifications.opsAlerts().map((a) => a.subject)).toEqual(['spendcap: line reconcile failed (ROAMING_CAP_REACHED)']);
  });
});

describe('subscriber choices', () => {
  it('an opted-out subscriber (cap disabled) is neither warned nor barred', async () => {
    const world = createWorld(db);
    const id = freshId('OPTOUT');
    await world.addProfile({ subscriberId: id, roamingCap: { enabled: false } });
    await world.spend(id, PERIOD, { roaming: 80_000_000 });

    const capReached = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));
    const warning = await world.workflow.run(requestOf(id, 'ROAMING_SPEND_80'));

    expect(capReached.status).toBe('SUCCEEDED');
    expect(warning.status).toBe('SUCCEEDED');
    expect(world.carrier.all()).toEqual([]);
    expect(world.notifications.all()).toEqual([]);
    expect(world.schedules.all()).toEqual([]);
    expect((await world.line.get(id)).bars).toEqual({});
  });

  it('with every channel off, the bar still applies and nothing is sent', async () => {
    const world = createWorld(db);
    const id = freshId('SILENT');
    await world.addProfile({ subscriberId: id, notifications: { sms: false, email: false } });
    await world.spend(id, PERIOD, { roaming: 50_000_000 });

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING']);
    expect(world.notifications.all()).toEqual([]);
    expect((await world.line.get(id)).bars.roaming).toMatchObject({ period: PERIOD });
    expect(world.schedules.pending()).toHaveLength(1);
  });

  it('the e-mail channel gets the e-mail form with a subject, the account for the managers\' copies, besides the SMS', async () => {
    const world = createWorld(db);
    const id = freshId('MAIL');
    const profile = await world.addProfile({ subscriberId: id, locale: 'en', email: 'p2@example.org', accountId: 'ACME', notifications: { sms: true, email: true } });
    const request = requestOf(id, 'OVERAGE_SPEND_80');

    await world.workflow.run(request);

    const context = messageContextFor({ ...request, kind: 'OVERAGE_SPEND_80' }, profile, DEFAULT_SETTINGS);
    expect(world.notifications.all()).toEqual([
      { subscriberId: id, kind: 'OVERAGE_SPEND_80', channel: 'sms', to: '+33600000000', text: renderMessage('OVERAGE_SPEND_80', 'en', context, 'sms'), at: AT, accountId: 'ACME' },
      {
        subscriberId: id,
        kind: 'OVERAGE_SPEND_80',
        channel: 'email',
        to: 'p2@example.org',
        text: renderMessage('OVERAGE_SPEND_80', 'en', context, 'email'),
        at: AT,
        subject: '80% of your out-of-bundle limit',
        accountId: 'ACME',
      },
    ]);
  });

  it('an unknown subscriber fails the execution visibly and sends nothing', async () => {
    const world = createWorld(db);

    const execution = await world.workflow.run(requestOf(freshId('NOBODY'), 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('FAILED');
    expect(execution.error?.Error).toBe('LineReconcileFailed');
    expect(execution.error?.Cause).toContain('unknown subscriber');
    expect(world.carrier.attempts).toBe(0);
    expect(world.notifications.all()).toEqual([]);
  });
});

describe('idempotency', () => {
  it('the same request in two executions sends one SMS and one carrier command', async () => {
    const world = createWorld(db);
    const id = freshId('TWICE');
    await world.addProfile({ subscriberId: id });
    await world.spend(id, PERIOD, { roaming: 50_000_000 });
    const request = requestOf(id, 'ROAMING_CAP_REACHED');

    const first = await world.workflow.run(request);
    world.clock.set('2026-09-10T12:05:00Z');
    const second = await world.workflow.run(request);

    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(world.carrier.attempts).toBe(1);
    expect(world.notifications.of(id)).toHaveLength(1);
    expect(world.schedules.all()).toHaveLength(1);
  });

  it('the starter de-duplicates by execution name, like StartExecution, and waits for each execution', async () => {
    const world = createWorld(db);
    const id = freshId('START');
    await world.addProfile({ subscriberId: id });
    const request = requestOf(id, 'DATA_ALLOWANCE_80');

    await world.workflow.starter.start([request, request]);
    await world.workflow.starter.start([request]);

    expect(world.workflow.executions()).toHaveLength(1);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['DATA_ALLOWANCE_80']);
  });
});

describe('notification failures', () => {
  it('an SMS that cannot be sent is reported to ops and fails the execution, the e-mail still goes out', async () => {
    const world = createWorld(db);
    const id = freshId('SMSFAIL');
    await world.addProfile({ subscriberId: id, email: 'x@example.org', notifications: { sms: true, email: true } });
    world.notifications.failNext(1, 'permanent');

    const execution = await world.workflow.run(requestOf(id, 'DATA_ALLOWANCE_100'));

    expect(execution.status).toBe('FAILED');
    expect(execution.error?.Error).toBe('NotificationFailed');
    expect(world.notifications.of(id).map((n) => n.channel)).toEqual(['email']);
    expect(world.notifications.opsAlerts().map((a) => a.subject)).toEqual(['spendcap: DATA_ALLOWANCE_100 sms notification failed']);
    expect(await world.audit.list(id)).toContainEqual(expect.objectContaining({ type: 'NOTIFICATION_FAILED', channel: 'sms', kind: 'DATA_ALLOWANCE_100' }));
  });

  it('a transient SNS error is retried', async () => {
    const world = createWorld(db);
    const id = freshId('SMSRETRY');
    await world.addProfile({ subscriberId: id });
    world.notifications.failNext(2, 'transient');

    const execution = await world.workflow.run(requestOf(id, 'DATA_ALLOWANCE_80'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['DATA_ALLOWANCE_80']);
  });
});
