/**
 * The safety net behind the per-bar lift schedules: finds the bars whose period ended a while ago and that
 * are still in force (a schedule lost or deleted by hand, a start that Scheduler dead-lettered, a lift that
 * failed), and starts their CAP_RESET again. It reads the sparse index of lines holding a bar, by the time
 * their earliest bar must end: never the whole table. Finding any is abnormal, so the count is alarmed.
 */
import type { PolicyRequest } from '../domain/model.js';
import type { BarStore } from '../ports/bar-store.js';
import type { Clock } from '../ports/clock.js';
import type { PolicyWorkflowStarter } from '../ports/policy-workflow.js';

export interface SweepDeps {
  readonly line: Pick<BarStore, 'get' | 'overdue' | 'shards'>;
  readonly workflows: PolicyWorkflowStarter;
  readonly clock: Clock;
  /**
   * How long after its end a bar counts as overdue: the schedule fires at the end, and its workflow
   * (with carrier retries) takes a few minutes at most.
   * @default 15 minutes
   */
  readonly graceMs?: number;
}

export interface SweepResult {
  /** Bars found in force past their end plus the grace. */
  readonly overdueBars: number;
}

/** Lines read per query page. */
const PAGE = 500;

export async function sweepOverdueBars(deps: SweepDeps): Promise<SweepResult> {
  const nowMs = deps.clock.now().getTime();
  const cutoff = new Date(nowMs - (deps.graceMs ?? 15 * 60_000)).toISOString();
  // One forced lift per bar and hour: a lift that keeps failing is retried, and alerted, once an hour.
  const hour = new Date(nowMs).toISOString().slice(0, 13);
  const requests: PolicyRequest[] = [];
  for (let shard = 0; shard < deps.line.shards; shard++) {
    for (const { subscriberId } of await deps.line.overdue(shard, cutoff, PAGE)) {
      const { bars } = await deps.line.get(subscriberId);
      for (const bar of Object.values(bars)) {
        if (bar.until > cutoff) continue;
        requests.push({
          kind: 'CAP_RESET',
          subscriberId,
          period: bar.period,
          crossingId: `CAP_RESET#${bar.id}#sweep@${hour}`,
          at: new Date(nowMs).toISOString(),
          bucket: bar.bucket,
          barId: bar.id,
        });
      }
    }
  }
  if (requests.length > 0) await deps.workflows.start(requests);
  return { overdueBars: requests.length };
}
