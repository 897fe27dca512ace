/**
 * Replay throughput and memory: `npm run replay` as a child process on traffic from the generator
 * (local/generate-traffic.ts: home and roaming data, voice, SMS, attaches, 1% carrier duplicates, 0.5%
 * malformed lines, 1,000 subscribers over one month), under GNU time for the peak resident set size
 * (the largest process of the tree: the Node.js process running the replay).
 *
 * The report it writes also gives what the policy workflow does per event with that traffic: policy
 * executions, SMS sent and their parts, used by the cost model.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { smsSegments } from '../shared/domain/gsm7.js';
import type { CarrierCommand } from '../shared/domain/model.js';
import { generateTraffic } from '../local/generate-traffic.js';
import type { ReplayReport } from '../local/replay-report.js';

export interface ReplayBenchOptions {
  readonly events: number;
  readonly subscribers: number;
  /** Work directory for the traffic files and the report (`report.json`, left there). */
  readonly dir: string;
  readonly cwd: string;
  /** `--store` of the replay; absent: its default (memory). */
  readonly store?: 'memory' | 'dynalite';
}

export interface ReplayFigures {
  readonly events: number;
  readonly subscribers: number;
  /** Where the replay kept the pipeline's data. */
  readonly store: 'memory' | 'dynalite';
  /** Events over the child's whole wall time, start-up (CDK synth of the workflow definition) included. */
  readonly eventsPerSecond: number;
  readonly wallSeconds: number;
  /** The replay's own rate while feeding events (its last progress line), when it printed one. */
  readonly feedEventsPerSecond?: number;
  /** Peak resident set size of the replay process (GNU time %M), MB of 10^6 bytes. */
  readonly peakRssMb?: number;
  readonly exitCode: number;
  readonly eventsApplied: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Distinct (subscriber, kind, time) of notifications and carrier commands: one policy execution each. */
  readonly policyExecutions: number;
  readonly smsMessages: number;
  readonly smsParts: number;
  readonly carrierCommands: number;
  readonly command: string;
}

const GNU_TIME = '/usr/bin/time';

/** The request whose execution sends a command (and, channels allowing, its notification). */
const REQUEST_KIND_OF_COMMAND: Readonly<Record<CarrierCommand, string>> = {
  BAR_DATA_ROAMING: 'ROAMING_CAP_REACHED',
  BAR_DATA_OVERAGE: 'OVERAGE_CAP_REACHED',
  UNBAR_DATA_ROAMING: 'CAP_RESET',
  UNBAR_DATA_OVERAGE: 'CAP_RESET',
};

function run(command: string, args: readonly string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Keep the tail only: progress lines of a long replay add up.
      stderr = (stderr + chunk).slice(-20_000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

export async function runReplayBenchmark(options: ReplayBenchOptions): Promise<ReplayFigures> {
  await mkdir(options.dir, { recursive: true });
  const { subscribersFile, eventsFile } = await generateTraffic({ events: options.events, subscribers: options.subscribers, out: options.dir });
  const reportFile = join(options.dir, 'report.json');
  const timeFile = join(options.dir, 'time.txt');
  const replayArgs = ['run', 'replay', '--', '--subscribers', subscribersFile, '--events', eventsFile, '--report', reportFile, ...(options.store !== undefined ? ['--store', options.store] : [])];
  const useTime = existsSync(GNU_TIME);
  const started = performance.now();
  const { code, stderr } = useTime
    ? await run(GNU_TIME, ['-f', '%M %e', '-o', timeFile, 'npm', ...replayArgs], options.cwd)
    : await run('npm', replayArgs, options.cwd);
  const wallSeconds = (performance.now() - started) / 1_000;
  if (code !== 0) throw new Error(`replay exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);

  let peakRssMb: number | undefined;
  if (useTime) {
    const kb = Number(readFileSync(timeFile, 'utf8').trim().split(/\s+/)[0]);
    // GNU time reports kilobytes of 1,024 bytes.
    if (Number.isFinite(kb)) peakRssMb = (kb * 1_024) / 1e6;
  }
  const rates = [...stderr.matchAll(/replay: [\d,]+ events read, ([\d,]+)\/s/g)].map((m) => Number((m[1] ?? '').replace(/,/g, '')));
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as ReplayReport;

  const executions = new Set<string>();
  let smsMessages = 0;
  let smsParts = 0;
  let carrierCommands = 0;
  for (const s of report.subscribers) {
    for (const n of s.notifications) {
      executions.add(`${s.subscriberId}|${n.kind}|${n.at}`);
      if (n.channel === 'sms') {
        smsMessages++;
        smsParts += smsSegments(n.text);
      }
    }
    for (const c of s.carrierCommands) {
      carrierCommands++;
      executions.add(`${s.subscriberId}|${REQUEST_KIND_OF_COMMAND[c.command]}|${c.at}`);
    }
  }
  const lastRate = rates.at(-1);
  return {
    events: options.events,
    subscribers: options.subscribers,
    store: options.store ?? 'memory',
    eventsPerSecond: options.events / wallSeconds,
    wallSeconds,
    ...(lastRate !== undefined ? { feedEventsPerSecond: lastRate } : {}),
    ...(peakRssMb !== undefined ? { peakRssMb } : {}),
    exitCode: code,
    eventsApplied: report.eventsApplied,
    duplicates: report.duplicates,
    rejected: report.rejected.length,
    policyExecutions: executions.size,
    smsMessages,
    smsParts,
    carrierCommands,
    command: `npm ${replayArgs.join(' ')}`,
  };
}
