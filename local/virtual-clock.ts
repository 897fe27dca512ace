/**
 * Virtual time for the replay and the demo (replay contract): the clock is the largest eventTime read
 * so far, over all subscribers. Work scheduled for a time runs when the clock passes it: the clock
 * first stops at the scheduled time, the work runs (its notifications and commands carry that time),
 * then the event that moved the clock is applied.
 */
import type { Clock } from '../shared/ports/clock.js';

export class VirtualClock implements Clock {
  private currentMs: number;

  constructor(start: Date | string | number = 0) {
    this.currentMs = toMs(start);
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  get ms(): number {
    return this.currentMs;
  }

  /** Moves forward to `time` if it is later; an earlier (late) eventTime leaves the clock where it is. */
  advanceTo(time: Date | string | number): void {
    const ms = toMs(time);
    if (ms > this.currentMs) this.currentMs = ms;
  }

  /** Sets the clock exactly, forward or back (only to run work at its own time, then restore). */
  set(time: Date | string | number): void {
    this.currentMs = toMs(time);
  }
}

function toMs(time: Date | string | number): number {
  const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : time.getTime();
  if (Number.isNaN(ms)) throw new Error(`clock: not a time (${String(time)})`);
  return ms;
}

export interface ScheduledWork {
  /** RFC 3339. */
  readonly at: string;
  run(): Promise<void>;
}

/**
 * Runs scheduled work at its time on a virtual clock. `due` returns, earliest first, the work whose
 * time is at or before `until` (E's schedule outbox holds it); the runner moves the clock to each
 * work's time, runs it, and leaves the clock at the later of that time and where it was.
 */
export async function runDueWork(
  clock: VirtualClock,
  until: number,
  nextDue: (untilMs: number) => ScheduledWork | undefined,
): Promise<number> {
  let ran = 0;
  for (let work = nextDue(until); work !== undefined; work = nextDue(until)) {
    const before = clock.ms;
    const atMs = Date.parse(work.at);
    // Work due in the past (scheduled by a late event) runs now; its time cannot be earlier than now.
    clock.set(Math.max(atMs, before));
    await work.run();
    clock.set(Math.max(atMs, before));
    ran++;
  }
  return ran;
}
