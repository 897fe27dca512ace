/** An input the pipeline refused, kept with its reason so that nothing is lost (invariant 5). */
export interface RejectedInput {
  /** Names the field at fault, e.g. `volumeBytes: must be an integer >= 0`. */
  readonly reason: string;
  /** The payload as received (UTF-8 text of the record). */
  readonly raw: string;
  readonly position?: { readonly shardId?: string; readonly sequenceNumber?: string };
  /** The event's recordId / eventId when it could be read. */
  readonly recordId?: string;
}

/** Keeps rejected inputs (SQS in AWS, in memory locally). Resolves only once every item is stored. */
export interface Quarantine {
  reject(items: readonly RejectedInput[]): Promise<void>;
}
