/** One record for the usage stream, as its producer wrote it. */
export interface StreamRecordOut {
  /** The subscriber: a subscriber's records stay in order on one shard. */
  readonly partitionKey: string;
  readonly data: string;
}

/**
 * Puts records on the usage stream (Kinesis): file feeds and the quarantine's redrive. Resolves once
 * every record is accepted; throws otherwise.
 */
export interface UsageRecordSink {
  put(records: readonly StreamRecordOut[]): Promise<void>;
}
