/**
 * The quarantine queue in memory, as the redrive sees SQS: messages received stay hidden until deleted or
 * released, and a delete can be made to fail (the redrive then leaves copies behind, which must count once).
 */
import type { QuarantinedInput, Quarantine, QuarantineReader, RejectedInput } from '../../shared/ports/quarantine.js';
import type { StreamRecordOut, UsageRecordSink } from '../../shared/ports/usage-stream.js';

interface Message {
  readonly input: RejectedInput;
  readonly rejectedAt: string;
  hidden: boolean;
  receipt?: string;
}

export class MemoryQuarantineQueue implements Quarantine, QuarantineReader {
  private readonly messages: Message[] = [];
  private receipts = 0;
  /** When true, deletes are refused (as SQS may, after the records are on the stream). */
  failDeletes = false;

  constructor(private readonly now: () => string = () => '2026-09-10T08:00:00.000Z') {}

  async reject(items: readonly RejectedInput[]): Promise<void> {
    for (const input of items) this.messages.push({ input, rejectedAt: this.now(), hidden: false });
  }

  /** Every message still in the queue, visible or not. */
  get items(): readonly RejectedInput[] {
    return this.messages.map((m) => m.input);
  }

  async receive(max: number): Promise<QuarantinedInput[]> {
    const out: QuarantinedInput[] = [];
    for (const m of this.messages) {
      if (out.length >= max) break;
      if (m.hidden) continue;
      m.hidden = true;
      m.receipt = `receipt-${++this.receipts}`;
      out.push({ ...m.input, rejectedAt: m.rejectedAt, receipt: m.receipt });
    }
    return out;
  }

  async delete(receipts: readonly string[]): Promise<void> {
    if (this.failDeletes) throw new Error('quarantine: delete refused');
    for (const receipt of receipts) {
      const i = this.messages.findIndex((m) => m.receipt === receipt);
      if (i >= 0) this.messages.splice(i, 1);
    }
  }

  async release(receipts: readonly string[]): Promise<void> {
    for (const m of this.messages) if (m.receipt !== undefined && receipts.includes(m.receipt)) m.hidden = false;
  }

  /** Makes every message visible again (their visibility timeout passed). */
  showAll(): void {
    for (const m of this.messages) m.hidden = false;
  }
}

/** The usage stream as the redrive writes to it: what was put, in order, for the test to deliver to ingest. */
export class MemoryRecordSink implements UsageRecordSink {
  readonly records: StreamRecordOut[] = [];

  async put(records: readonly StreamRecordOut[]): Promise<void> {
    this.records.push(...records);
  }

  /** The records put since the last call. */
  take(): StreamRecordOut[] {
    return this.records.splice(0);
  }
}
