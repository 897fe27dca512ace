/**
 * Counts what a DynamoDB client asks of the service: requests by operation, and the read and write
 * capacity units the service reports (every request that can is asked for ReturnConsumedCapacity TOTAL).
 * Installed as a client middleware, so the code under measurement runs unchanged.
 *
 * Refused conditional writes report no consumed capacity; DynamoDB still bills them, so the designs
 * count those units themselves (the usage store's adapter does for spendcap, bench/naive-baseline.ts for the baseline).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

interface CapacityLike {
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

/** What a write touched, by the usage table's sort key: `R#` claims/markers, `P#` counters, `STATE`. */
export type WriteKind = 'claim' | 'counters' | 'state' | 'other';

export interface WriteTally {
  requests: number;
  /** Refused (conditional check failed, or any other error). */
  failed: number;
  /** Units reported for the successful ones. */
  units: number;
}

export function writeKindOf(input: Record<string, unknown>): WriteKind {
  const item = (input.Item ?? input.Key) as Record<string, unknown> | undefined;
  const raw = item?.sk;
  // Document clients hand plain values; the low-level client marshalled ones ({ S: '...' }).
  const sk = typeof raw === 'string' ? raw : typeof (raw as { S?: unknown } | undefined)?.S === 'string' ? (raw as { S: string }).S : '';
  if (sk.startsWith('R#')) return 'claim';
  if (sk.startsWith('P#')) return 'counters';
  if (sk === 'STATE') return 'state';
  return 'other';
}

export interface MeterSnapshot {
  readonly requests: Readonly<Record<string, number>>;
  readonly totalRequests: number;
  /** Requests that failed (conditional checks included). */
  readonly failedRequests: number;
  readonly readUnits: number;
  /** Units of successful writes, as reported by the service. */
  readonly writeUnits: number;
  /** Single-item writes (PutItem, UpdateItem, DeleteItem) by what they touched. */
  readonly writesByKind: Readonly<Record<WriteKind, WriteTally>>;
}

const SINGLE_WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

function emptyTallies(): Record<WriteKind, WriteTally> {
  return {
    claim: { requests: 0, failed: 0, units: 0 },
    counters: { requests: 0, failed: 0, units: 0 },
    state: { requests: 0, failed: 0, units: 0 },
    other: { requests: 0, failed: 0, units: 0 },
  };
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

export class CapacityMeter {
  private requests = new Map<string, number>();
  private failed = 0;
  private readUnits = 0;
  private writeUnits = 0;
  private byKind = emptyTallies();

  /** Adds the counting middleware to the client (and to document clients created from it). */
  install(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        const input = args.input as Record<string, unknown>;
        if ((READS.has(command) || WRITES.has(command)) && input.ReturnConsumedCapacity === undefined) {
          input.ReturnConsumedCapacity = 'TOTAL';
        }
        this.requests.set(command, (this.requests.get(command) ?? 0) + 1);
        const tally = SINGLE_WRITES.has(command) ? this.byKind[writeKindOf(input)] : undefined;
        if (tally !== undefined) tally.requests++;
        try {
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: CapacityLike | CapacityLike[] }).ConsumedCapacity;
          this.account(command, consumed);
          if (tally !== undefined && consumed !== undefined && !Array.isArray(consumed)) {
            tally.units += consumed.WriteCapacityUnits ?? consumed.CapacityUnits ?? 0;
          }
          return result;
        } catch (e: unknown) {
          this.failed++;
          if (tally !== undefined) tally.failed++;
          throw e;
        }
      },
      { step: 'initialize', priority: 'high', name: 'benchCapacityMeter', override: true },
    );
  }

  reset(): void {
    this.requests = new Map();
    this.failed = 0;
    this.readUnits = 0;
    this.writeUnits = 0;
    this.byKind = emptyTallies();
  }

  snapshot(): MeterSnapshot {
    const requests = Object.fromEntries(this.requests);
    let totalRequests = 0;
    for (const n of this.requests.values()) totalRequests += n;
    const writesByKind = structuredClone(this.byKind);
    return { requests, totalRequests, failedRequests: this.failed, readUnits: this.readUnits, writeUnits: this.writeUnits, writesByKind };
  }

  private account(command: string, consumed: CapacityLike | CapacityLike[] | undefined): void {
    if (consumed === undefined) return;
    for (const c of Array.isArray(consumed) ? consumed : [consumed]) {
      const units = c.CapacityUnits ?? 0;
      if (READS.has(command)) this.readUnits += c.ReadCapacityUnits ?? units;
      else if (WRITES.has(command)) this.writeUnits += c.WriteCapacityUnits ?? units;
    }
  }
}
