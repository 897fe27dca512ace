/**
 * The embedded AWS services of the local runtime: dynalite (DynamoDB API) and kinesalite (Kinesis API),
 * started in this process on 127.0.0.1, with the tables and the usage stream created from the same
 * definitions the CDK app uses (shared/adapters/tables.ts). The SDK clients of the handlers find them
 * through the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which `startEmulators` sets.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { TABLES, type TableDesign, type TableName } from '../shared/adapters/tables.js';
import { ENV } from '../shared/config/env-names.js';

export const LOCAL_REGION = 'eu-west-3';
export const LOCAL_STREAM_NAME = 'spendcap-usage-events';

/** Physical names of the local tables (in AWS, CloudFormation names them). */
export const LOCAL_TABLE_NAMES: Readonly<Record<TableName, string>> = {
  usage: 'spendcap-usage',
  profiles: 'spendcap-profiles',
  audit: 'spendcap-audit',
};

/** Which environment variable hands each table to the functions. */
const TABLE_ENV: Readonly<Record<TableName, string>> = {
  usage: ENV.usageTable,
  profiles: ENV.profilesTable,
  audit: ENV.auditTable,
};

export interface EmulatorOptions {
  /** 0 (default) = a free port chosen by the OS. Fixed ports suit `--follow`, where the user types them. */
  readonly dynamoPort?: number;
  readonly kinesisPort?: number;
  readonly shardCount?: number;
  readonly streamName?: string;
  /** Which environment receives the endpoints, credentials and table names (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface LocalEmulators {
  readonly region: string;
  readonly dynamoEndpoint: string;
  readonly kinesisEndpoint: string;
  readonly streamName: string;
  readonly tableNames: Readonly<Record<TableName, string>>;
  /** Clients for the local runtime's own use (the handlers build theirs from the environment). */
  readonly dynamo: DynamoDBClient;
  readonly kinesis: KinesisClient;
  /** Closes the clients, connections and servers: nothing is left to keep the process alive. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive sockets of the SDK clients would hold server.close() open until they time out.
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A Kinesis client for kinesalite, which speaks HTTP/1.1 only (the SDK's default handler may try HTTP/2). */
export function localKinesisClient(endpoint: string, region = LOCAL_REGION): KinesisClient {
  return new KinesisClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
}

export function keySchemaOf(design: TableDesign): {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
} {
  const attributes = new Set<string>([design.partitionKey]);
  const KeySchema: KeySchemaElement[] = [{ AttributeName: design.partitionKey, KeyType: 'HASH' }];
  if (design.sortKey !== undefined) {
    KeySchema.push({ AttributeName: design.sortKey, KeyType: 'RANGE' });
    attributes.add(design.sortKey);
  }
  const indexes = Object.entries(design.indexes ?? {}).map(([IndexName, index]): GlobalSecondaryIndex => {
    attributes.add(index.partitionKey);
    const keys: KeySchemaElement[] = [{ AttributeName: index.partitionKey, KeyType: 'HASH' }];
    if (index.sortKey !== undefined) {
      attributes.add(index.sortKey);
      keys.push({ AttributeName: index.sortKey, KeyType: 'RANGE' });
    }
    return { IndexName, KeySchema: keys, Projection: { ProjectionType: index.keysOnly === true ? 'KEYS_ONLY' : 'ALL' } };
  });
  return {
    KeySchema,
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

async function waitForStream(kinesis: KinesisClient, streamName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`local stream ${streamName} did not become ACTIVE`);
}

/** Creates the tables of `names` with the deployed key schemas (another set beside the default one, for a run of its own). */
export async function createLocalTables(dynamo: DynamoDBClient, names: Readonly<Record<TableName, string>>): Promise<void> {
  for (const name of Object.keys(TABLES) as TableName[]) {
    await dynamo.send(new CreateTableCommand({ TableName: names[name], BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(TABLES[name]) }));
  }
}

/** Deletes the tables of `names` (dynalite frees their items). */
export async function deleteLocalTables(dynamo: DynamoDBClient, names: Readonly<Record<TableName, string>>): Promise<void> {
  for (const name of Object.keys(TABLES) as TableName[]) await dynamo.send(new DeleteTableCommand({ TableName: names[name] }));
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<LocalEmulators> {
  const env = options.env ?? process.env;
  const streamName = options.streamName ?? LOCAL_STREAM_NAME;
  // No delay in CREATING state: the local runtime must start in well under a second.
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const kinesisServer = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  const servers: Server[] = [];
  let dynamo: DynamoDBClient | undefined;
  let kinesis: KinesisClient | undefined;
  const stop = async (): Promise<void> => {
    dynamo?.destroy();
    kinesis?.destroy();
    await Promise.all(servers.map(close));
  };
  try {
    const dynamoPort = await listen(dynamoServer, options.dynamoPort ?? 0);
    servers.push(dynamoServer);
    const kinesisPort = await listen(kinesisServer, options.kinesisPort ?? 0);
    servers.push(kinesisServer);
    const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
    const kinesisEndpoint = `http://127.0.0.1:${kinesisPort}`;

    Object.assign(env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesisEndpoint,
      // Dummy credentials: the emulators accept any signature, and nothing may reach a real account.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    for (const name of Object.keys(TABLES) as TableName[]) env[TABLE_ENV[name]] = LOCAL_TABLE_NAMES[name];

    dynamo = new DynamoDBClient({
      endpoint: dynamoEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    kinesis = localKinesisClient(kinesisEndpoint);
    await createLocalTables(dynamo, LOCAL_TABLE_NAMES);
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: options.shardCount ?? 1 }));
    await waitForStream(kinesis, streamName);

    return {
      region: LOCAL_REGION,
      dynamoEndpoint,
      kinesisEndpoint,
      streamName,
      tableNames: LOCAL_TABLE_NAMES,
      dynamo,
      kinesis,
      stop,
    };
  } catch (e: unknown) {
    await stop();
    throw e;
  }
}
