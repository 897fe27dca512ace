/**
 * Pipeline latency: from PutRecord on the local stream (kinesalite) to the bar command recorded by the
 * carrier outbox, through the whole local pipeline: the local stream poller (local/stream-poller.ts, a
 * Lambda-like event source mapping) invoking the real ingest handler on dynalite, which starts the
 * synthesized policy workflow (local/workflow-runner.ts on aws-local-stepfunctions), whose
 * carrier-command task calls the carrier gateway.
 *
 * Each sample is a fresh subscriber whose single roaming event (EUR 60 in Switzerland) crosses the
 * EUR 50 roaming cap at once: the welcome, the 80% warning and the cap message run first, then the bar,
 * as in AWS. Samples are sequential, started at a random offset so that they fall anywhere in the
 * poller's idle wait. The clock of the workflow is virtual (the local runtime's); latency is wall time.
 *
 * Also counts, per policy request, the state transitions that Step Functions Standard would bill
 * (states entered + retries, read from aws-local-stepfunctions' event log) and the task invocations.
 */
import { executionNameOf } from '../shared/adapters/sfn-workflow-starter.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { performance } from 'node:perf_hooks';
import { StateMachine } from 'aws-local-stepfunctions';
import type { SubscriberProfile } from '../shared/domain/model.js';
import { parseSubscriberProfile } from '../shared/domain/subscriber-schema.js';
import { startLocalRuntime } from '../local/runtime.js';
import { StreamPoller } from '../local/stream-poller.js';
import { summarize, type Summary } from './stats.js';

export interface LatencyOptions {
  readonly samples: number;
  /** The poller's pause between reads of an idle shard (the local runtime's default 250 ms; Lambda polls about once a second). */
  readonly idlePollMs?: number;
}

export interface WorkflowShape {
  readonly executions: number;
  readonly stateTransitions: number;
  readonly taskInvocations: number;
  readonly stateTransitionsPerExecution: number;
  readonly taskInvocationsPerExecution: number;
  /** Per execution kind: how many, transitions and tasks each (the cost model weighs them). */
  readonly byKind: Readonly<Record<string, { executions: number; stateTransitions: number; taskInvocations: number }>>;
}

export interface LatencyFigures {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly summaryMs: Summary;
  readonly idlePollMs: number;
  readonly measuredFrom: 'PutRecord on the local stream (kinesalite)';
  readonly measuredTo: 'BAR_DATA_ROAMING recorded by the carrier outbox';
  readonly workflow: WorkflowShape;
}

interface ExecutionTally {
  kind: string;
  stateTransitions: number;
  taskInvocations: number;
}

type RunFn = StateMachine['run'];

/**
 * Taps aws-local-stepfunctions' event log of every execution started while installed (the runner is
 * untouched: the tap wraps StateMachine.prototype.run and reads the log the library already produces).
 */
function tapExecutions(tallies: ExecutionTally[]): () => void {
  const prototype = StateMachine.prototype as { run: RunFn };
  const original = prototype.run;
  prototype.run = function tapped(this: StateMachine, input, options) {
    const execution = original.call(this, input, options);
    const kind = (input as { kind?: unknown } | null)?.kind;
    // Map iterations run as inner state machines without a kind; their states are in the parent's log.
    if (typeof kind !== 'string') return execution;
    const tally: ExecutionTally = { kind, stateTransitions: 0, taskInvocations: 0 };
    tallies.push(tally);
    void (async () => {
      try {
        for await (const event of execution.eventLogs) {
          if (event.type === 'StateEntered') {
            tally.stateTransitions++;
            if (event.state.type === 'Task') tally.taskInvocations++;
          } else if (event.type === 'StateRetried') {
            tally.stateTransitions++;
            tally.taskInvocations++;
          }
        }
      } catch {
        // A failed execution ends its log with an error: the tally so far stands.
      }
    })();
    return execution;
  } as RunFn;
  return () => {
    prototype.run = original;
  };
}

