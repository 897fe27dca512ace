/**
 * The one DynamoDB fixture of the tests: dynalite in this process on a free port, with the tables of
 * shared/adapters/tables.ts created from the same key schemas (indexes included) as the local runtime.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keySchemaOf } from '../../local/emulators.js';
import { documentClientOf } from '../../shared/adapters/dynamo-client.js';
import { TABLES, type TableName } from '../../shared/adapters/tables.js';

export interface TestTables {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly endpoint: string;
  readonly tableNames: Readonly<Record<TableName, string>>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startTestTables(): Promise<TestTables> {
  // Loaded on demand: bench/ imports the harness without always needing a database.
  const { default: dynalite } = await import('dynalite');
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-3', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const suffix = ++counter;
  const tableNames = { usage: `usage-${suffix}`, profiles: `profiles-${suffix}`, audit: `audit-${suffix}` };
  for (const name of Object.keys(TABLES) as TableName[]) {
    await client.send(new CreateTableCommand({ TableName: tableNames[name], BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(TABLES[name]) }));
  }
  return {
    client,
    documents: documentClientOf(client),
    endpoint,
    tableNames,
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
