/**
 * The cpu section's full-handler figure again, in a child process whose X-Ray SDK starts in automatic mode,
 * as in Lambda: loading the SDK then enables an async hook that follows every promise (cls-hooked), which
 * the local runtime and the rest of the bench switch off (`AWS_XRAY_MANUAL_MODE`, local/local-env.ts).
 * The hook cannot be switched off again in a process, hence the child.
 *
 * Run by bench/cpu.ts (`measureInLambdaMode`); as a command: `node --import tsx bench/cpu-lambda-mode.ts '<json options>'`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CpuOptions } from './cpu.js';

export interface LambdaModeFigures {
  /** Full handler, per main-thread CPU-second, with the X-Ray SDK's async hook on (median of the rounds). */
  readonly eventsPerCpuSecond: number;
  readonly roundsEventsPerCpuSecond: readonly number[];
  readonly eventsPerSecond: number;
  /** Whether the child's X-Ray SDK really started in automatic mode (its namespace exists). */
  readonly asyncHookOn: boolean;
}

export function measureInLambdaMode(options: CpuOptions): LambdaModeFigures {
  // An empty value reads as "not manual" to the X-Ray SDK, and as "set" to local/local-env.ts, which keeps it.
  const env = { ...process.env, AWS_XRAY_MANUAL_MODE: '' };
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(options)], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as LambdaModeFigures;
}

async function child(options: CpuOptions): Promise<void> {
  await import('../local/local-env.js');
  const { runFullHandler } = await import('./cpu.js');
  const figures = await runFullHandler(options);
  const namespaces = (process as { namespaces?: Record<string, unknown> }).namespaces ?? {};
  const result: LambdaModeFigures = {
    eventsPerCpuSecond: figures.eventsPerCpuSecond,
    roundsEventsPerCpuSecond: figures.roundsEventsPerCpuSecond,
    eventsPerSecond: figures.eventsPerSecond,
    asyncHookOn: namespaces.AWSXRay != null,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// Not a top-level await: cpu.ts imports this module, so awaiting here would wait on itself.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  child(JSON.parse(process.argv[2] ?? '{}') as CpuOptions).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
