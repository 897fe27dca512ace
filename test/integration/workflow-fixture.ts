/**
 * The policy workflow as the local runtime runs it, for the workflow integration tests: the definition
 * synthesized from SpendcapStack, aws-local-stepfunctions, the real handlers, DynamoDB adapters on an
 * in-process dynalite, and outboxes for SNS, the carrier and Scheduler.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { TABLES, type TableName } from '../../shared/adapters/tables.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
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
  readonly bars: DynamoBarStore;
  readonly audit: DynamoAuditLog;
  readonly clock: TestClock;
  /** Side effects in the order they happened: `command:<COMMAND>` / `notify:<KIND>:<channel>`. */
  readonly sequence: string[];
  addProfile(input: Record<string, unknown>): Promise<SubscriberProfile>;
}

export interface Database {
  readonly documents: DynamoDBDocumentClient;
  readonly tableNames: Readonly<Record<TableName, string>>;
  stop(): Promise<void>;
}

export async function startDatabase(): Promise<Database> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-3',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableNames = { usage: 'wf-usage', profiles: 'wf-profiles', audit: 'wf-audit' } as const;
  for (const name of Object.keys(TABLES) as TableName[]) {
    const design: { partitionKey: string; sortKey?: string } = TABLES[name];
    const keys: KeySchemaElement[] = [{ AttributeName: design.partitionKey, KeyType: 'HASH' }];
    const attributes: AttributeDefinition[] = [{ AttributeName: design.partitionKey, AttributeType: 'S' }];
    if (design.sortKey !== undefined) {
      keys.push({ AttributeName: design.sortKey, KeyType: 'RANGE' });
      attributes.push({ AttributeName: design.sortKey, AttributeType: 'S' });
    }
    await client.send(new CreateTableCommand({ TableName: tableNames[name], KeySchema: keys, AttributeDefinitions: attributes, BillingMode: 'PAY_PER_REQUEST' }));
  }
  return {
    documents: documentClientOf(client),
    tableNames,
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function createWorld(db: Database, start = '2026-09-10T12:00:00Z'): WorkflowWorld {
  const notifications = new NotificationOutbox();
  const carrier = new CarrierOutbox();
  const schedules = new ScheduleOutbox();
  const profiles = new DynamoProfileStore({ client: db.documents, tableName: db.tableNames.profiles });
  const bars = new DynamoBarStore({ client: db.documents, tableName: db.tableNames.usage });
  const audit = new DynamoAuditLog({ client: db.documents, tableName: db.tableNames.audit });
  const clock = new TestClock(start);
  const sequence: string[] = [];
  carrier.onCommand((c) => sequence.push(`command:${c.command}`));
  notifications.onNotification((n) => sequence.push(`notify:${n.kind}:${n.channel}`));
  const workflow = createLocalPolicyWorkflow({
    definition: loadPolicyDefinition(),
    deps: { profiles, bars, audit, notifier: notifications, carrier, scheduler: schedules, clock, settings: DEFAULT_SETTINGS, opsAddress: OPS_ADDRESS },
  });
  return {
    workflow,
    notifications,
    carrier,
    schedules,
    profiles,
    bars,
    audit,
    clock,
    sequence,
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
