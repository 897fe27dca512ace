/**
 * CPU time of the main JavaScript thread only. `process.cpuUsage()` adds the garbage collector's and the
 * JIT compiler's helper threads, and wall time counts the moments another process had the core (the
 * benchmark machine is shared): neither is "what one core does". On Linux the kernel keeps per-thread
 * times in /proc (the main thread's id is the process id), in clock ticks of 10 ms.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** Seconds of CPU the main thread has used, or undefined where /proc is not available. */
export function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): state is field 3,
    // utime field 14 and stime field 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
