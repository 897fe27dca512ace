/**
 * The policy workflow end to end, locally: the state machine definition synthesized from the CDK stack,
 * executed by aws-local-stepfunctions, every Task bound to the real handler (createHandler) with outbox
 * adapters for SNS, the carrier and Scheduler, and the DynamoDB adapters on dynalite.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { messageContextFor, renderMessage } from '../../shared/domain/messages.js';
import { NOTIFICATION_KINDS, type Channel, type Locale, type NotificationKind } from '../../shared/domain/model.js';
import { nextPeriodStart } from '../../shared/domain/periods.js';
import type { PolicyRequest } from '../../shared/ports/policy-workflow.js';
import { subscriberKeyOf } from '../../shared/ports/notifier.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { taskStatesOf } from '../../local/workflow-runner.js';
import { POLICY_STATES, POLICY_TASKS } from '../../shared/policy/workflow-states.js';
import { createWorld, freshId, OPS_ADDRESS, startDatabase, type Database } from './workflow-fixture.js';

const PERIOD = '2026-09-01';
const AT = '2026-09-10T12:00:00.000Z';
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
  const bucket =
    kind === 'CAP_RESET' || kind === 'ROAMING_RESUMED' ? { bucket: 'roaming' as const } : {};
  const plmn = kind.startsWith('ROAMING') || kind === 'CAP_RESET' ? { servingPlmn: SWISS_PLMN } : {};
  const crossingId =
    kind === 'CAP_RESET' ? 'CAP_RESET#roaming' : kind === 'ROAMING_WELCOME' ? 'ROAMING_WELCOME#e1' : kind.includes('SPEND') || kind.includes('CAP_REACHED') ? `${kind}@50000000` : kind;
  return { kind, subscriberId, period: PERIOD, crossingId, at: AT, ...bucket, ...plmn, ...spend, ...extra };
}

describe('the definition', () => {
  it('is the one synthesized from the stack, with every Task bound to a handler by its state name', () => {
    const definition = loadPolicyDefinition();
    const tasks = taskStatesOf(definition).map((t) => t.name).sort();

    expect(definition.StartAt).toBe(POLICY_STATES.plan);
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
    // A CAP_RESET only speaks of a bar that a cap placed in its period.
    if (kind === 'CAP_RESET') await world.bars.place(id, 'dataRoaming', { period: PERIOD, at: AT, reason: 'ROAMING_CAP_REACHED@50000000' });
    const request = requestOf(id, kind);
    const channel: Channel = kind === 'BILL_SHOCK_ALERT' ? 'ops' : 'sms';

    const execution = await world.workflow.run(request);

    expect(execution.status).toBe('SUCCEEDED');
    const expectedText = renderMessage(kind, locale, messageContextFor(request, profile, DEFAULT_SETTINGS), channel);
    expect(world.notifications.all()).toEqual([
      { subscriberId: id, kind, channel, to: channel === 'ops' ? OPS_ADDRESS : '+33611111111', text: expectedText, at: AT, ...(channel === 'ops' && { subject: expect.any(String) }) },
    ]);
    const audited = await world.audit.list(id);
    expect(audited).toContainEqual(expect.objectContaining({ type: 'NOTIFICATION', kind, channel, text: expectedText, at: AT, crossingId: request.crossingId }));
  });

  it('the two languages differ for every kind', async () => {
    const texts = new Map<string, string>();
    for (const locale of ['fr', 'en'] as const) {
      const world = createWorld(db);
      const id = freshId(`L-${locale}`);
      await world.addProfile({ subscriberId: id, locale });
      await world.bars.place(id, 'dataRoaming', { period: PERIOD, at: AT, reason: 'x' });
      for (const kind of KINDS) await world.workflow.run(requestOf(id, kind));
      for (const n of world.notifications.all()) texts.set(`${n.kind}:${locale}`, n.text);
    }

    for (const kind of KINDS) {
      expect(texts.get(`${kind}:fr`), kind).toBeDefined();
      expect(texts.get(`${kind}:fr`)).not.toBe(texts.get(`${kind}:en`));
    }
  });
});

describe('the cap bar', () => {
  it('bars data roaming before the SMS that says so, records the bar, and schedules the un-bar at the next period start', async () => {
    const world = createWorld(db);
    const id = freshId('BAR');
    const profile = await world.addProfile({ subscriberId: id, locale: 'fr' });
    const request = requestOf(id, 'ROAMING_CAP_REACHED');

    const execution = await world.workflow.run(request);

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.sequence).toEqual(['command:BAR_DATA_ROAMING', 'notify:ROAMING_CAP_REACHED:sms']);
    expect(world.carrier.all()).toEqual([
      { subscriberId: id, command: 'BAR_DATA_ROAMING', at: AT, reason: 'ROAMING_CAP_REACHED@50000000', idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect(await world.bars.get(id)).toEqual({ dataRoaming: { period: PERIOD, at: AT, reason: 'ROAMING_CAP_REACHED@50000000' } });
    const runAt = nextPeriodStart(PERIOD, profile.plan);
    // Midnight in Paris (UTC+2 in summer) on October 1st.
    expect(Date.parse(runAt)).toBe(Date.parse('2026-09-30T22:00:00Z'));
    expect(world.schedules.pending()).toEqual([
      { name: expect.stringMatching(/^unbar-roaming-2026-09-01-/), at: runAt, request: { kind: 'CAP_RESET', subscriberId: id, period: PERIOD, crossingId: 'CAP_RESET#roaming', at: runAt, bucket: 'roaming' } },
    ]);
    const trail = await world.audit.list(id);
    expect(trail.map((e) => e.type).sort()).toEqual(['CARRIER_COMMAND', 'NOTIFICATION', 'UNBAR_SCHEDULED']);
    expect(trail).toContainEqual(expect.objectContaining({ type: 'CARRIER_COMMAND', command: 'BAR_DATA_ROAMING', status: 'DONE' }));
  });

  it('bars out-of-bundle data at home on the overage cap', async () => {
    const world = createWorld(db);
    const id = freshId('OVR');
    await world.addProfile({ subscriberId: id, locale: 'en' });

    const execution = await world.workflow.run(requestOf(id, 'OVERAGE_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_OVERAGE']);
    expect((await world.bars.get(id)).dataOverage?.period).toBe(PERIOD);
    expect(world.schedules.pending().map((s) => s.request.bucket)).toEqual(['overage']);
  });
});

describe('carrier failures', () => {
  it('a transient carrier error is retried and the command then goes through once', async () => {
    const world = createWorld(db);
    const id = freshId('RETRY');
    await world.addProfile({ subscriberId: id });
    world.carrier.failNext(2, 'transient');

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.attempts).toBe(3);
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING']);
    expect(world.notifications.of(id).map((n) => n.kind)).toEqual(['ROAMING_CAP_REACHED']);
    expect(world.notifications.opsAlerts()).toEqual([]);
  });

  it('a carrier that keeps failing: bounded retries, ops alert, FAILED audit entry, failed execution, no false "stopped" SMS', async () => {
    const world = createWorld(db);
    const id = freshId('DOWN');
    await world.addProfile({ subscriberId: id });
    world.carrier.failNext(100, 'transient');

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('FAILED');
    expect(execution.error?.Error).toBe('CarrierCommandFailed');
    expect(execution.error?.Cause).toContain('BAR_DATA_ROAMING');
    // MaxAttempts 6 after the first attempt.
    expect(world.carrier.attempts).toBe(7);
    expect(world.carrier.all()).toEqual([]);
    expect(world.notifications.of(id)).toEqual([]);
    expect(await world.bars.get(id)).toEqual({});
    const alerts = world.notifications.opsAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toBe('spendcap: carrier command BAR_DATA_ROAMING failed');
    expect(alerts[0]?.text).toContain(subscriberKeyOf(id));
    expect(alerts[0]?.text).not.toContain(id);
    const trail = await world.audit.list(id);
    expect(trail).toEqual([
      expect.objectContaining({ type: 'CARRIER_COMMAND', command: 'BAR_DATA_ROAMING', status: 'FAILED', error: expect.stringContaining('CarrierTransientError') }),
    ]);
  });

  it('a command the carrier refuses is not retried: reported at once', async () => {
    const world = createWorld(db);
    const id = freshId('REFUSED');
    await world.addProfile({ subscriberId: id });
    world.carrier.failNext(1, 'permanent');

    const execution = await world.workflow.run(requestOf(id, 'OVERAGE_CAP_REACHED'));

    expect(execution.status).toBe('FAILED');
    expect(world.carrier.attempts).toBe(1);
    expect(world.notifications.opsAlerts()).toHaveLength(1);
    expect(await world.audit.list(id)).toEqual([expect.objectContaining({ status: 'FAILED', error: expect.stringContaining('CarrierRejectedError') })]);
  });
});

describe('subscriber choices', () => {
  it('an opted-out subscriber (cap disabled) is neither warned nor barred', async () => {
    const world = createWorld(db);
    const id = freshId('OPTOUT');
    await world.addProfile({ subscriberId: id, roamingCap: { enabled: false } });

    const capReached = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));
    const warning = await world.workflow.run(requestOf(id, 'ROAMING_SPEND_80'));

    expect(capReached.status).toBe('SUCCEEDED');
    expect(warning.status).toBe('SUCCEEDED');
    expect(world.carrier.all()).toEqual([]);
    expect(world.notifications.all()).toEqual([]);
    expect(world.schedules.all()).toEqual([]);
    expect(await world.bars.get(id)).toEqual({});
  });

  it('with every channel off, the bar still applies and nothing is sent', async () => {
    const world = createWorld(db);
    const id = freshId('SILENT');
    await world.addProfile({ subscriberId: id, notifications: { sms: false, email: false } });

    const execution = await world.workflow.run(requestOf(id, 'ROAMING_CAP_REACHED'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.carrier.all().map((c) => c.command)).toEqual(['BAR_DATA_ROAMING']);
    expect(world.notifications.all()).toEqual([]);
    expect((await world.bars.get(id)).dataRoaming).toMatchObject({ period: PERIOD });
    expect(world.schedules.pending()).toHaveLength(1);
  });

  it('the e-mail channel gets the e-mail form with a subject, the account for the managers\' copies, besides the SMS', async () => {
    const world = createWorld(db);
    const id = freshId('MAIL');
    const profile = await world.addProfile({ subscriberId: id, locale: 'en', email: 'p2@example.org', accountId: 'ACME', notifications: { sms: true, email: true } });
    const request = requestOf(id, 'OVERAGE_SPEND_80');

    await world.workflow.run(request);

    const context = messageContextFor(request, profile, DEFAULT_SETTINGS);
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
    expect(execution.error?.Error).toBe('UnknownSubscriberError');
    expect(world.carrier.attempts).toBe(0);
    expect(world.notifications.all()).toEqual([]);
  });
});

describe('idempotency', () => {
  it('the same request in two executions sends one SMS and one carrier command', async () => {
    const world = createWorld(db);
    const id = freshId('TWICE');
    await world.addProfile({ subscriberId: id });
    const request = requestOf(id, 'ROAMING_CAP_REACHED');

    const first = await world.workflow.run(request);
    world.clock.set('2026-09-10T12:05:00Z');
    const second = await world.workflow.run(request);

    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(world.carrier.attempts).toBe(1);
    expect(world.carrier.all()).toHaveLength(1);
    expect(world.notifications.of(id)).toHaveLength(1);
    expect(world.schedules.all()).toHaveLength(1);
  });

  it('the at-least-once window: a crash after the carrier accepted, before DONE, resends with the same idempotency key', async () => {
    const world = createWorld(db);
    const id = freshId('CRASH');
    await world.addProfile({ subscriberId: id });
    const request = requestOf(id, 'OVERAGE_CAP_REACHED');
    await world.workflow.run(request);
    // The crash, replayed on the stored state: the guard still PENDING, the bar not yet recorded.
    await db.documents.send(
      new UpdateCommand({
        TableName: db.tableNames.audit,
        Key: { pk: id, sk: `G#${PERIOD}#${request.crossingId}#BAR_DATA_OVERAGE` },
        UpdateExpression: 'SET #s = :pending',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':pending': 'PENDING' },
      }),
    );
    await world.bars.lift(id, 'dataOverage');

    await world.workflow.run(request);

    const commands = world.carrier.all();
    expect(commands.map((c) => c.command)).toEqual(['BAR_DATA_OVERAGE', 'BAR_DATA_OVERAGE']);
    // What lets the carrier apply it once.
    expect(commands[0]?.idempotencyKey).toBe(commands[1]?.idempotencyKey);
    // The SMS guard was DONE: no second message.
    expect(world.notifications.of(id)).toHaveLength(1);
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
