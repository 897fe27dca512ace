/**
 * Virtual time of the local runtime, in one place: `npm run replay`, `npm start` and `--follow` all run on it.
 *
 * The rule. The clock at a line is the largest eventTime of the valid lines read up to it, a pure function
 * of the input. Everything runs at a time given by that rule: a line is ingested with its clock as its
 * arrival time (or its own eventTime when later: a line that did not move the clock); a policy request
 * runs at the clock of the line that caused it (its `cause`, looked up), or at its own `at` when no line
 * caused it (a self-care change); a bar's lift runs at the end of the bar's period. One agenda, ordered by (time, sequence), holds the requests and the lifts; the workflow starter
 * given to ingest and to the API only enqueues, as Step Functions does.
 *
 * The result is what feeding one line at a time gives: before each line, the lifts due by its clock; then
 * the line; then its requests. Lines go to the ingest handler in waves for speed, which changes nothing,
 * because subscribers do not influence each other and, within a subscriber, a line joins a wave only when
 * nothing before it can still change how it is processed:
 * - no earlier line of the subscriber in the wave may reach a cap. A cap's workflow bars (the network then
 *   refuses later usage) and reads the counters as they were after that line. The prediction runs the
 *   domain's own applyEvents on the state the pipeline saved; it cannot tell duplicates and applies them
 *   too, which only makes it reach a cap earlier, because counters only grow. Warnings and welcomes read
 *   nothing a later line changes: they need no break.
 * - no lift of the subscriber is due by the line's clock; if one is, it runs first, once the subscriber has
 *   no line left in the wave (its earlier lines all come before the lift).
 * - the network does not rate it from the counters (refused data without a charge): if it does, the line
 *   waits until the subscriber has no line left in the wave, so that the allowance left counts them all.
 * At the end, every lift due by the last clock runs; nothing runs after it.
 */
import { executionNameOf } from '../shared/adapters/sfn-workflow-starter.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import type { CarrierEvent, PolicyRequest } from '../shared/domain/model.js';
import type { Clock } from '../shared/ports/clock.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import type { EventLine } from './replay-input.js';
import type { ScheduledUnbar } from './outboxes.js';
import type { SimulatedNetwork } from './simulated-network.js';

/** The domain's clock of the local runtime: set by the timeline to the time of what runs. */
export class VirtualClock implements Clock {
  ms = 0;
  now(): Date {
    return new Date(this.ms);
  }
}

/** A line with its clock, ready for a wave. */
export interface TimedLine extends EventLine {
  readonly clockMs: number;
  /**
   * When the line "reached the stream": its clock, or its own eventTime when that is later (a line ingest
   * will refuse for another reason did not move the clock). So the only time bound a replay line can meet
   * is the duplicate window, as the contract says.
   */
  readonly arrivalMs: number;
  /** Kinesis partition key: the subscriberId when it can be read, else a stable stand-in. */
  readonly partitionKey: string;
  /** The event, when the line is one of a known subscriber (the others are rejected by ingest, wherever they sit). */
  readonly event?: CarrierEvent;
}

/** Hands a wave to the ingest handler; resolves once it has ingested every line (each with its `arrivalMs`). */
export interface Delivery {
  deliver(lines: readonly TimedLine[], timeline: Timeline): Promise<void>;
}

export interface TimelineOptions {
  /** The clock the workflow's handlers read: set to the time of each piece of work before it runs. */
  readonly clock: VirtualClock;
  /** Runs one workflow execution to its end (the clock is already set to its time). */
  readonly run: (request: PolicyRequest, name: string) => Promise<unknown>;
  readonly delivery: Delivery;
  readonly isKnown: (subscriberId: string) => boolean;
  /** Refuses data the carrier has barred (the replay and the demo); absent: everything is delivered. */
  readonly network?: SimulatedNetwork;
  /** Whether an event may make the subscriber's line reach a cap (see the rule above). Absent: always. */
  readonly mayReachCap?: (event: CarrierEvent, clockMs: number) => boolean;
  /** The wave was ingested: predictions start again from what the pipeline saved. */
  readonly onWave?: () => void;
  /** A wave is about to go: no line still to be ingested (this wave, held or unread) arrives before `earliestMs`. */
  readonly beforeWave?: (earliestMs: number) => void;
  readonly onRefused?: (event: CarrierEvent) => void;
  /** Lines per wave (1 = strictly one at a time). @default 10_000 */
  readonly maxWave?: number;
}

