/**
 * Feeds carrier events to the pipeline the way the replay contract orders them: on a virtual clock,
 * through the simulated network, each event's consequences complete before a later event of the same
 * subscriber is applied, and scheduled work run when the clock passes its time.
 *
 * Lines go to the pipeline in groups ("waves") for speed. A wave never holds two events of the same
 * subscriber, and a wave ends before an event that would move the clock past scheduled work. Events of
 * different subscribers do not influence each other (counters, bars, state and messages are all per
 * subscriber), and each policy request runs with the clock as it was after the event that caused it,
 * so a report is the same as with one event at a time (`maxWave: 1`).
 */
import type { CarrierEvent, SubscriberProfile } from '../shared/domain/model.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import type { PolicyRequest } from '../shared/ports/policy-workflow.js';
import type { EventLine } from './replay-input.js';
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
      if (this.waveSubscribers.has(event.subscriberId) || passesWork) await this.flush();
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
      this.clockBySubscriber.set(event.subscriberId, this.o.clock.ms);
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
      this.clockBySubscriber.clear();
    }
    await this.o.afterWork?.();
  }

  /** End of input: the last wave is delivered; nothing scheduled runs after the last event. */
  async finish(): Promise<void> {
    await this.flush();
  }
}
