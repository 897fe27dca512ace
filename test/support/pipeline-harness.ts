/**
 * The whole pipeline in memory, one step at a time, for property tests over long histories: the real
 * ingest use case, the real policy workflow (the synthesized definition with every task bound to its
 * handler) and the real self-care use cases, on in-memory stores, with a clock the test moves. Each
 * request runs as soon as it is started, at the time of the step that caused it; each bar's lift runs when
 * the clock reaches it. What the local runtime does with dynalite and kinesalite, minus the emulators.
 */
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import type { CarrierEvent, PolicyRequest, PolicySettings, SubscriberProfile } from '../../shared/domain/model.js';
import { ingestBatch, type IngestStats } from '../../shared/ingest/ingest-batch.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import { SelfCare } from '../../shared/selfcare/use-cases.js';
import { executionNameOf } from '../../shared/adapters/sfn-workflow-starter.js';
import { CarrierOutbox, NotificationOutbox, ScheduleOutbox, type ScheduledUnbar } from '../../local/outboxes.js';
import { loadPolicyDefinition } from '../../local/policy-definition.js';
import { VirtualClock } from '../../local/timeline.js';
import { createLocalPolicyWorkflow, type LocalExecution } from '../../local/workflow-runner.js';
import { MemoryQuarantine } from './ingest-harness.js';
import { MemoryAuditLog, MemoryBarStore, MemoryProfileFields, MemoryProfileStore } from './memory-line.js';
import { MemoryUsageStore } from './memory-usage-store.js';

export class MemoryPipeline {
  readonly clock = new VirtualClock();
  readonly usage = new MemoryUsageStore();
  readonly line = new MemoryBarStore();
  readonly audit = new MemoryAuditLog();
  readonly profiles: MemoryProfileStore;
  readonly notifications = new NotificationOutbox();
  readonly carrier = new CarrierOutbox();
  readonly schedules = new ScheduleOutbox();
  readonly quarantine = new MemoryQuarantine();
  readonly executions: LocalExecution[] = [];
  readonly selfCare: SelfCare;
  private readonly lifts: ScheduledUnbar[] = [];
  private readonly started = new Set<string>();
  private readonly workflow;
  private sequence = 0;

  constructor(profiles: readonly SubscriberProfile[], private readonly settings: PolicySettings = DEFAULT_SETTINGS) {
    this.profiles = new MemoryProfileStore(profiles);
    this.workflow = createLocalPolicyWorkflow({
      definition: loadPolicyDefinition(),
      deps: {
        profiles: this.profiles,
        usage: this.usage,
        line: this.line,
        audit: this.audit,
        notifier: this.notifications,
        carrier: this.carrier,
        scheduler: this.schedules,
        clock: this.clock,
        settings,
      },
    });
    this.schedules.onSchedule((entry) => this.lifts.push(entry));
    this.selfCare = new SelfCare({
      profiles: this.profiles,
      profileFields: new MemoryProfileFields(this.profiles),
      directory: { findByMsisdn: async () => undefined, listByMsisdn: async () => [], findByPseudonym: async () => [] },
      usage: this.usage,
      bars: this.line,
      audit: this.audit,
      workflow: this.starter,
      clock: this.clock,
      settings,
    });
  }

  /** Like StartExecution with the deterministic name, and the execution runs at once, at the clock. */
  readonly starter: PolicyWorkflowStarter = {
    start: async (requests: readonly PolicyRequest[]) => {
      for (const request of requests) {
        const name = executionNameOf(request);
        if (this.started.has(name)) continue;
        this.started.add(name);
        this.executions.push(await this.workflow.run(request, name));
      }
    },
  };

  /**
   * Moves the clock to `ms`, running on the way every lift that falls due, each at its own time; `onLift`
   * sees the line after all the lifts of one instant (a period end lifts both buckets' bars).
   */
  async advanceTo(ms: number, onLift?: () => Promise<void> | void): Promise<void> {
    for (;;) {
      this.lifts.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const next = this.lifts[0];
      if (next === undefined || Date.parse(next.at) > ms) break;
      const due = Date.parse(next.at);
      this.clock.ms = Math.max(this.clock.ms, due);
      while (this.lifts[0] !== undefined && Date.parse(this.lifts[0].at) === due) {
        const lift = this.lifts.shift()!;
        await this.starter.start([lift.request]);
      }
      await onLift?.();
    }
    this.clock.ms = Math.max(this.clock.ms, ms);
  }

  /** Events arriving now on one stream, in one batch: ingested, and what they start run at once. */
  async ingest(events: readonly CarrierEvent[]): Promise<IngestStats> {
    const arrival = this.clock.ms / 1000;
    const records = events.map((event) => ({
      shardId: 'shardId-000000000000',
      sequenceNumber: String(++this.sequence).padStart(21, '0'),
      data: JSON.stringify(event),
      arrivalTime: arrival,
    }));
    const { stats, failed } = await ingestBatch(records, {
      usage: this.usage,
      ledger: this.usage,
      profiles: this.profiles,
      quarantine: this.quarantine,
      workflows: this.starter,
      settings: this.settings,
    });
    if (failed.size > 0) throw new Error(`ingest failed ${failed.size} records`);
    return stats;
  }

  /** Lifts still waiting for their time. */
  pendingLifts(): readonly ScheduledUnbar[] {
    return [...this.lifts];
  }
}
