/**
 * The policy workflow as the local runtime runs it, for the workflow integration tests: the definition
 * synthesized from SpendcapStack, aws-local-stepfunctions, the real handlers, DynamoDB adapters on an
 * in-process dynalite, and outboxes for SNS, the carrier and Scheduler.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import type { TableName } from '../../shared/adapters/tables.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { startTestTables } from '../support/dynalite.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { emptyCounters } from '../../shared/domain/counters.js';
import type { PeriodCounters, SubscriberProfile } from '../../shared/domain/model.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import type { Clock } from '../../shared/ports/clock.js';
import { CarrierOutbox, NotificationOutbox, ScheduleOutbox } from '../../local/outboxes.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { createLocalPolicyWorkflow, type LocalPolicyWorkflow } from '../../local/workflow-runner.js';

export const OPS_ADDRESS = 'arn:aws:sns:eu-west-3:123456789012:spendcap-ops';

/** A clock the test sets, as the replay's virtual clock does. */
export class TestClock implements Clock {
  private current: number;
  constructor(start: string) {
    this.current = Date.parse(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = Date.parse(iso);
  }
}

export interface WorkflowWorld {
  readonly workflow: LocalPolicyWorkflow;
  readonly notifications: NotificationOutbox;
  readonly carrier: CarrierOutbox;
  readonly schedules: ScheduleOutbox;
  readonly profiles: DynamoProfileStore;
  readonly usage: DynamoUsageStore;
  readonly line: DynamoBarStore;
  readonly audit: DynamoAuditLog;
  readonly clock: TestClock;
  /** Side effects in the order they happened: `command:<COMMAND>` / `notify:<KIND>:<channel>`. */
  readonly sequence: string[];
  addProfile(input: Record<string, unknown>): Promise<SubscriberProfile>;
  /** Sets a period's charges (and consent), as ingest or self-care would have written them. */
  spend(subscriberId: string, period: string, change: { roaming?: number; overage?: number; consent?: PeriodCounters['consent'] }): Promise<void>;
}

export interface Database {
  readonly documents: DynamoDBDocumentClient;
  readonly tableNames: Readonly<Record<TableName, string>>;
  stop(): Promise<void>;
}

export async function startDatabase(): Promise<Database> {
  return startTestTables();
}

export function createWorld(db: Database, start = '2026-09-10T12:00:00Z'): WorkflowWorld {
  const notifications = new NotificationOutbox();
  const carrier = new CarrierOutbox();
  const schedules = new ScheduleOutbox();
  const profiles = new DynamoProfileStore({ client: db.documents, tableName: db.tableNames.profiles });
  const line = new DynamoBarStore({ client: db.documents, tableName: db.tableNames.usage });
  const usage = new DynamoUsageStore({ client: db.documents, tableName: db.tableNames.usage });
  const audit = new DynamoAuditLog({ client: db.documents, tableName: db.tableNames.audit });
  const clock = new TestClock(start);
  const sequence: string[] = [];
  carrier.onCommand((c) => sequence.push(`command:${c.command}`));
  notifications.onNotification((n) => sequence.push(`notify:${n.kind}:${n.channel}`));
  const workflow = createLocalPolicyWorkflow({
    definition: loadPolicyDefinition(),
    deps: { profiles, usage, line, audit, notifier: notifications, carrier, scheduler: schedules, clock, settings: DEFAULT_SETTINGS, opsAddress: OPS_ADDRESS },
  });
  return {
    workflow,
    notifications,
    carrier,
    schedules,
    profiles,
    usage,
    line,
    audit,
    clock,
    sequence,
    async spend(subscriberId, period, change) {
      const stored = (await usage.load(subscriberId, [period])).counters.get(period);
      const base = stored?.counters ?? emptyCounters(subscriberId, period);
      const bucket = (micros: number | undefined, was: PeriodCounters['roaming']) =>
        micros === undefined ? was : { chargeMicros: micros, billableMicros: Math.min(micros, 50_000_000), writtenOffMicros: Math.max(0, micros - 50_000_000) };
      const counters: PeriodCounters = {
        ...base,
        roaming: bucket(change.roaming, base.roaming),
        overage: bucket(change.overage, base.overage),
        consent: change.consent ?? base.consent,
      };
      const { saved } = await usage.saveCounters({ counters, expectedVersion: stored?.version ?? 0, applied: stored?.applied ?? {}, pending: [] });
      if (!saved) throw new Error('counters changed concurrently');
    },
    async addProfile(input) {
      const parsed = parseSubscriberProfile({ msisdn: '+33600000000', plan: { dataAllowanceBytes: 1_000_000_000 }, ...input });
      if (!parsed.ok) throw new Error(parsed.reason);
      await profiles.put(parsed.value);
      return parsed.value;
    },
  };
}

let counter = 0;
/** A subscriber id no other test uses (the tables are shared by the file's tests). */
export function freshId(prefix: string): string {
  return `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}
