/**
 * The local runtime: the deployment's own ingest handler and policy workflow wired to local stores and
 * outboxes, on virtual time (local/timeline.ts). Two kinds of store, behind the same ports:
 * - `startLocalRuntime`: the DynamoDB adapters on dynalite (and kinesalite for the stream), what `npm start`
 *   and `--follow` run, and `npm run replay -- --store dynalite`;
 * - `startMemoryRuntime`: the stores in this process's memory (local/memory-stores.ts), what `npm run replay`
 *   runs by default: the same use cases and workflow without an HTTP round trip per item.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../shared/adapters/dynamo-bar-store.js';
import { createDynamoClient, documentClientOf } from '../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo-usage-store.js';
import { storedCountersOf, type Item } from '../shared/adapters/dynamo-usage-store-items.js';
import { settingsFromEnv } from '../shared/config/settings.js';
import type { CarrierEvent, PeriodCounters, PolicySettings, SubscriberProfile } from '../shared/domain/model.js';
import type { IngestStats } from '../shared/ingest/ingest-batch.js';
import type { AuditLog } from '../shared/ports/audit-log.js';
import type { BarStore } from '../shared/ports/bar-store.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import type { ProfileStore } from '../shared/ports/profile-store.js';
import type { FailureLedger, UsageStore } from '../shared/ports/usage-store.js';
import { createHandler, type IngestHandler } from '../functions/ingest-events/handler.js';
import { synthesizeInChildProcess } from './definition-process.js';
import { createLocalTables, deleteLocalTables, startEmulators, type EmulatorOptions, type LocalEmulators } from './emulators.js';
import { MemoryAuditLog, MemoryBarStore, MemoryProfileStore, MemoryUsageStore } from './memory-stores.js';
import type { StateMachineDefinitionJson } from './policy-definition.js';
import { RecordingQuarantine } from './recording-quarantine.js';
import { CapPredictor, ObservedUsageStore, SavedUsage } from './request-predictor.js';
import type { SimulatedNetwork } from './simulated-network.js';
import { Timeline, VirtualClock, type Delivery } from './timeline.js';
import { startLocalWorkflows, type LocalWorkflows } from './workflow-binding.js';

export type LocalStoreKind = 'dynalite' | 'memory';

export interface LocalRuntimeOptions extends EmulatorOptions {
  /** Keep every rejected input in memory (the replay reports them; `--follow` only prints them). */
  readonly keepRejected?: boolean;
  /**
   * Emulators already running, shared by several runtimes (tests running many replays): this runtime
   * then works on tables of its own, created now and deleted by `stop()`, and leaves the emulators running.
   */
  readonly emulators?: LocalEmulators;
}

export interface IngestTotals {
  applied: number;
  duplicates: number;
  rejected: number;
  redelivered: number;
  writeUnits: number;
  failedSubscribers: number;
  lateEvents: number;
}

export interface TimelineSetup {
  readonly delivery: Delivery;
  readonly profiles: ReadonlyMap<string, SubscriberProfile>;
  readonly network?: SimulatedNetwork;
  readonly maxWave?: number;
  readonly onRefused?: (event: CarrierEvent) => void;
}

/** The runtime, whatever holds its data. */
export interface LocalRuntime {
  readonly store: LocalStoreKind;
  /** The domain's clock of every handler (the timeline sets it). */
  readonly clock: VirtualClock;
  readonly settings: PolicySettings;
  readonly quarantine: RecordingQuarantine;
  readonly totals: IngestTotals;
  readonly workflows: LocalWorkflows;
  /** The real ingest handler, bound to the local stores, starting workflows through `starter`. */
  ingestWith(starter: PolicyWorkflowStarter): IngestHandler;
  /** The timeline of this runtime (one per run): lines in, everything at its virtual time. */
  timeline(setup: TimelineSetup): Timeline;
  putProfiles(profiles: readonly SubscriberProfile[]): Promise<void>;
  /** Every period's counters of a subscriber, from the usage table (sk begins with `P#`), in period order. */
  readCounters(subscriberId: string): Promise<PeriodCounters[]>;
  stop(): Promise<void>;
}

/** The runtime on the emulated AWS services (`npm start`, `--follow`, the latency bench). */
export interface EmulatedRuntime extends LocalRuntime {
  /** The emulators, with the table names of this runtime. */
  readonly emulators: LocalEmulators;
  readonly documents: DynamoDBDocumentClient;
}

/** What a runtime's use cases read and write, and how to read the counters back for the report. */
interface LocalStores {
  /** The usage table: ingest's store and its failure ledger. */
  readonly usage: UsageStore & FailureLedger;
  readonly profiles: ProfileStore;
  readonly line: BarStore;
  readonly audit: AuditLog;
  readCounters(subscriberId: string): Promise<PeriodCounters[]>;
  /**
   * No record still to come arrives before `nowMs`: de-duplication claims whose window ended before it may
   * go, as DynamoDB's TTL deletes them in AWS. The memory store drops them; dynalite has no TTL and keeps them.
   */
  expireClaims(nowMs: number): void;
}

let synthesized: Promise<StateMachineDefinitionJson> | undefined;

/** The policy definition, synthesized once per process (several runtimes in one test file share it). */
function policyDefinition(): Promise<StateMachineDefinitionJson> {
  if (synthesized === undefined) {
    const started = synthesizeInChildProcess();
    synthesized = started;
    // A failure is not cached: the next runtime tries again. Until awaited, it must not be unhandled.
    started.catch(() => {
      if (synthesized === started) synthesized = undefined;
    });
  }
  return synthesized;
}

let runTables = 0;

