/**
 * Requests (by identity: subscriber, period, crossing id) this container has seen started (Step Functions accepted them, or said they already
 * exist). Lets the next write of a counters item drop those requests from its outbox without a write of
 * its own and without asking Step Functions again. Losing it (a new container) only costs an idempotent
 * re-start, never a missed or doubled action.
 */
export class StartedRequests {
  private readonly names = new Map<string, true>();

  constructor(private readonly capacity = 20_000) {}

  has(name: string): boolean {
    return this.names.has(name);
  }

  add(name: string): void {
    this.names.delete(name);
    this.names.set(name, true);
    if (this.names.size > this.capacity) {
      const oldest = this.names.keys().next();
      if (oldest.done !== true) this.names.delete(oldest.value);
    }
  }
}
