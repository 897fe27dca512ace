/**
 * The self-care API against dynalite started in-process: the real DynamoDB adapters on the three tables
 * (key schemas from shared/adapters/tables.ts), a settable clock, and a workflow starter that records the
 * requests it is given (the state machine itself is tested by the workflow tests).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { keySchemaOf } from '../../local/emulators.js';
import { DynamoAuditLog } from '../../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../../shared/adapters/dynamo-bar-store.js';
import { documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo-usage-store.js';
import { TABLES, type TableName } from '../../shared/adapters/tables.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { PolicySettings } from '../../shared/domain/model.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { PolicyRequest, PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
import { DynamoProfileFields } from '../../shared/selfcare/dynamo-profile-fields.js';
import { DynamoSubscriberDirectory } from '../../shared/selfcare/dynamo-subscriber-directory.js';
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
  deps(overrides?: { usage?: Pick<UsageStore, 'load' | 'saveCounters'> }): SelfCareDeps;
  stop(): Promise<void>;
}

let tableCounter = 0;

export async function startApiWorld(now: string): Promise<ApiWorld> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const raw = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-3',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const suffix = ++tableCounter;
  const tables = { usage: `usage-${suffix}`, profiles: `profiles-${suffix}`, audit: `audit-${suffix}` };
  for (const name of Object.keys(TABLES) as TableName[]) {
    await raw.send(new CreateTableCommand({ TableName: tables[name], BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(TABLES[name]) }));
  }
  const documents = documentClientOf(raw);
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
    stop: async () => {
      raw.destroy();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
