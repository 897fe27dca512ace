/**
 * Feeds carrier events to the pipeline the way the replay contract orders them: on a virtual clock,
 * through the simulated network, each event's consequences complete before a later event of the same
 * subscriber is applied, and scheduled work run when the clock passes its time.
 *
 * Lines go to the pipeline in groups ("waves") for speed. An event of a subscriber whose earlier event
 * in the wave may cause a policy request (see request-predictor.ts; without a predictor, any second
 * event of a subscriber) is held back, with its later events, until that wave is complete. Scheduled
 * work due by an event's clock runs before that event is admitted, after the wave so far, at its own
 * time (the scheduled time, or the clock when it was scheduled if that was later: a late event's bar). Events of different subscribers do not influence each other (counters, bars,
 * state and messages are all per subscriber), and each policy request runs with the clock as it was
 * after the event that caused it, so a report is the same as with one event at a time (`maxWave: 1`).
 */
import type { CarrierEvent, SubscriberProfile } from '../shared/domain/model.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import type { PolicyRequest } from '../shared/ports/policy-workflow.js';
import type { EventLine } from './replay-input.js';
import type { RequestPredictor } from './request-predictor.js';
import type { SimulatedNetwork } from './simulated-network.js';
import { runDueWork, type ScheduledWork, type VirtualClock } from './virtual-clock.js';

export interface WaveLine extends EventLine {
  /** Kinesis partition key: the subscriberId when it can be read, else a stable stand-in. */
  readonly partitionKey: string;
}

/** The pipeline the feeder drives: resolves once every consequence of the lines is complete. */
export interface Pipeline {
  deliver(lines: readonly WaveLine[]): Promise<void>;
}

export interface FeederOptions {
  readonly clock: VirtualClock;
  readonly network: SimulatedNetwork;
  readonly profiles: ReadonlyMap<string, SubscriberProfile>;
  readonly pipeline: Pipeline;
  /** Earliest scheduled work due at or before the time, removed from the schedule; undefined if none. */
  readonly takeDue: (untilMs: number) => ScheduledWork | undefined;
  /** Earliest time of pending scheduled work (epoch ms), or undefined. */
  readonly nextDueMs: () => number | undefined;
  /** Called after each wave and each scheduled work (e.g. to pass new carrier commands to the network). */
  readonly afterWork?: () => void | Promise<void>;
  /** Sees each event the simulated network refused (a bar was in force at its eventTime). */
  readonly onRefused?: (event: CarrierEvent) => void;
  /** Lines per wave (1 = strictly one at a time). */
  readonly maxWave?: number;
  /**
   * Lets a wave hold several events of a subscriber until one may cause a policy request. Without it,
   * a wave holds at most one event per subscriber.
   */
  readonly predictor?: RequestPredictor;
}

export interface FeedCounts {
  /** Non-blank lines read. */
  read: number;
  /** Refused by the simulated network (a bar was in force). */
  refused: number;
  delivered: number;
  /** Handler invocations (waves) so far. */
  waves: number;
}

/** An event held back until the wave before it is complete, with the clock as it was after it was read. */
interface HeldEvent {
  readonly line: WaveLine;
  readonly event: CarrierEvent;
  readonly clockMs: number;
}

export class Feeder {
  readonly counts: FeedCounts = { read: 0, refused: 0, delivered: 0, waves: 0 };
  private wave: WaveLine[] = [];
  private readonly waveSubscribers = new Set<string>();
  /** Subscribers of the wave whose last event may cause a request: their next event waits for the wave. */
  private readonly mayRequest = new Set<string>();
  /** Clock after each line of the wave, by subscriber: the time its policy requests carry. */
  private readonly clockBySubscriber = new Map<string, number>();
  /**
   * Events of subscribers waiting for the wave (in read order), and those subscribers: a later event of
   * theirs waits too, so each subscriber's events keep their order while the others' go on filling
   * the wave. Only the order between different subscribers changes, which nothing can observe.
   */
  private held: HeldEvent[] = [];
  private readonly heldSubscribers = new Set<string>();
  private readonly maxWave: number;

