import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';
import type { UnbarScheduler } from '../ports/unbar-scheduler.js';
import type { PlannedUnbar } from './payloads.js';

export interface ScheduleUnbarDeps {
  readonly scheduler: UnbarScheduler;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** Schedules the CAP_RESET of a cap bar at the next period start (once: the schedule name is deterministic). */
export async function scheduleUnbar(planned: PlannedUnbar, deps: ScheduleUnbarDeps): Promise<{ outcome: 'SCHEDULED' | 'ALREADY_SCHEDULED'; runAt: string }> {
  const at = deps.clock.now().toISOString();
  const key = { subscriberId: planned.subscriberId, period: planned.period, crossingId: planned.crossingId, action: `schedule-unbar-${planned.bucket}` };
  if ((await deps.audit.begin(key, at)) === 'DONE') return { outcome: 'ALREADY_SCHEDULED', runAt: planned.runAt };
  const { outcome, name } = await deps.scheduler.schedule(planned.runAt, planned.request);
  await deps.audit.complete(key, {
    type: 'UNBAR_SCHEDULED',
    subscriberId: planned.subscriberId,
    at,
    period: planned.period,
    crossingId: planned.crossingId,
    bucket: planned.bucket,
    runAt: planned.runAt,
    scheduleName: name,
  });
  return { outcome, runAt: planned.runAt };
}
