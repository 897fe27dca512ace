/**
 * The local quarantine: what the SQS quarantine keeps in AWS, kept in memory (and handed to listeners)
 * so that the replay can report every rejected line with its reason and the demo can show it.
 */
import type { Quarantine, RejectedInput } from '../shared/ports/quarantine.js';

export class RecordingQuarantine implements Quarantine {
  private readonly listeners: Array<(item: RejectedInput) => void> = [];
  readonly items: RejectedInput[] = [];

  constructor(private readonly keep = true) {}

  onReject(listener: (item: RejectedInput) => void): void {
    this.listeners.push(listener);
  }

  async reject(items: readonly RejectedInput[]): Promise<void> {
    for (const item of items) {
      if (this.keep) this.items.push(item);
      for (const listener of this.listeners) listener(item);
    }
  }
}
