/**
 * Runs the policy state machine locally: the definition synthesized from the CDK stack, executed by
 * aws-local-stepfunctions, with every Task bound (by state name) to `createHandler(deps)` of the real
 * function. Task inputs and results cross a JSON boundary as they would through Lambda.
 */
import './polyfills.js';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createHandler as createPlan } from '../functions/policy-plan/handler.js';
import { createHandler as createNotify } from '../functions/policy-notify/handler.js';
import { createHandler as createReportFailure } from '../functions/policy-report-failure/handler.js';
import { createHandler as createReconcile } from '../functions/reconcile-line/handler.js';
import { executionNameOf } from '../shared/adapters/sfn-workflow-starter.js';
import type { PolicyRequest, PolicySettings } from '../shared/domain/model.js';
import type { AuditLog } from '../shared/ports/audit-log.js';
import type { BarStore } from '../shared/ports/bar-store.js';
import type { CarrierGateway } from '../shared/ports/carrier-gateway.js';
import type { Clock } from '../shared/ports/clock.js';
import type { Notifier } from '../shared/ports/notifier.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import type { ProfileStore } from '../shared/ports/profile-store.js';
import type { UnbarScheduler } from '../shared/ports/unbar-scheduler.js';
import type { UsageStore } from '../shared/ports/usage-store.js';
import { POLICY_TASKS, type PolicyTaskFunction } from '../shared/policy/workflow-states.js';
import { PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION, type StateMachineDefinitionJson } from './policy-definition.js';

/** What the task functions need, with the local (or test) adapters. */
export interface LocalPolicyWorkflowDeps {
  readonly profiles: Pick<ProfileStore, 'get'>;
  /** The usage table (the current period's counters, the serving network). */
  readonly usage: Pick<UsageStore, 'load'>;
  /** The line's bars and its lease. */
  readonly line: BarStore;
  readonly audit: AuditLog;
  readonly notifier: Notifier;
  readonly carrier: CarrierGateway;
  readonly scheduler: UnbarScheduler;
  readonly clock: Clock;
  readonly settings: PolicySettings;
  /** Where BILL_SHOCK_ALERT goes (the `to` of ops notifications). @default 'ops' */
  readonly opsAddress?: string;
}

export interface LocalPolicyWorkflowOptions {
  /** From `loadPolicyDefinition()` / `synthesizePolicyDefinition()`: never hand-written. */
  readonly definition: StateMachineDefinitionJson;
  readonly deps: LocalPolicyWorkflowDeps;
  /** Wait before each retry, instead of the definition's backoff (ms). @default 0 */
  readonly retryDelayMs?: number;
  /** `$$.StateMachine.Id` of the executions. */
  readonly stateMachineArn?: string;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED';

export interface LocalExecution {
  readonly name: string;
  readonly request: PolicyRequest;
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  /** The execution's error (a Fail state's Error and Cause, or the uncaught task error). */
  readonly error?: { readonly Error: string; readonly Cause: string };
}

export interface LocalPolicyWorkflow {
  /** Runs one execution to its end (no de-duplication: two calls are two executions). */
  run(request: PolicyRequest, name?: string): Promise<LocalExecution>;
  /** Like StartExecution with the deterministic name: a name already used starts nothing. Awaits completion. */
  readonly starter: PolicyWorkflowStarter;
  /** Executions so far, by name, in start order. */
  executions(): LocalExecution[];
  onExecution(listener: (execution: LocalExecution) => void): void;
}

type TaskHandler = (input: unknown) => Promise<unknown>;

/** Every Task state of a definition, Map item processors and Parallel branches included. */
export function taskStatesOf(definition: { readonly States: Record<string, Record<string, unknown>> }): Array<{ name: string; state: Record<string, unknown> }> {
  const found: Array<{ name: string; state: Record<string, unknown> }> = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') found.push({ name, state });
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
    if (processor !== undefined) found.push(...taskStatesOf(processor));
    for (const branch of (state.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []) {
      found.push(...taskStatesOf(branch));
    }
  }
  return found;
}

/** Every state with a Retry field, nested ones included. */
function retryingStatesOf(definition: { readonly States: Record<string, Record<string, unknown>> }): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (Array.isArray(state.Retry)) names.push(name);
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
    if (processor !== undefined) names.push(...retryingStatesOf(processor));
  }
  return names;
}

