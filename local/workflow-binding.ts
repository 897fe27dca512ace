/**
 * The policy workflow of the local runtime: the state machine synthesized from the CDK stack, run by the
 * local workflow runner, with the real task handlers on the local services (profiles, counters, the line's
 * bars and the audit trail in dynalite) and the outboxes for SNS, the carrier and EventBridge Scheduler.
 * When each execution runs, and at what virtual time, is the timeline's business (local/timeline.ts).
 */
import { CAP_LIST } from '../shared/domain/caps.js';
import type { PolicyRequest, PolicySettings } from '../shared/domain/model.js';
import type { AuditLog } from '../shared/ports/audit-log.js';
import type { BarStore } from '../shared/ports/bar-store.js';
import type { Clock } from '../shared/ports/clock.js';
import type { ProfileStore } from '../shared/ports/profile-store.js';
import type { UsageStore } from '../shared/ports/usage-store.js';
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

/** The stores the workflow's tasks use: the DynamoDB adapters on dynalite, or their in-memory twins. */
export interface WorkflowStores {
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly usage: Pick<UsageStore, 'load'>;
  readonly line: BarStore;
  readonly audit: AuditLog;
}

export async function startLocalWorkflows(options: {
  readonly clock: Clock;
  readonly settings: PolicySettings;
  readonly stores: WorkflowStores;
  /** Synthesized from the CDK stack (`synthesizeInChildProcess` / `loadPolicyDefinition`). */
  readonly definition: StateMachineDefinitionJson;
}): Promise<LocalWorkflows> {
  const { clock, settings } = options;
  const { line } = options.stores;
  const notifications = new NotificationOutbox();
  const carrier = new CarrierOutbox();
  const schedules = new ScheduleOutbox();
  const workflow = createLocalPolicyWorkflow({
    definition: options.definition,
    deps: {
      profiles: options.stores.profiles,
      usage: options.stores.usage,
      line,
      audit: options.stores.audit,
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
