/**
 * The policy workflow of the local runtime: the state machine synthesized from the CDK stack, run by the
 * local workflow runner, with the real task handlers on the local services (profiles, counters, the line's
 * bars and the audit trail in dynalite) and the outboxes for SNS, the carrier and EventBridge Scheduler.
 * When each execution runs, and at what virtual time, is the timeline's business (local/timeline.ts).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo-usage-store.js';
import { CAP_LIST } from '../shared/domain/caps.js';
import type { PolicyRequest, PolicySettings } from '../shared/domain/model.js';
import type { Clock } from '../shared/ports/clock.js';
import type { LocalEmulators } from './emulators.js';
import { CarrierOutbox, NotificationOutbox, ScheduleOutbox, type RecordedCommand, type RecordedNotification } from './outboxes.js';
import type { StateMachineDefinitionJson } from './policy-definition.js';
import { createLocalPolicyWorkflow, type LocalExecution } from './workflow-runner.js';

export type { RecordedCommand, RecordedNotification };

/** Where bill-shock alerts go locally (the ops topic in AWS). */
export const LOCAL_OPS_ADDRESS = 'ops@spendcap.local';

export interface LocalWorkflows {
  /** Runs one execution to its end (the caller has set the clock to its time). */
  run(request: PolicyRequest, name: string): Promise<LocalExecution>;
  readonly notifications: NotificationOutbox;
  readonly carrier: CarrierOutbox;
  readonly schedules: ScheduleOutbox;
  onCommand(listener: (command: RecordedCommand) => void): void;
  onNotification(listener: (notification: RecordedNotification) => void): void;
  onExecution(listener: (execution: LocalExecution) => void): void;
  notificationsOf(subscriberId: string): RecordedNotification[];
  commandsOf(subscriberId: string): RecordedCommand[];
  /** Bars in force, as the workflow recorded them on the line. */
  barsOf(subscriberId: string): Promise<{ dataRoaming: boolean; dataOverage: boolean }>;
}

export async function startLocalWorkflows(options: {
  readonly clock: Clock;
  readonly settings: PolicySettings;
  readonly emulators: LocalEmulators;
  readonly documents: DynamoDBDocumentClient;
  /** Synthesized from the CDK stack (`synthesizeInChildProcess` / `loadPolicyDefinition`). */
  readonly definition: StateMachineDefinitionJson;
}): Promise<LocalWorkflows> {
  const { clock, settings, emulators, documents } = options;
  const notifications = new NotificationOutbox();
  const carrier = new CarrierOutbox();
  const schedules = new ScheduleOutbox();
  const line = new DynamoBarStore({ client: documents, tableName: emulators.tableNames.usage });
  const workflow = createLocalPolicyWorkflow({
    definition: options.definition,
    deps: {
      profiles: new DynamoProfileStore({ client: documents, tableName: emulators.tableNames.profiles }),
      usage: new DynamoUsageStore({ client: documents, tableName: emulators.tableNames.usage }),
      line,
      audit: new DynamoAuditLog({ client: documents, tableName: emulators.tableNames.audit }),
      notifier: notifications,
      carrier,
      scheduler: schedules,
      clock,
      settings,
      opsAddress: LOCAL_OPS_ADDRESS,
    },
  });

  // Notifications and commands are few next to events: kept per subscriber for the report.
  const notificationsBySubscriber = new Map<string, RecordedNotification[]>();
  const commandsBySubscriber = new Map<string, RecordedCommand[]>();
  const push = <T>(map: Map<string, T[]>, id: string, item: T): void => {
    const list = map.get(id);
    if (list === undefined) map.set(id, [item]);
    else list.push(item);
  };
  notifications.onNotification((n) => push(notificationsBySubscriber, n.subscriberId, n));
  carrier.onCommand((c) => push(commandsBySubscriber, c.subscriberId, c));

  return {
    run: (request, name) => workflow.run(request, name),
    notifications,
    carrier,
    schedules,
    onCommand: (listener) => carrier.onCommand(listener),
    onNotification: (listener) => notifications.onNotification(listener),
    onExecution: (listener) => workflow.onExecution(listener),
    notificationsOf: (id) => notificationsBySubscriber.get(id) ?? [],
    commandsOf: (id) => commandsBySubscriber.get(id) ?? [],
    async barsOf(id) {
      const { bars } = await line.get(id);
      const byName = Object.fromEntries(CAP_LIST.map((cap) => [cap.bar, bars[cap.bucket] !== undefined]));
      return { dataRoaming: byName.dataRoaming === true, dataOverage: byName.dataOverage === true };
    },
  };
}