  constructor(private readonly o: FeederOptions) {
    this.maxWave = Math.max(1, o.maxWave ?? 64);
  }

  /** The clock time a policy request must run at (the clock after the event that caused it). */
  timeOf(request: PolicyRequest): number | undefined {
    return this.clockBySubscriber.get(request.subscriberId);
  }

  async feed(line: EventLine): Promise<void> {
    this.counts.read++;
    const parsed = parseCarrierEventJson(line.text);
    const event: CarrierEvent | undefined = parsed.ok ? parsed.value : undefined;
    const known = event !== undefined && this.o.profiles.has(event.subscriberId);
    const waveLine: WaveLine = { ...line, partitionKey: event?.subscriberId ?? `line-${line.line}` };

    if (!known || event === undefined) {
      // Not a valid event, or of an unknown subscriber: it touches no state, the pipeline rejects it
      // wherever it sits.
      await this.push(waveLine);
      return;
    }
    const eventMs = Date.parse(event.eventTime);
    this.o.clock.advanceTo(eventMs);
    const id = event.subscriberId;
    if (this.heldSubscribers.has(id) || this.mustWait(id)) {
      this.held.push({ line: waveLine, event, clockMs: this.o.clock.ms });
      this.heldSubscribers.add(id);
      return;
    }
    await this.admit({ line: waveLine, event, clockMs: this.o.clock.ms });
  }

  /** Delivers everything read so far and waits for its consequences. */
  async drain(): Promise<void> {
    // Each flush may admit held events into a new wave: until both are empty.
    while (this.wave.length > 0 || this.held.length > 0) await this.flush();
  }

  /** End of input: everything is delivered; nothing scheduled runs after the last event. */
  async finish(): Promise<void> {
    await this.drain();
  }

  /** Delivers the pending wave, then lets the held events that no longer wait into the next one. */
  async flush(): Promise<void> {
    await this.deliverWave();
    const held = this.held;
    this.held = [];
    this.heldSubscribers.clear();
    for (const h of held) {
      const id = h.event.subscriberId;
      if (this.heldSubscribers.has(id) || this.mustWait(id)) {
        this.held.push(h);
        this.heldSubscribers.add(id);
      } else {
        await this.admit(h);
      }
    }
  }

  private async deliverWave(): Promise<void> {
    if (this.wave.length === 0) return;
    const wave = this.wave;
    this.wave = [];
    this.counts.waves++;
    const after = this.o.clock.ms;
    try {
      await this.o.pipeline.deliver(wave);
    } finally {
      this.o.clock.set(after);
      this.waveSubscribers.clear();
      this.mayRequest.clear();
      this.clockBySubscriber.clear();
      this.o.predictor?.reset();
    }
    await this.o.afterWork?.();
  }

  /** Whether an event of this subscriber must wait for the wave (its last one may cause a request). */
  private mustWait(subscriberId: string): boolean {
    return this.waveSubscribers.has(subscriberId) && (this.o.predictor === undefined || this.mayRequest.has(subscriberId));
  }

  /**
   * Scheduled work due by the event's clock first (after the wave so far), then through the network
   * (bars in force at its eventTime), then into the wave.
   */
  private async admit(h: HeldEvent): Promise<void> {
    const due = this.o.nextDueMs();
    if (due !== undefined && due <= h.clockMs) {
      await this.deliverWave();
      await runDueWork(this.o.clock, h.clockMs, this.o.takeDue);
      await this.o.afterWork?.();
    }
    const admission = await this.o.network.admit(h.event);
    if (!admission.delivered) {
      this.counts.refused++;
      this.o.onRefused?.(h.event);
      return;
    }
    const id = h.event.subscriberId;
    this.waveSubscribers.add(id);
    // Its requests (if any) come from this event, the last of the subscriber in the wave.
    this.clockBySubscriber.set(id, h.clockMs);
    if (this.o.predictor?.add(h.event) === true) this.mayRequest.add(id);
    await this.push(h.line);
  }

  private async push(line: WaveLine): Promise<void> {
    this.wave.push(line);
    this.counts.delivered++;
    if (this.wave.length >= this.maxWave) await this.flush();
  }
}
