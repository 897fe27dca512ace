/**
 * End-to-end ingest against dynalite: the real ingest handler (createHandler of functions/ingest-events
 * with the DynamoDB adapters) and the naive baseline, fed the same Kinesis-shaped batches, one batch at a
 * time as one shard's event source mapping would. Counts DynamoDB requests (client middleware), read units (as
 * dynalite reports them) and write units (as each design accounts them: reported units plus refused
 * conditional writes; transaction prices for the baseline).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createDynamoClient, documentClientOf } from '../shared/adapters/dynamo-client.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo-usage-store.js';
import { TABLES } from '../shared/adapters/tables.js';
import type { PolicySettings, SubscriberProfile } from '../shared/domain/model.js';
import type { IngestStats } from '../shared/ingest/ingest-batch.js';
import { createHandler, withLedger } from '../functions/ingest-events/handler.js';
import { keySchemaOf } from '../local/emulators.js';
import { RecordingQuarantine } from '../local/recording-quarantine.js';
import { CapacityMeter, type MeterSnapshot } from './capacity-meter.js';
import { billedMs } from './cost-model.js';
import { CountingWorkflows } from './fakes.js';
import { createNaiveHandler } from './naive-baseline.js';
import { summarize, type Summary } from './stats.js';
import { mainThreadCpuSeconds } from './thread-cpu.js';
import { buildWorkload, type Workload } from './workload.js';

export type Design = 'spendcap' | 'baseline';

export interface DynaliteTarget {
  readonly endpoint: string;
  readonly region: string;
}

export interface DynaliteRunOptions {
  readonly eventsPerSubscriberPerBatch: number;
  readonly batchSize: number;
  readonly batches: number;
  readonly duplicateRate: number;
  readonly settings: PolicySettings;
  readonly target: DynaliteTarget;
}

export interface DesignFigures {
  readonly design: Design;
  readonly eventsPerSubscriberPerBatch: number;
  readonly batchSize: number;
  readonly batches: number;
  /** Input records, carrier duplicates included: the "events" of every per-event figure. */
  readonly records: number;
  readonly duplicatesInjected: number;
  /** Sum of the records' JSON payload sizes (bytes): Kinesis bills per record. */
  readonly payloadBytes: number;
  readonly seconds: number;
  /** CPU time of this process meanwhile: handler, SDK and the in-process emulator share one thread. */
  readonly cpuSeconds: number;
  readonly eventsPerSecond: number;
  /** Per second of main-thread CPU, which runs the handler, the SDK and the in-process emulator alike. */
  readonly eventsPerCpuSecond: number;
  readonly dynamoRequests: number;
  readonly dynamoRequestsPerEvent: number;
  readonly requestsByOperation: Readonly<Record<string, number>>;
  /** Single-item writes by what they touched (claim/marker, counters, STATE), units as dynalite reported them. */
  readonly writesByKind: MeterSnapshot['writesByKind'];
  readonly writeUnits: number;
  readonly writeUnitsPerEvent: number;
  /** Per event that was not a duplicate. */
  readonly writeUnitsPerUniqueEvent: number;
  readonly readUnits: number;
  readonly readUnitsPerEvent: number;
  /** Handler duration per batch (ms): what Lambda would bill, emulator time included. */
  readonly batchMs: Summary;
  readonly billedMsTotal: number;
  readonly applied: number;
  readonly duplicatesDetected: number;
  readonly crossings: number;
  readonly failedBatches: number;
  /** Version conflicts that made spendcap reload a subscriber (none expected: one shard, one batch at a time). */
  readonly conflicts: number;
  /** Share of the measured time the event loop was busy (the rest: waiting on sockets and timers). */
  readonly eventLoopUtilization: number;
  /** Applied = unique events and duplicates detected = duplicates injected. */
  readonly verified: boolean;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function createTables(admin: DynamoDBClient, names: { usage: string; profiles: string }): Promise<void> {
  await admin.send(new CreateTableCommand({ TableName: names.usage, BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(TABLES.usage) }));
  await admin.send(new CreateTableCommand({ TableName: names.profiles, BillingMode: 'PAY_PER_REQUEST', ...keySchemaOf(TABLES.profiles) }));
}

async function putProfiles(store: DynamoProfileStore, profiles: readonly SubscriberProfile[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let p = profiles[next++]; p !== undefined; p = profiles[next++]) await store.put(p);
  };
  await Promise.all(Array.from({ length: Math.min(16, profiles.length) }, worker));
}

let tableSerial = 0;

