/**
 * The local runtime: the deployment's own ingest handler and policy workflow wired to the embedded
 * services (dynalite, kinesalite, aws-local-stepfunctions with the synthesized definition, outboxes),
 * on virtual time (local/timeline.ts). `npm start` and `npm run replay` both build one.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient, documentClientOf } from '../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo-usage-store.js';
import { storedCountersOf, type Item } from '../shared/adapters/dynamo-usage-store-items.js';
import { settingsFromEnv } from '../shared/config/settings.js';
import type { PeriodCounters, PolicySettings, SubscriberProfile } from '../shared/domain/model.js';
import type { IngestStats } from '../shared/ingest/ingest-batch.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import { createHandler, type IngestHandler } from '../functions/ingest-events/handler.js';
import { synthesizeInChildProcess } from './definition-process.js';
import { startEmulators, type EmulatorOptions, type LocalEmulators } from './emulators.js';
import { RecordingQuarantine } from './recording-quarantine.js';
import { CapPredictor, ObservedUsageStore, SavedUsage } from './request-predictor.js';
import type { SimulatedNetwork } from './simulated-network.js';
import { Timeline, VirtualClock, type Delivery } from './timeline.js';
import { startLocalWorkflows, type LocalWorkflows } from './workflow-binding.js';
import type { CarrierEvent } from '../shared/domain/model.js';

export interface LocalRuntimeOptions extends EmulatorOptions {
  /** Keep every rejected input in memory (the replay reports them; `--follow` only prints them). */
  readonly keepRejected?: boolean;
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

export interface LocalRuntime {
  readonly emulators: LocalEmulators;
  /** The domain's clock of every handler (the timeline sets it). */
  readonly clock: VirtualClock;
  readonly settings: PolicySettings;
  readonly quarantine: RecordingQuarantine;
  readonly totals: IngestTotals;
  readonly workflows: LocalWorkflows;
  readonly documents: DynamoDBDocumentClient;
  /** The real ingest handler, bound to the local services, starting workflows through `starter`. */
  ingestWith(starter: PolicyWorkflowStarter): IngestHandler;
  /** The timeline of this runtime (one per run): lines in, everything at its virtual time. */
  timeline(setup: TimelineSetup): Timeline;
  putProfiles(profiles: readonly SubscriberProfile[]): Promise<void>;
  /** Every period's counters of a subscriber, from the usage table (sk begins with `P#`), in period order. */
  readCounters(subscriberId: string): Promise<PeriodCounters[]>;
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const definition = synthesizeInChildProcess();
  // Awaited below; until then a failure must not surface as an unhandled rejection.
  definition.catch(() => undefined);
  const emulators = await startEmulators(options);
  try {
    const env = options.env ?? process.env;
    const settings = settingsFromEnv(env, { allowDefaults: true });
    const clock = new VirtualClock();
    const dynamo = createDynamoClient({ endpoint: emulators.dynamoEndpoint, region: emulators.region });
    const documents = documentClientOf(dynamo);
    const usageTable = emulators.tableNames.usage;
    const profilesStore = new DynamoProfileStore({ client: documents, tableName: emulators.tableNames.profiles });
    const quarantine = new RecordingQuarantine(options.keepRejected ?? true);
    const workflows = await startLocalWorkflows({ clock, settings, emulators, documents, definition: await definition });
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
    const usageStore = new DynamoUsageStore({ client: documents, tableName: usageTable });
    const usage = new ObservedUsageStore(usageStore, saved);

    return {
      emulators,
      clock,
      settings,
      quarantine,
      totals,
      workflows,
      documents,
      ingestWith(starter) {
        return createHandler({ usage, ledger: usageStore, profiles: profilesStore, quarantine, workflows: starter, settings, onBatch: (result) => add(result.stats) });
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
          for (let p = profiles[next++]; p !== undefined; p = profiles[next++]) await profilesStore.put(p);
        };
        await Promise.all(Array.from({ length: Math.min(16, profiles.length) }, worker));
      },
      async readCounters(subscriberId) {
        const counters: PeriodCounters[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const out = await documents.send(
            new QueryCommand({
              TableName: usageTable,
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
      },
      async stop() {
        dynamo.destroy();
        await emulators.stop();
      },
    };
  } catch (e: unknown) {
    await emulators.stop();
    throw e;
  }
}
