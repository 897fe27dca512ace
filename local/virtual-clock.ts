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
  /** RFC 3339: when it runs (what its messages and commands carry). */
  readonly at: string;
  run(): Promise<void>;
}

/**
 * Runs scheduled work due at or before `until` (epoch ms), earliest first, each with the clock set to its
 * own time (`at`); the clock is then put back where it was. `nextDue` removes and returns the earliest
 * work due by then, or undefined.
 */
export async function runDueWork(
  clock: VirtualClock,
  until: number,
  nextDue: (untilMs: number) => ScheduledWork | undefined,
): Promise<number> {
  let ran = 0;
  const resume = clock.ms;
  try {
    for (let work = nextDue(until); work !== undefined; work = nextDue(until)) {
      clock.set(work.at);
      await work.run();
      ran++;
    }
  } finally {
    clock.set(resume);
  }
  return ran;
}
