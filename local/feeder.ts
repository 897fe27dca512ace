/**
 * Feeds carrier events to the pipeline the way the replay contract orders them: on a virtual clock,
 * through the simulated network, each event's consequences complete before a later event of the same
 * subscriber is applied, and scheduled work run when the clock passes its time.
 *
 * Lines go to the pipeline in groups ("waves") for speed. A wave ends before an event of a subscriber
 * whose earlier event in the wave may cause a policy request (see request-predictor.ts; without a
 * predictor, before any second event of a subscriber), and before an event that would move the clock
 * past scheduled work. Events of different subscribers do not influence each other (counters, bars,
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
}

export class Feeder {
  readonly counts: FeedCounts = { read: 0, refused: 0, delivered: 0 };
  private wave: WaveLine[] = [];
  private readonly waveSubscribers = new Set<string>();
  /** Subscribers of the wave whose last event may cause a request: their next event waits for the wave. */
  private readonly mayRequest = new Set<string>();
  /** Clock after each line of the wave, by subscriber: the time its policy requests carry. */
  private readonly clockBySubscriber = new Map<string, number>();
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
    const partitionKey = event?.subscriberId ?? `line-${line.line}`;

    if (known && event !== undefined) {
      const eventMs = Date.parse(event.eventTime);
      const due = this.o.nextDueMs();
      const passesWork = due !== undefined && due <= Math.max(eventMs, this.o.clock.ms);
      const again = this.waveSubscribers.has(event.subscriberId);
      if (passesWork || (again && (this.o.predictor === undefined || this.mayRequest.has(event.subscriberId)))) {
        await this.flush();
      }
      if (passesWork) {
        await runDueWork(this.o.clock, Math.max(eventMs, this.o.clock.ms), this.o.takeDue);
        await this.o.afterWork?.();
      }
      this.o.clock.advanceTo(eventMs);
      const admission = await this.o.network.admit(event);
      if (!admission.delivered) {
        this.counts.refused++;
        return;
      }
      this.waveSubscribers.add(event.subscriberId);
      // Its requests (if any) come from this event, the last of the subscriber in the wave.
      this.clockBySubscriber.set(event.subscriberId, this.o.clock.ms);
      if (this.o.predictor?.add(event) === true) this.mayRequest.add(event.subscriberId);
    }
    // Lines that are not valid events, or of unknown subscribers, touch no state: the pipeline
    // rejects them wherever they sit in a wave.
    this.wave.push({ ...line, partitionKey });
    this.counts.delivered++;
    if (this.wave.length >= this.maxWave) await this.flush();
  }

  /** Delivers the pending wave and waits for its consequences. */
  async flush(): Promise<void> {
    if (this.wave.length === 0) return;
    const wave = this.wave;
    this.wave = [];
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

  /** End of input: the last wave is delivered; nothing scheduled runs after the last event. */
  async finish(): Promise<void> {
    await this.flush();
  }
}
