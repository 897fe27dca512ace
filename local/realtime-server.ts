/**
 * The real-time path on a laptop: Nchf_ConvergedCharging and Nchf_SpendingLimitControl served over HTTP/2
 * without TLS (h2c, prior knowledge: what `curl --http2-prior-knowledge` and node:http2 `connect('http://...')`
 * speak), by the same use cases and routes as the Lambda functions, on the local tables (dynalite) and the
 * local stream (kinesalite). Committed usage goes on the local stream, where the local ingest counts it.
 * Notifications to PCFs and SMFs are delivered in process, with the same retries as in AWS.
 *
 * `startRealtimeServer({ runtime })` also listens to the local workflow's carrier commands and applies them
 * as carrier mode `nchf` would (policy counter statuses, PCF notifications, re-authorisations), so a bar
 * placed by the pipeline reaches a subscribed PCF.
 */
import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { DynamoBarStore } from '../shared/adapters/dynamo-bar-store.js';
import { DynamoChargingStore } from '../shared/adapters/dynamo-charging-store.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import { DynamoSpendingLimitStore } from '../shared/adapters/dynamo-spending-limit-store.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo-usage-store.js';
import { Http2SbiClient } from '../shared/adapters/http2-sbi-client.js';
import { KinesisUsagePublisher } from '../shared/adapters/kinesis-usage-publisher.js';
import { REALTIME_TABLE } from '../shared/adapters/realtime-items.js';
import { SpendingLimitCarrier } from '../shared/spending-limit/spending-limit-carrier.js';
import { ConvergedCharging } from '../shared/charging/converged-charging.js';
import { parseRealtimeSettings, type RealtimeSettingsInput } from '../shared/config/realtime-settings.js';
import { ChargingReauthorization } from '../shared/charging/reauthorize.js';
import { CHARGING_SCOPE, chargingRoutes } from '../shared/charging/routes.js';
import type { CarrierCommand, PolicySettings } from '../shared/domain/model.js';
import { systemClock, type Clock } from '../shared/ports/clock.js';
import { MAX_BODY_BYTES, problemResponse, SbiError, type SbiRequest, type SbiResponse } from '../shared/sbi/http.js';
import { sbiService, type SbiService } from '../shared/sbi/service.js';
import { DynamoSubscriberDirectory } from '../shared/adapters/dynamo-subscriber-directory.js';
import { deliver } from '../shared/spending-limit/deliver.js';
import { SPENDING_LIMIT_SCOPE, spendingLimitRoutes } from '../shared/spending-limit/routes.js';
import { SpendingLimitControl } from '../shared/spending-limit/spending-limit-control.js';
import { keySchemaOf } from './emulators.js';
import { LocalNotificationQueue } from './sbi-notifications.js';

/** Physical name of the local realtime table (in AWS, CloudFormation names it). */
export const LOCAL_REALTIME_TABLE = 'spendcap-realtime';

/** What the server needs of the local runtime (a LocalRuntime has it all). */
export interface RealtimeRuntime {
  readonly documents: DynamoDBDocumentClient;
  readonly settings: PolicySettings;
  readonly emulators: {
    readonly dynamo: DynamoDBClient;
    readonly kinesis: KinesisClient;
    readonly streamName: string;
    readonly tableNames: { readonly usage: string; readonly profiles: string };
  };
  /** The local policy workflow: its carrier commands are applied as carrier mode nchf would. */
  readonly workflows?: {
    onCommand(listener: (command: { subscriberId: string; command: CarrierCommand; at: string; reason: string; idempotencyKey: string }) => void): void;
  };
}

export interface RealtimeServerOptions {
  readonly runtime: RealtimeRuntime;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default { auth: 'none' } (no TLS, no tokens locally; AWS authenticates at the load balancer) */
  readonly settings?: RealtimeSettingsInput;
  /** @default the wall clock */
  readonly clock?: Clock;
  /** Milliseconds per second of notification backoff. @default 1 */
  readonly backoffScaleMs?: number;
}

export interface RealtimeServer {
  /** http://127.0.0.1:<port>: append /nchf-convergedcharging/v3/... or /nchf-spendinglimitcontrol/v1/... */
  readonly url: string;
  readonly charging: ConvergedCharging;
  readonly control: SpendingLimitControl;
  /** Carrier mode nchf on the local tables. */
  readonly carrier: SpendingLimitCarrier;
  readonly notifications: LocalNotificationQueue;
  /** Both services, for callers that skip HTTP (the bench's baseline of the transport's own cost). */
  readonly service: SbiService;
  close(): Promise<void>;
}

async function createRealtimeTable(dynamo: DynamoDBClient): Promise<void> {
  try {
    await dynamo.send(new CreateTableCommand({ TableName: LOCAL_REALTIME_TABLE, BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(REALTIME_TABLE) }));
  } catch (e: unknown) {
    if (!(e instanceof ResourceInUseException) && !(e instanceof Error && e.name === 'ResourceInUseException')) throw e;
  }
}