/** The emulated services: dynalite and kinesalite, started here or shared (see `LocalRuntimeOptions.emulators`). */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<EmulatedRuntime> {
  const definition = policyDefinition();
  const shared = options.emulators;
  const started = shared ?? (await startEmulators(options));
  let tableNames = started.tableNames;
  if (shared !== undefined) {
    const suffix = `run${++runTables}-${process.pid}`;
    tableNames = { usage: `${tableNames.usage}-${suffix}`, profiles: `${tableNames.profiles}-${suffix}`, audit: `${tableNames.audit}-${suffix}` };
  }
  const emulators: LocalEmulators = { ...started, tableNames };
  // Dummy credentials, whatever the environment holds: the emulator accepts any, and nothing may reach a real account.
  const dynamo = createDynamoClient({ endpoint: emulators.dynamoEndpoint, region: emulators.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const stopServices = async (): Promise<void> => {
    if (shared !== undefined) await deleteLocalTables(emulators.dynamo, tableNames).catch(() => undefined);
    dynamo.destroy();
    if (shared === undefined) await emulators.stop();
  };
  try {
    if (shared !== undefined) await createLocalTables(emulators.dynamo, tableNames);
    const documents = documentClientOf(dynamo);
    const stores: LocalStores = {
      usage: new DynamoUsageStore({ client: documents, tableName: tableNames.usage }),
      profiles: new DynamoProfileStore({ client: documents, tableName: tableNames.profiles }),
      line: new DynamoBarStore({ client: documents, tableName: tableNames.usage }),
      audit: new DynamoAuditLog({ client: documents, tableName: tableNames.audit }),
      readCounters: (subscriberId) => queryCounters(documents, tableNames.usage, subscriberId),
      // dynalite has no TTL: claims stay, which changes nothing for records within their window.
      expireClaims: () => undefined,
    };
    const runtime = await assemble('dynalite', stores, options, await definition, stopServices);
    return { ...runtime, emulators, documents };
  } catch (e: unknown) {
    await stopServices();
    throw e;
  }
}

/** The stores in this process's memory: no emulator, no HTTP (the replay's default). */
export async function startMemoryRuntime(options: Pick<LocalRuntimeOptions, 'env' | 'keepRejected'> = {}): Promise<LocalRuntime> {
  const usage = new MemoryUsageStore();
  const stores: LocalStores = {
    usage,
    profiles: new MemoryProfileStore(),
    line: new MemoryBarStore(),
    audit: new MemoryAuditLog(),
    readCounters: async (subscriberId) => usage.countersOf(subscriberId),
    expireClaims: (nowMs) => usage.expireClaims(nowMs),
  };
  return assemble('memory', stores, options, await policyDefinition(), async () => undefined);
}

async function assemble(
  store: LocalStoreKind,
  stores: LocalStores,
  options: Pick<LocalRuntimeOptions, 'env' | 'keepRejected'>,
  definition: StateMachineDefinitionJson,
  stop: () => Promise<void>,
): Promise<LocalRuntime> {
  const env = options.env ?? process.env;
  const settings = settingsFromEnv(env, { allowDefaults: true });
  const clock = new VirtualClock();
  const quarantine = new RecordingQuarantine(options.keepRejected ?? true);
  const workflows = await startLocalWorkflows({ clock, settings, stores, definition });
  const totals: IngestTotals = { applied: 0, duplicates: 0, rejected: 0, redelivered: 0, writeUnits: 0, failedSubscribers: 0, lateEvents: 0 };
  const add = (stats: IngestStats): void => {
    totals.applied += stats.applied;
    totals.duplicates += stats.duplicates;
    totals.rejected += stats.rejected;
    totals.redelivered += stats.redelivered;
    totals.writeUnits += stats.writeUnits;
    totals.failedSubscribers += stats.failedSubscribers;
    totals.lateEvents += stats.lateEvents;
  };
  const saved = new SavedUsage();
  const usage = new ObservedUsageStore(stores.usage, saved);

  return {
    store,
    clock,
    settings,
    quarantine,
    totals,
    workflows,
    ingestWith(starter) {
      return createHandler({
        usage,
        ledger: stores.usage,
        profiles: stores.profiles,
        quarantine,
        workflows: starter,
        settings,
        onBatch: (result) => add(result.stats),
      });
    },
    timeline(setup) {
      const predictor = new CapPredictor(saved, (id) => setup.profiles.get(id), settings);
      const timeline = new Timeline({
        clock,
        run: (request, name) => workflows.run(request, name),
        delivery: setup.delivery,
        isKnown: (id) => setup.profiles.has(id),
        mayReachCap: (event, clockMs) => predictor.mayReachCap(event, clockMs),
        onWave: () => predictor.reset(),
        beforeWave: (earliestMs) => stores.expireClaims(earliestMs),
        ...(setup.network !== undefined && { network: setup.network }),
        ...(setup.onRefused !== undefined && { onRefused: setup.onRefused }),
        ...(setup.maxWave !== undefined && { maxWave: setup.maxWave }),
      });
      workflows.schedules.onSchedule((entry) => timeline.scheduled(entry));
      const network = setup.network;
      if (network !== undefined) workflows.onCommand((c) => network.apply(c));
      return timeline;
    },
    async putProfiles(profiles) {
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let p = profiles[next++]; p !== undefined; p = profiles[next++]) await stores.profiles.put(p);
      };
      await Promise.all(Array.from({ length: Math.min(16, profiles.length) }, worker));
    },
    readCounters: (subscriberId) => stores.readCounters(subscriberId),
    stop,
  };
}

async function queryCounters(documents: DynamoDBDocumentClient, tableName: string, subscriberId: string): Promise<PeriodCounters[]> {
  const counters: PeriodCounters[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': subscriberId, ':p': 'P#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) counters.push(storedCountersOf(item as Item).counters);
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return counters;
}