export async function runDynaliteIngest(design: Design, options: DynaliteRunOptions, workload?: Workload): Promise<DesignFigures> {
  const k = options.eventsPerSubscriberPerBatch;
  const load =
    workload ??
    buildWorkload({
      eventsPerSubscriberPerBatch: k,
      batchSize: options.batchSize,
      batches: options.batches,
      duplicateRate: options.duplicateRate,
      idPrefix: `k${k}-`,
    });
  const serial = ++tableSerial;
  const names = { usage: `bench-${design}-${serial}-usage`, profiles: `bench-${design}-${serial}-profiles` };
  const admin = new DynamoDBClient({ endpoint: options.target.endpoint, region: options.target.region, credentials });
  const measured = createDynamoClient({ endpoint: options.target.endpoint, region: options.target.region, credentials });
  try {
    await createTables(admin, names);
    await putProfiles(new DynamoProfileStore({ client: documentClientOf(admin), tableName: names.profiles }), load.profiles);

    const meter = new CapacityMeter();
    meter.install(measured);
    const documents = documentClientOf(measured);
    const workflows = new CountingWorkflows();
    const quarantine = new RecordingQuarantine(false);
    const profiles = new DynamoProfileStore({ client: documents, tableName: names.profiles });
    const totals = { applied: 0, duplicates: 0, writeUnits: 0, crossings: 0, conflicts: 0 };

    let handle: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
    let finish: () => void = () => undefined;
    if (design === 'spendcap') {
      const add = (stats: IngestStats): void => {
        totals.applied += stats.applied;
        totals.duplicates += stats.duplicates;
        totals.writeUnits += stats.writeUnits;
        totals.crossings += stats.crossings;
        totals.conflicts += stats.conflicts;
      };
      const handler = createHandler({
        ...withLedger(new DynamoUsageStore({ client: documents, tableName: names.usage })),
        profiles,
        quarantine,
        workflows,
        settings: options.settings,
        onBatch: (result) => add(result.stats),
      });
      handle = (event) => handler(event);
    } else {
      const handler = createNaiveHandler({ documents, tableName: names.usage, profiles, quarantine, workflows, settings: options.settings });
      handle = handler;
      finish = () => {
        totals.applied = handler.stats.applied;
        totals.duplicates = handler.stats.duplicates;
        totals.writeUnits = handler.stats.writeUnits;
        totals.crossings = handler.stats.crossings;
      };
    }

    const durations: number[] = [];
    let failedBatches = 0;
    const cpuBefore = process.cpuUsage();
    const threadBefore = mainThreadCpuSeconds();
    const eluBefore = performance.eventLoopUtilization();
    for (const batch of load.batches) {
      const started = performance.now();
      const response = await handle(batch);
      durations.push(performance.now() - started);
      if (response.batchItemFailures.length > 0) failedBatches++;
    }
    const cpu = process.cpuUsage(cpuBefore);
    const threadAfter = mainThreadCpuSeconds();
    const threadSeconds = threadBefore !== undefined && threadAfter !== undefined ? threadAfter - threadBefore : (cpu.user + cpu.system) / 1e6;
    const elu = performance.eventLoopUtilization(eluBefore);
    finish();
    const snapshot = meter.snapshot();
    const seconds = durations.reduce((a, b) => a + b, 0) / 1_000;
    const records = load.records;
    return {
      design,
      eventsPerSubscriberPerBatch: k,
      batchSize: options.batchSize,
      batches: load.batches.length,
      records,
      duplicatesInjected: load.duplicates,
      payloadBytes: load.payloadBytes,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      eventsPerSecond: records / seconds,
      eventsPerCpuSecond: records / threadSeconds,
      dynamoRequests: snapshot.totalRequests,
      dynamoRequestsPerEvent: snapshot.totalRequests / records,
      requestsByOperation: snapshot.requests,
      writesByKind: snapshot.writesByKind,
      writeUnits: totals.writeUnits,
      writeUnitsPerEvent: totals.writeUnits / records,
      writeUnitsPerUniqueEvent: totals.writeUnits / load.uniqueEvents,
      readUnits: snapshot.readUnits,
      readUnitsPerEvent: snapshot.readUnits / records,
      batchMs: summarize(durations),
      billedMsTotal: durations.reduce((sum, d) => sum + billedMs(d), 0),
      applied: totals.applied,
      duplicatesDetected: totals.duplicates,
      crossings: totals.crossings,
      failedBatches,
      conflicts: totals.conflicts,
      eventLoopUtilization: elu.utilization,
      verified: failedBatches === 0 && totals.applied === load.uniqueEvents && totals.duplicates === load.duplicates,
    };
  } finally {
    admin.destroy();
    measured.destroy();
  }
}
