/**
 * The host network, as far as the caps are concerned: it enforces the carrier commands it received
 * from the time they carry. A data event whose kind of usage is barred at its eventTime never reaches
 * the pipeline; the network counts what it refused (volume and charge) per subscriber and billing
 * period, which is what the cap saved the subscriber. Everything else (voice, SMS, attaches, data that
 * is not barred, and lines that are not even valid events) is delivered: the pipeline judges those.
 */
import type { CarrierCommand, CarrierEvent, Micros, PolicySettings, SpendBucketName, SubscriberProfile } from '../shared/domain/model.js';
import { CAP_LIST, capOfCommand } from '../shared/domain/caps.js';
import { homePlmnOf, isRoaming } from '../shared/domain/networks.js';
import { billingPeriodOf } from '../shared/domain/periods.js';
import { rateUsage } from '../shared/domain/rating.js';

export interface NetworkCommand {
  readonly subscriberId: string;
  readonly command: CarrierCommand;
  /** RFC 3339: from when the network enforces it. */
  readonly at: string;
}

export interface BlockedFigures {
  blockedBytes: number;
  blockedMicros: Micros;
}

export type Admission =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly bucket: SpendBucketName; readonly period: string; readonly bytes: number; readonly micros: Micros };

/** Allowance left for a subscriber in a period (to rate a refused event that carries no charge). */
export type AllowanceLookup = (subscriberId: string, period: string) => Promise<number>;


interface Transition {
  readonly atMs: number;
  readonly barred: boolean;
}

export class SimulatedNetwork {
  /** subscriberId -> bucket -> bar transitions in time order (events may arrive late or out of order). */
  private readonly bars = new Map<string, Record<SpendBucketName, Transition[]>>();
  /** subscriberId -> period -> bucket -> what was refused. */
  private readonly blocked = new Map<string, Map<string, Record<SpendBucketName, BlockedFigures>>>();
  private refusedEvents = 0;

  constructor(
    private readonly profileOf: (subscriberId: string) => SubscriberProfile | undefined,
    private readonly settings: PolicySettings,
    /** Default: no allowance left, as when an overage bar is in force. */
    private readonly allowanceRemaining: AllowanceLookup = async () => 0,
  ) {}

  /** The carrier gateway's command reached the network. */
  apply(command: NetworkCommand): void {
    const { cap, places: barred } = capOfCommand(command.command);
    const bucket = cap.bucket;
    let subscriber = this.bars.get(command.subscriberId);
    if (subscriber === undefined) {
      subscriber = { roaming: [], overage: [] };
      this.bars.set(command.subscriberId, subscriber);
    }
    const list = subscriber[bucket];
    const atMs = Date.parse(command.at);
    let index = list.length;
    while (index > 0 && (list[index - 1]?.atMs ?? 0) > atMs) index--;
    list.splice(index, 0, { atMs, barred });
  }

  /** Whether the bar on `bucket` is in force at `time` (the last command at or before it decides). */
  isBarred(subscriberId: string, bucket: SpendBucketName, time: string | number): boolean {
    const list = this.bars.get(subscriberId)?.[bucket];
    if (list === undefined) return false;
    const ms = typeof time === 'number' ? time : Date.parse(time);
    let state = false;
    for (const transition of list) {
      if (transition.atMs > ms) break;
      state = transition.barred;
    }
    return state;
  }

  /** Bars in force after every command received so far. */
  barsNow(subscriberId: string): { dataRoaming: boolean; dataOverage: boolean } {
    const subscriber = this.bars.get(subscriberId);
    return {
      dataRoaming: subscriber?.roaming[subscriber.roaming.length - 1]?.barred ?? false,
      dataOverage: subscriber?.overage[subscriber.overage.length - 1]?.barred ?? false,
    };
  }

  /**
   * Whether `admit` would read the counters for this event: it is refused and carries no charge, so the
   * network rates it with the allowance left, which must then include every earlier event of the subscriber.
   */
  readsCounters(event: CarrierEvent): boolean {
    if (event.type !== 'usage' || event.service !== 'data' || event.chargeMicros !== undefined) return false;
    const profile = this.profileOf(event.subscriberId);
    if (profile === undefined) return false;
    const roaming = isRoaming(event.servingPlmn, homePlmnOf(profile, this.settings));
    const bucket: SpendBucketName = CAP_LIST.find((cap) => cap.barsRoamingData === roaming)!.bucket;
    return this.isBarred(event.subscriberId, bucket, event.eventTime);
  }

  /**
   * Decides whether a (parsed) event reaches the pipeline. Call with `undefined` for a line that is
   * not a valid event: the network has nothing to bar it on, so it is delivered.
   */
  async admit(event: CarrierEvent | undefined): Promise<Admission> {
    if (event === undefined || event.type !== 'usage' || event.service !== 'data') return { delivered: true };
    const profile = this.profileOf(event.subscriberId);
    if (profile === undefined) return { delivered: true };
    const homePlmn = homePlmnOf(profile, this.settings);
    // The cap whose bar stops this data: the roaming one abroad, the out-of-bundle one at home.
    const roaming = isRoaming(event.servingPlmn, homePlmn);
    const bucket: SpendBucketName = CAP_LIST.find((cap) => cap.barsRoamingData === roaming)!.bucket;
    if (!this.isBarred(event.subscriberId, bucket, event.eventTime)) return { delivered: true };

    const period = billingPeriodOf(event.eventTime, profile.plan).id;
    let micros = event.chargeMicros;
    if (micros === undefined) {
      const remaining = await this.allowanceRemaining(event.subscriberId, period);
      micros = rateUsage(event, { homePlmn, allowanceRemainingBytes: remaining, tariff: this.settings.tariff }).chargeMicros;
    }
    const bytes = event.volumeBytes ?? 0;
    const figures = this.figuresOf(event.subscriberId, period)[bucket];
    figures.blockedBytes += bytes;
    figures.blockedMicros += micros;
    this.refusedEvents++;
    return { delivered: false, bucket, period, bytes, micros };
  }

  /** Number of events refused so far. */
  get refused(): number {
    return this.refusedEvents;
  }

  /** What was refused for a subscriber, by period. */
  blockedOf(subscriberId: string): ReadonlyMap<string, Readonly<Record<SpendBucketName, Readonly<BlockedFigures>>>> {
    return this.blocked.get(subscriberId) ?? new Map();
  }

  private figuresOf(subscriberId: string, period: string): Record<SpendBucketName, BlockedFigures> {
    let periods = this.blocked.get(subscriberId);
    if (periods === undefined) {
      periods = new Map();
      this.blocked.set(subscriberId, periods);
    }
    let figures = periods.get(period);
    if (figures === undefined) {
      figures = { roaming: { blockedBytes: 0, blockedMicros: 0 }, overage: { blockedBytes: 0, blockedMicros: 0 } };
      periods.set(period, figures);
    }
    return figures;
  }
}
