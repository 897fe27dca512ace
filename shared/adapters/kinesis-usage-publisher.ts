/**
 * Puts the charging function's committed usage on the carrier-event stream, as usage-event.v1 records with
 * the subscriber as partition key (as the mediation layer does), so ingest counts them like any feed.
 * PutRecords may refuse some entries (throttling): those are put again, a few times, before giving up.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { UsageEvent } from '../domain/model.js';
import { streamNameOf } from './kinesis-stream-name.js';
import type { PublishedUsage, UsagePublisher } from '../ports/usage-publisher.js';

export interface KinesisUsagePublisherOptions {
  readonly client: KinesisClient;
  /** Stream ARN (in AWS) or name (locally, kinesalite addresses streams by name). */
  readonly stream: { readonly arn: string } | { readonly name: string };
  /** @default 4 */
  readonly maxRounds?: number;
}

/** PutRecords takes at most 500 records per call. */
const MAX_RECORDS = 500;

export class KinesisUsagePublisher implements UsagePublisher {
  private readonly streamName: string;

  constructor(private readonly options: KinesisUsagePublisherOptions) {
    this.streamName = streamNameOf('arn' in options.stream ? options.stream.arn : options.stream.name);
  }

  async publish(events: readonly UsageEvent[]): Promise<PublishedUsage[]> {
    const published: PublishedUsage[] = [];
    for (let i = 0; i < events.length; i += MAX_RECORDS) published.push(...(await this.putAll(events.slice(i, i + MAX_RECORDS))));
    return published;
  }

  private async putAll(events: readonly UsageEvent[]): Promise<PublishedUsage[]> {
    const target = 'arn' in this.options.stream ? { StreamARN: this.options.stream.arn } : { StreamName: this.options.stream.name };
    let pending = events.map((event) => ({ event, entry: entryOf(event) }));
    const published: PublishedUsage[] = [];
    const rounds = this.options.maxRounds ?? 4;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= rounds) throw new Error(`usage stream: ${pending.length} record(s) still refused after ${rounds} rounds`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
      const out = await this.options.client.send(new PutRecordsCommand({ ...target, Records: pending.map((p) => p.entry) }));
      const refused: typeof pending = [];
      (out.Records ?? []).forEach((result, i) => {
        const item = pending[i];
        if (item === undefined) return;
        if (result.ErrorCode !== undefined || result.ShardId === undefined || result.SequenceNumber === undefined) refused.push(item);
        else published.push({ recordId: item.event.recordId, stream: this.streamName, shardId: result.ShardId, sequenceNumber: result.SequenceNumber });
      });
      pending = refused;
    }
    return published;
  }
}

function entryOf(event: UsageEvent): PutRecordsRequestEntry {
  return { Data: Buffer.from(JSON.stringify(event)), PartitionKey: event.subscriberId };
}
