/**
 * The local runtime: the deployment's own ingest handler and policy workflow wired to the embedded
 * services (dynalite, kinesalite, aws-local-stepfunctions with the synthesized definition, outboxes),
 * on a virtual clock. `npm start` and `npm run replay` both build one.
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
import { createHandler, type IngestHandler } from '../functions/ingest-events/handler.js';
import { synthesizeInChildProcess } from './definition-process.js';
import { startEmulators, type EmulatorOptions, type LocalEmulators } from './emulators.js';
import { RecordingQuarantine } from './recording-quarantine.js';
import { ObservedUsageStore, SavedUsage } from './request-predictor.js';
import { VirtualClock } from './virtual-clock.js';
import { startLocalWorkflows, type LocalWorkflows } from './workflow-binding.js';

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
}

export interface LocalRuntime {
  readonly emulators: LocalEmulators;
  readonly clock: VirtualClock;
  readonly settings: PolicySettings;
  /** The real ingest handler, bound to the local services. */
  readonly ingest: IngestHandler;
  readonly quarantine: RecordingQuarantine;
  readonly totals: IngestTotals;
  readonly workflows: LocalWorkflows;
  readonly documents: DynamoDBDocumentClient;
  /** The usage state the ingest handler last saved, per subscriber (feeds the replay's request predictor). */
  readonly saved: SavedUsage;
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
    const totals: IngestTotals = { applied: 0, duplicates: 0, rejected: 0, redelivered: 0, writeUnits: 0, failedSubscribers: 0 };
    const add = (stats: IngestStats): void => {
      totals.applied += stats.applied;
      totals.duplicates += stats.duplicates;
      totals.rejected += stats.rejected;
      totals.redelivered += stats.redelivered;
      totals.writeUnits += stats.writeUnits;
      totals.failedSubscribers += stats.failedSubscribers;
    };
    const saved = new SavedUsage();
    const ingest = createHandler({
      usage: new ObservedUsageStore(new DynamoUsageStore({ client: documents, tableName: usageTable }), saved),
      profiles: profilesStore,
      quarantine,
      workflows: workflows.starter,
      settings,
      onBatch: (result) => add(result.stats),
    });

    return {
      emulators,
      clock,
      settings,
      ingest,
      quarantine,
      totals,
      workflows,
      documents,
      saved,
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
        await workflows.stop();
        dynamo.destroy();
        await emulators.stop();
      },
    };
  } catch (e: unknown) {
    await emulators.stop();
    throw e;
  }
}
