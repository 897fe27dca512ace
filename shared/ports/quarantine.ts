/** Where a rejected record was read: enough to name it and to redrive it as the same record. */
export interface QuarantinedPosition {
  /** Stream name (absent for records of a source without one). */
  readonly stream?: string;
  readonly shardId?: string;
  readonly sequenceNumber?: string;
  /** When the record first reached the stream, epoch seconds: the time bounds keep applying to it. */
  readonly arrivalTime?: number;
}

/** An input the pipeline refused, kept with its reason so that nothing is lost. */
export interface RejectedInput {
  /** Names the field at fault, e.g. `volumeBytes: must be an integer >= 0`. */
  readonly reason: string;
  /** The payload as received (UTF-8 text of the record). */
  readonly raw: string;
  readonly position?: QuarantinedPosition;
  /** The event's recordId / eventId when it could be read. */
  readonly recordId?: string;
  /**
   * `record`: the record itself is at fault (schema, bounds, unknown subscriber). `subscriber`: the record
   * may be fine but its subscriber's batch could not be applied (profile that no longer validates, a
   * counter out of range, an unexpected error after bounded attempts).
   */
  readonly fault: 'record' | 'subscriber';
  /** The record's event key is held for its redrive: only the redrive can count it (see UsageStore.holdForRedrive). */
  readonly held?: boolean;
}

/** Keeps rejected inputs (SQS in AWS, in memory locally). Resolves only once every item is stored. */
export interface Quarantine {
  reject(items: readonly RejectedInput[]): Promise<void>;
}

/** A quarantined input as read back for a redrive, with what removes it once handled. */
export interface QuarantinedInput extends RejectedInput {
  /** When it was quarantined (ISO). */
  readonly rejectedAt: string;
  /** Receipt of this read: deletes the input or lets it be read again. */
  readonly receipt: string;
  /** The payload was cut to fit the quarantine: it cannot be redriven. */
  readonly truncated?: boolean;
}

/** The quarantine read back, a few inputs at a time, by the redrive. */
export interface QuarantineReader {
  /** Up to `max` inputs, hidden from other readers until deleted or released. */
  receive(max: number): Promise<QuarantinedInput[]>;
  /** Handled: gone from the quarantine. */
  delete(receipts: readonly string[]): Promise<void>;
  /** Not handled (a dry run, or left as it is): visible again at once. */
  release(receipts: readonly string[]): Promise<void>;
}
