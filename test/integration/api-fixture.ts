/**
 * The self-care API against dynalite started in-process: the real DynamoDB adapters on the three tables
 * (key schemas from shared/adapters/tables.ts), a settable clock, and a workflow starter that records the
 * requests it is given (the state machine itself is tested by the workflow tests).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import type { TableName } from '../../shared/adapters/tables.js';
import { startTestTables } from '../support/dynalite.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import { DynamoProfileFields } from '../../shared/adapters/dynamo-profile-fields.js';
import { DynamoSubscriberDirectory } from '../../shared/adapters/dynamo-subscriber-directory.js';
import type { SelfCareDeps } from '../../shared/selfcare/use-cases.js';

export class RecordingStarter implements PolicyWorkflowStarter {
  readonly started: PolicyRequest[] = [];
  async start(requests: readonly PolicyRequest[]): Promise<void> {
    this.started.push(...requests);
  }
}

export class SettableClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return new Date(this.instant);
  }
  set(iso: string): void {
    this.instant = new Date(iso);
  }
}

export interface ApiWorld {
  readonly documents: DynamoDBDocumentClient;
  readonly tables: Readonly<Record<TableName, string>>;
  readonly profiles: DynamoProfileStore;
  readonly usage: DynamoUsageStore;
  readonly bars: DynamoBarStore;
  readonly audit: DynamoAuditLog;
  readonly starter: RecordingStarter;
  readonly clock: SettableClock;
  readonly settings: PolicySettings;
  /** Deps of the use cases, with the usage store replaceable (to simulate a concurrent ingest). */
  deps(overrides?: { usage?: SelfCareDeps['usage'] }): SelfCareDeps;
  stop(): Promise<void>;
}

export async function startApiWorld(now: string): Promise<ApiWorld> {
  const db = await startTestTables();
  const tables = db.tableNames;
  const { documents } = db;
  const profiles = new DynamoProfileStore({ client: documents, tableName: tables.profiles });
  const usage = new DynamoUsageStore({ client: documents, tableName: tables.usage });
  const bars = new DynamoBarStore({ client: documents, tableName: tables.usage });
  const audit = new DynamoAuditLog({ client: documents, tableName: tables.audit });
  const directory = new DynamoSubscriberDirectory({ client: documents, tableName: tables.profiles });
  const profileFields = new DynamoProfileFields({ client: documents, tableName: tables.profiles });
  const starter = new RecordingStarter();
  const clock = new SettableClock(new Date(now));
  const settings = DEFAULT_SETTINGS;
  return {
    documents,
    tables,
    profiles,
    usage,
    bars,
    audit,
    starter,
    clock,
    settings,
    deps: (overrides = {}) => ({
      profiles,
      profileFields,
      directory,
      usage: overrides.usage ?? usage,
      bars,
      audit,
      workflow: starter,
      clock,
      settings,
    }),
    stop: () => db.stop(),
  };
}