export async function startRealtimeServer(options: RealtimeServerOptions): Promise<RealtimeServer> {
  const { runtime } = options;
  const { documents: client, settings, emulators } = runtime;
  await createRealtimeTable(emulators.dynamo);
  const clock = options.clock ?? systemClock;
  const realtime = parseRealtimeSettings({ auth: 'none', ...options.settings }, settings.selfCareUrl);
  const profiles = new DynamoProfileStore({ client, tableName: emulators.tableNames.profiles });
  const chargingStore = new DynamoChargingStore({ client, tableName: LOCAL_REALTIME_TABLE, now: () => clock.now().getTime() });
  const limitStore = new DynamoSpendingLimitStore({ client, tableName: LOCAL_REALTIME_TABLE, now: () => clock.now().getTime() });
  const sbi = new Http2SbiClient({ timeoutMs: 2000 });
  const notifications = new LocalNotificationQueue({
    // Delivery reads the status through `control`, defined below: the queue only delivers once jobs come.
    deliver: (job) => deliver(job, { client: sbi, store: limitStore, statusOf: (s) => control.statusOf(s) }),
    ...(options.backoffScaleMs !== undefined ? { backoffScaleMs: options.backoffScaleMs } : {}),
  });
  const control = new SpendingLimitControl({
    store: limitStore,
    profiles,
    directory: new DynamoSubscriberDirectory({ client, tableName: emulators.tableNames.profiles }),
    bars: new DynamoBarStore({ client, tableName: emulators.tableNames.usage }),
    queue: notifications,
    clock,
  });
  const charging = new ConvergedCharging({
    store: chargingStore,
    usage: new DynamoUsageStore({ client, tableName: emulators.tableNames.usage }),
    profiles,
    publisher: new KinesisUsagePublisher({ client: emulators.kinesis, stream: { name: emulators.streamName } }),
    clock,
    settings,
    quota: realtime.quota,
  });
  const reauthorization = new ChargingReauthorization({ store: chargingStore, profiles, queue: notifications, clock });
  const carrier = new SpendingLimitCarrier({ control, reauthorization });

  const chargingService = sbiService(chargingRoutes(charging), { auth: realtime.auth, scope: CHARGING_SCOPE });
  const limitService = sbiService(spendingLimitRoutes(control), { auth: realtime.auth, scope: SPENDING_LIMIT_SCOPE });
  const service: SbiService = (request) => (request.path.startsWith('/nchf-spendinglimitcontrol/') ? limitService(request) : chargingService(request));

  const server: Http2Server = createServer((req, res) => void serve(service, req, res));
  // Clients' idle sessions would hold close() open: they are closed with the server.
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;

  // The PCFs of the local core hear of every bar and lift the carrier outbox records (a bar with its end).
  runtime.workflows?.onCommand((command) => {
    void carrier.send(command.command, command).catch(() => undefined);
  });

  return {
    url: `http://${address}:${port}`,
    charging,
    control,
    carrier,
    notifications,
    service,
    async close() {
      notifications.stop();
      sbi.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      await closed;
    },
  };
}

async function serve(service: SbiService, req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
  let response: SbiResponse;
  try {
    const body = await readBody(req);
    const url = new URL(req.url, 'http://localhost');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !name.startsWith(':')) headers[name] = value;
    const request: SbiRequest = { method: req.method, path: url.pathname, headers, ...(body !== '' ? { body } : {}) };
    response = await service(request);
  } catch (e: unknown) {
    response = problemResponse(e instanceof SbiError ? e : new SbiError(500, 'SYSTEM_FAILURE', 'the request could not be processed; retry'));
  }
  const payload = response.body === undefined || response.status === 204 ? undefined : JSON.stringify(response.body);
  res.writeHead(response.status, { ...response.headers, ...(payload !== undefined ? { 'content-length': String(Buffer.byteLength(payload)) } : {}) });
  if (payload === undefined) res.end();
  else res.end(payload);
}

function readBody(req: Http2ServerRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SbiError(413, 'INVALID_MSG_FORMAT', `body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * For `npm start -- --follow`: the real-time path on the running local runtime, with one line of endpoints
 * on `out`. Returns what stops it.
 */
export async function startLocalRealtime(runtime: RealtimeRuntime, port: number, out: { write(text: string): unknown }): Promise<() => Promise<void>> {
  const server = await startRealtimeServer({ runtime, port });
  out.write(`  SBI       ${server.url}   HTTP/2 (h2c): Nchf_ConvergedCharging v3, Nchf_SpendingLimitControl v1 (docs/realtime.md)\n`);
  return () => server.close();
}