/** What Lambda does to a payload: JSON in, JSON out (undefined values vanish, dates become strings). */
function throughJson(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

/**
 * Adapts a handler to a Task state. Tasks of the `arn:aws:states:::lambda:invoke` form get the Lambda
 * API's envelope (Payload in, { Payload } out); direct function ARNs (payloadResponseOnly) get the payload.
 */
function bindTask(state: Record<string, unknown>, handler: TaskHandler): (input: unknown) => Promise<unknown> {
  const envelope = typeof state.Resource === 'string' && state.Resource.startsWith('arn:aws:states:::lambda:invoke');
  return async (input: unknown) => {
    const payload = envelope ? (input as { Payload?: unknown }).Payload : input;
    const result = throughJson(await handler(throughJson(payload)));
    return envelope ? { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' } : result;
  };
}

function handlersOf(deps: LocalPolicyWorkflowDeps): Record<PolicyTaskFunction, TaskHandler> {
  const { audit, clock } = deps;
  return {
    'reconcile-line': createReconcile({
      profiles: deps.profiles,
      usage: deps.usage,
      line: deps.line,
      carrier: deps.carrier,
      schedulerFor: () => deps.scheduler,
      audit,
      clock,
    }),
    'policy-plan': createPlan({ profiles: deps.profiles, usage: deps.usage, settings: deps.settings, opsAddress: deps.opsAddress ?? 'ops', clock }),
    'policy-notify': createNotify({ notifier: deps.notifier, audit, clock }),
    'policy-report-failure': createReportFailure({ notifier: deps.notifier, audit, clock }),
  };
}

function errorOf(e: unknown): { Error: string; Cause: string } {
  // ExecutionError wraps the state's error (a Fail state's Error/Cause, or the uncaught task error).
  const inner = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  if (inner instanceof Error) return { Error: inner.name, Cause: inner.message };
  return { Error: 'Error', Cause: String(inner) };
}

/**
 * Validating a definition takes a few hundred ms (JSON schema compilation): done once per definition.
 * A machine holds no per-run state: handlers and context are given to each `run`.
 */
const machines = new WeakMap<StateMachineDefinitionJson, StateMachine>();

function machineOf(definition: StateMachineDefinitionJson): StateMachine {
  let machine = machines.get(definition);
  if (machine === undefined) {
    machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
    machines.set(definition, machine);
  }
  return machine;
}

export function createLocalPolicyWorkflow(options: LocalPolicyWorkflowOptions): LocalPolicyWorkflow {
  const { definition, deps } = options;
  const stateMachineArn = options.stateMachineArn ?? `arn:aws:states:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT}:stateMachine:spendcap-policy-local`;
  const handlers = handlersOf(deps);

  type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
  type JsonValue = Parameters<LocalHandlers[string]>[0];
  const taskResourceLocalHandlers: LocalHandlers = {};
  for (const { name, state } of taskStatesOf(definition)) {
    const fn = (POLICY_TASKS as Readonly<Record<string, PolicyTaskFunction>>)[name];
    // An unbound Task would call AWS Lambda for real: refuse the definition instead.
    if (fn === undefined) throw new Error(`definition: Task state "${name}" has no local handler (see shared/policy/workflow-states.ts)`);
    const bound = bindTask(state, handlers[fn]);
    taskResourceLocalHandlers[name] = async (input: JsonValue) => (await bound(input)) as JsonValue;
  }
  const retryIntervalOverrides: Record<string, number> = {};
  for (const name of retryingStatesOf(definition)) retryIntervalOverrides[name] = options.retryDelayMs ?? 0;

  const machine = machineOf(definition);
  const byName = new Map<string, LocalExecution>();
  const listeners: Array<(execution: LocalExecution) => void> = [];
  let sequence = 0;

  async function run(request: PolicyRequest, name = `local-${++sequence}-${executionNameOf(request)}`.slice(0, 80)): Promise<LocalExecution> {
    const input = throughJson(request) as JsonValue;
    const execution = machine.run(input, {
      overrides: { taskResourceLocalHandlers, retryIntervalOverrides },
      context: {
        Execution: { Id: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, Name: name, Input: input, StartTime: deps.clock.now().toISOString() },
        StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop() ?? 'policy' },
      },
    });
    let result: LocalExecution;
    try {
      const output: unknown = await execution.result;
      result = { name, request, status: 'SUCCEEDED', output };
    } catch (e: unknown) {
      result = { name, request, status: 'FAILED', error: errorOf(e) };
    }
    byName.set(name, result);
    for (const listener of listeners) listener(result);
    return result;
  }

  const inFlight = new Map<string, Promise<LocalExecution>>();
  const starter: PolicyWorkflowStarter = {
    async start(requests: readonly PolicyRequest[]): Promise<void> {
      // In order, each to its end: the replay needs every consequence of an event before the next one.
      for (const request of requests) {
        const name = executionNameOf(request);
        if (byName.has(name)) continue;
        const running = inFlight.get(name);
        if (running !== undefined) {
          await running;
          continue;
        }
        const started = run(request, name);
        inFlight.set(name, started);
        try {
          await started;
        } finally {
          inFlight.delete(name);
        }
      }
    },
  };

  return {
    run,
    starter,
    executions: () => [...byName.values()],
    onExecution: (listener) => listeners.push(listener),
  };
}
