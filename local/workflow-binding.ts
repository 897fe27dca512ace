/**
 * The policy workflow of the local runtime: the state machine synthesized from the CDK stack, run by
 * E's local workflow runner, with the real task handlers on the local services (profiles, bars and the
 * audit trail in dynalite) and the outboxes for SNS, the carrier and EventBridge Scheduler. Adds what
 * the virtual clock needs: each request runs with the clock as it was after the event that caused it,
 * and the schedule outbox's un-bars become scheduled work.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../shared/adapters/dynamo-audit-log.js';
import { DynamoBarStore } from '../shared/adapters/dynamo-bar-store.js';
import { DynamoProfileStore } from '../shared/adapters/dynamo-profile-store.js';
import type { PolicySettings } from '../shared/domain/model.js';
import type { PolicyRequest, PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import type { LocalEmulators } from './emulators.js';
import { CarrierOutbox, NotificationOutbox, ScheduleOutbox, type RecordedCommand, type RecordedNotification } from './outboxes.js';
import type { StateMachineDefinitionJson } from './policy-definition.js';
import type { ScheduledWork, VirtualClock } from './virtual-clock.js';
import { createLocalPolicyWorkflow, type LocalExecution } from './workflow-runner.js';

export type { RecordedCommand, RecordedNotification };

/** Where bill-shock alerts go locally (the ops topic in AWS). */
export const LOCAL_OPS_ADDRESS = 'ops@spendcap.local';

export interface LocalWorkflows {
  /** Given to the ingest handler: runs each request to its end, at its own virtual time. */
  readonly starter: PolicyWorkflowStarter;
  readonly notifications: NotificationOutbox;
  readonly carrier: CarrierOutbox;
  readonly schedules: ScheduleOutbox;
  /** The clock time a request must run at (ms), when the caller knows it better than the clock. */
  setRequestTime(timeOf: (request: PolicyRequest) => number | undefined): void;
  onCommand(listener: (command: RecordedCommand) => void): void;
  onNotification(listener: (notification: RecordedNotification) => void): void;
  onExecution(listener: (execution: LocalExecution) => void): void;
  notificationsOf(subscriberId: string): RecordedNotification[];
  commandsOf(subscriberId: string): RecordedCommand[];
  /** Bars in force, as the carrier-command task recorded them on the STATE item. */
  barsOf(subscriberId: string): Promise<{ dataRoaming: boolean; dataOverage: boolean }>;
  /** The earliest scheduled un-bar due at or before `untilMs`, removed from the schedule. */
  takeDue(untilMs: number): ScheduledWork | undefined;
  nextDueMs(): number | undefined;
  stop(): Promise<void>;
}

export async function startLocalWorkflows(options: {
  readonly clock: VirtualClock;
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
  const bars = new DynamoBarStore({ client: documents, tableName: emulators.tableNames.usage });
  const workflow = createLocalPolicyWorkflow({
    definition: options.definition,
    deps: {
      profiles: new DynamoProfileStore({ client: documents, tableName: emulators.tableNames.profiles }),
      bars,
      audit: new DynamoAuditLog({ client: documents, tableName: emulators.tableNames.audit }),
      notifier: notifications,
      carrier,
      scheduler: schedules,
      clock,
      settings,
      opsAddress: LOCAL_OPS_ADDRESS,
    },
  });
  let timeOf: (request: PolicyRequest) => number | undefined = () => undefined;
  // The feeder asks before every event; the schedule only changes when a workflow runs or work is taken.
  let nextDue: { ms: number | undefined } | undefined;

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

  // One execution at a time: the ingest handler works on several subscribers at once, and each
  // execution must read the clock as set for its own request, not another's.
  let queue: Promise<void> = Promise.resolve();
  /** Clock when each un-bar was scheduled: a late event's bar schedules one whose time has passed. */
  const scheduledAt = new Map<string, number>();
  const runAtItsTime = (request: PolicyRequest, atMs?: number): Promise<void> => {
    const run = queue.then(async () => {
      const resume = clock.ms;
      const at = atMs ?? timeOf(request);
      if (at !== undefined) clock.set(at);
      const known = schedules.all().length;
      try {
        await workflow.starter.start([request]);
      } finally {
        for (const entry of schedules.all().slice(known)) scheduledAt.set(entry.name, clock.ms);
        clock.set(resume);
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
  const starter: PolicyWorkflowStarter = {
    async start(requests) {
      nextDue = undefined;
      for (const request of requests) await runAtItsTime(request);
      nextDue = undefined;
    },
  };

  return {
    starter,
    notifications,
    carrier,
    schedules,
    setRequestTime(f) {
      timeOf = f;
    },
    onCommand: (listener) => carrier.onCommand(listener),
    onNotification: (listener) => notifications.onNotification(listener),
    onExecution: (listener) => workflow.onExecution(listener),
    notificationsOf: (id) => notificationsBySubscriber.get(id) ?? [],
    commandsOf: (id) => commandsBySubscriber.get(id) ?? [],
    async barsOf(id) {
      const state = await bars.get(id);
      return { dataRoaming: state.dataRoaming !== undefined, dataOverage: state.dataOverage !== undefined };
    },
    takeDue(untilMs) {
      const due = schedules.takeDue(untilMs);
      if (due === undefined) return undefined;
      nextDue = undefined;
      // Due in the past when scheduled (a late event's bar): it runs as soon as the clock moves, at the
      // time it was scheduled, as one event at a time would have run it.
      const atMs = Math.max(Date.parse(due.at), scheduledAt.get(due.name) ?? 0);
      scheduledAt.delete(due.name);
      return {
        at: new Date(atMs).toISOString(),
        run: async () => {
          nextDue = undefined;
          await runAtItsTime(due.request, atMs);
        },
      };
    },
    nextDueMs() {
      nextDue ??= { ms: schedules.nextDueMs() };
      return nextDue.ms;
    },
    async stop() {
      // Executions are awaited by their starters: nothing runs once the feeder has finished.
    },
  };
}