function latencyProfile(subscriberId: string, i: number): SubscriberProfile {
  const parsed = parseSubscriberProfile({
    subscriberId,
    msisdn: `+3361${String(i).padStart(7, '0')}`,
    homePlmn: '20801',
    plan: { dataAllowanceBytes: 5_000_000_000, monthlyFeeMicros: 20_000_000 },
  });
  if (!parsed.ok) throw new Error(`latency profile invalid: ${parsed.reason}`);
  return parsed.value;
}

function shapeOf(tallies: readonly ExecutionTally[]): WorkflowShape {
  const byKind: Record<string, { executions: number; stateTransitions: number; taskInvocations: number }> = {};
  let stateTransitions = 0;
  let taskInvocations = 0;
  for (const t of tallies) {
    const k = (byKind[t.kind] ??= { executions: 0, stateTransitions: 0, taskInvocations: 0 });
    k.executions++;
    k.stateTransitions += t.stateTransitions;
    k.taskInvocations += t.taskInvocations;
    stateTransitions += t.stateTransitions;
    taskInvocations += t.taskInvocations;
  }
  const executions = tallies.length;
  return {
    executions,
    stateTransitions,
    taskInvocations,
    stateTransitionsPerExecution: executions > 0 ? stateTransitions / executions : 0,
    taskInvocationsPerExecution: executions > 0 ? taskInvocations / executions : 0,
    byKind,
  };
}

export async function runLatencyBenchmark(options: LatencyOptions): Promise<LatencyFigures> {
  const idlePollMs = options.idlePollMs ?? 250;
  const tallies: ExecutionTally[] = [];
  const untap = tapExecutions(tallies);
  // As `npm start` and the replay do: the runtime points this process's SDK environment at the emulators.
  const runtime = await startLocalRuntime({ env: process.env });
  // Wall-clock time here, as in AWS: each execution runs as soon as ingest starts it, at the time it runs.
  const starter: PolicyWorkflowStarter = {
    async start(requests) {
      for (const request of requests) {
        runtime.clock.ms = Date.now();
        await runtime.workflows.run(request, executionNameOf(request));
      }
    },
  };
  const poller = new StreamPoller({
    kinesis: runtime.emulators.kinesis,
    streamName: runtime.emulators.streamName,
    region: runtime.emulators.region,
    handler: runtime.ingestWith(starter),
    idlePollMs,
  });
  try {
    const ids = Array.from({ length: options.samples }, (_, i) => `lat${String(i).padStart(6, '0')}`);
    await runtime.putProfiles(ids.map((id, i) => latencyProfile(id, i)));
    const waiting = new Map<string, (at: number) => void>();
    runtime.workflows.onCommand((command) => {
      if (command.command !== 'BAR_DATA_ROAMING') return;
      waiting.get(command.subscriberId)?.(performance.now());
    });
    await poller.start('LATEST');
    const latencies: number[] = [];
    for (const [i, subscriberId] of ids.entries()) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * idlePollMs));
      // Usage of a moment ago: the stream's arrival time is the wall clock, and the period must be current.
      const time = new Date(Date.now() - 1000).toISOString();
      const barred = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`latency: no bar for sample ${i} within 30 s`)), 30_000);
        waiting.set(subscriberId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const event = {
        recordId: `lat-${i}`,
        subscriberId,
        eventTime: time,
        service: 'data',
        volumeBytes: 5_000_000,
        servingPlmn: '22801',
        chargeMicros: 60_000_000,
      };
      const put = performance.now();
      await runtime.emulators.kinesis.send(
        new PutRecordCommand({ StreamName: runtime.emulators.streamName, PartitionKey: subscriberId, Data: Buffer.from(JSON.stringify(event)) }),
      );
      latencies.push((await barred) - put);
      waiting.delete(subscriberId);
    }
    const summaryMs = summarize(latencies);
    return {
      samples: latencies.length,
      p50Ms: summaryMs.p50,
      p99Ms: summaryMs.p99,
      summaryMs,
      idlePollMs,
      measuredFrom: 'PutRecord on the local stream (kinesalite)',
      measuredTo: 'BAR_DATA_ROAMING recorded by the carrier outbox',
      workflow: shapeOf(tallies),
    };
  } finally {
    untap();
    await poller.stop();
    await runtime.stop();
  }
}