interface Work {
  readonly time: number;
  readonly seq: number;
  readonly subscriberId: string;
  readonly lift: boolean;
  readonly request: PolicyRequest;
  readonly name: string;
}

export interface TimelineCounts {
  read: number;
  refused: number;
  waves: number;
}

export class Timeline {
  readonly clock: VirtualClock;
  readonly counts: TimelineCounts = { read: 0, refused: 0, waves: 0 };
  private latestMs = Number.NEGATIVE_INFINITY;
  private seq = 0;
  /** The agenda: requests and lifts, kept in (time, seq) order. */
  private agenda: Work[] = [];
  private readonly started = new Set<string>();
  private readonly clockOfPosition = new Map<string, number>();
  private wave: TimedLine[] = [];
  private readonly inWave = new Set<string>();
  private readonly mayBar = new Set<string>();
  private held: TimedLine[] = [];
  private readonly heldSubscribers = new Set<string>();
  private readonly maxWave: number;
  /** Everything runs one step at a time (the API of `--follow` calls in between stream batches). */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: TimelineOptions) {
    this.maxWave = Math.max(1, o.maxWave ?? 10_000);
    this.clock = o.clock;
  }

  /** The starter of the ingest handler and the API: enqueues each request once (by execution name). */
  readonly starter: PolicyWorkflowStarter = {
    start: async (requests) => {
      for (const request of requests) this.enqueue(request, false, this.timeOf(request));
    },
  };

  /** A lift was scheduled (the schedule outbox): it waits in the agenda for its time. */
  scheduled(entry: ScheduledUnbar): void {
    this.enqueue(entry.request, true, Date.parse(entry.at));
  }

  /** The clock of the latest line read (-Infinity before any). */
  get latest(): number {
    return this.latestMs;
  }

  /** Notes where a delivered line sits in the stream: its requests run at its clock. */
  registerPosition(shardId: string, sequenceNumber: string, clockMs: number): void {
    this.clockOfPosition.set(`${shardId}/${sequenceNumber}`, clockMs);
  }

  /** Reads a line: its clock (the rule), its event when it is a valid one of a known subscriber. */
  read(line: EventLine): TimedLine {
    this.counts.read++;
    const parsed = parseCarrierEventJson(line.text);
    const event = parsed.ok && this.o.isKnown(parsed.value.subscriberId) ? parsed.value : undefined;
    if (event !== undefined) this.latestMs = Math.max(this.latestMs, Date.parse(event.eventTime));
    const clockMs = Number.isFinite(this.latestMs) ? this.latestMs : 0;
    const arrivalMs = parsed.ok ? Math.max(clockMs, Date.parse(parsed.value.eventTime)) : clockMs;
    const partitionKey = parsed.ok ? parsed.value.subscriberId : `line-${line.line}`;
    return event === undefined ? { ...line, clockMs, arrivalMs, partitionKey } : { ...line, clockMs, arrivalMs, partitionKey, event };
  }

  /** Reads and feeds one line. */
  async feed(line: EventLine): Promise<void> {
    const timed = this.read(line);
    await this.locked(() => this.place(timed));
  }

  /** Everything read so far is ingested, its requests have run, and so has every lift due by the last clock. */
  async finish(): Promise<void> {
    await this.locked(async () => {
      while (this.wave.length > 0 || this.held.length > 0) await this.flush();
      await this.runWork((w) => !w.lift || w.time <= this.latestMs);
    });
  }

  /** Runs the requests waiting in the agenda (the API's changes in `--follow`). */
  async runPending(): Promise<void> {
    await this.locked(() => this.runWork((w) => !w.lift));
  }

  private timeOf(request: PolicyRequest): number {
    if (request.cause === undefined) return Date.parse(request.at);
    const time = this.clockOfPosition.get(`${request.cause.shardId}/${request.cause.sequenceNumber}`);
    // Only a request already started (recovered from an outbox) can name a line of an earlier wave.
    return time ?? Date.parse(request.at);
  }

  private enqueue(request: PolicyRequest, lift: boolean, time: number): void {
    const name = executionNameOf(request);
    if (this.started.has(name)) return;
    this.started.add(name);
    const work: Work = { time, seq: ++this.seq, subscriberId: request.subscriberId, lift, request, name };
    let i = this.agenda.length;
    while (i > 0 && before(work, this.agenda[i - 1]!)) i--;
    this.agenda.splice(i, 0, work);
  }

  private async locked(step: () => Promise<void>): Promise<void> {
    const run = this.lock.then(step);
    this.lock = run.catch(() => undefined);
    await run;
  }

  private async place(line: TimedLine): Promise<void> {
    const id = line.event?.subscriberId;
    if (id === undefined) {
      // Not an event of a known subscriber: ingest rejects it, wherever it sits.
      return this.push(line);
    }
    const waitsForWave = this.inWave.has(id) && (this.liftDue(id, line.clockMs) || this.o.network?.readsCounters(line.event!) === true);
    if (this.heldSubscribers.has(id) || this.mayBar.has(id) || waitsForWave) {
      this.held.push(line);
      this.heldSubscribers.add(id);
      return;
    }
    await this.admit(line, id);
  }

  private liftDue(subscriberId: string, clockMs: number): boolean {
    return this.agenda.some((w) => w.lift && w.subscriberId === subscriberId && w.time <= clockMs);
  }

  private async admit(line: TimedLine, id: string): Promise<void> {
    const event = line.event!;
    await this.runWork((w) => w.lift && w.subscriberId === id && w.time <= line.clockMs);
    if (this.o.network !== undefined) {
      const admission = await this.o.network.admit(event);
      if (!admission.delivered) {
        this.counts.refused++;
        this.o.onRefused?.(event);
        return;
      }
    }
    this.inWave.add(id);
    if (this.o.mayReachCap?.(event, line.clockMs) ?? true) this.mayBar.add(id);
    await this.push(line);
  }

  private async push(line: TimedLine): Promise<void> {
    this.wave.push(line);
    if (this.wave.length >= this.maxWave) await this.flush();
  }

  /** Ingests the wave, runs its requests, then lets the held lines that no longer wait into the next one. */
  private async flush(): Promise<void> {
    if (this.wave.length > 0) {
      const wave = this.wave;
      this.wave = [];
      this.counts.waves++;
      // Clocks never decrease in file order: the earliest line not yet ingested is in the wave or held.
      if (this.o.beforeWave !== undefined) this.o.beforeWave(Math.min(wave[0]!.clockMs, this.held[0]?.clockMs ?? Infinity));
      await this.o.delivery.deliver(wave, this);
      this.inWave.clear();
      this.mayBar.clear();
      this.o.onWave?.();
      await this.runWork((w) => !w.lift);
      this.clockOfPosition.clear();
    }
    const held = this.held;
    this.held = [];
    this.heldSubscribers.clear();
    for (const line of held) await this.place(line);
  }

  /** Runs the agenda's work that `select` picks, in (time, seq) order, each with the clock at its time. */
  private async runWork(select: (work: Work) => boolean): Promise<void> {
    for (let next = this.agenda.find(select); next !== undefined; next = this.agenda.find(select)) {
      this.agenda.splice(this.agenda.indexOf(next), 1);
      this.clock.ms = next.time;
      await this.o.run(next.request, next.name);
    }
  }
}

function before(a: Work, b: Work): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
