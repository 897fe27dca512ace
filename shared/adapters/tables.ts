/**
 * Key schemas of the DynamoDB tables, shared by the CDK app (which creates them in AWS) and the local
 * runtime (which creates them in dynalite), so both always agree. Item shapes and access patterns are
 * documented in docs/architecture.md.
 */
export interface TableDesign {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL). */
  readonly ttlAttribute?: string;
  /** Global secondary indexes, by index name: all attributes projected unless `keysOnly`. */
  readonly indexes?: Readonly<Record<string, IndexDesign>>;
}

export interface IndexDesign {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Only the keys are projected (the reader loads the item it needs). */
  readonly keysOnly?: boolean;
}

export const TABLES = {
  /**
   * Per subscriber: period counters (sk = `P#<period>`), state (sk = `STATE`), claims grouped by hour of eventTime (sk = `R#T#<hour>`, see claim-groups.ts),
   * the line's bars (sk = `LINE`). `barsDue` is a sparse index of the lines holding a bar, by the time
   * their earliest bar must end (`bd`), spread over a few partitions (`bs`) so that no hot key forms:
   * the sweep that lifts overdue bars reads it, never the whole table.
   */
  usage: {
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    indexes: { barsDue: { partitionKey: 'bs', sortKey: 'bd', keysOnly: true } },
  },
  /**
   * One item per subscriber profile; `byMsisdn` maps an inbound SMS (two-way keyword) or a support agent's
   * search to its subscriber; `byPseudonym` takes operations from a pseudonym seen in a log or an alert back
   * to the subscriber (keys only: the lookup answers the id, nothing more).
   */
  profiles: {
    partitionKey: 'subscriberId',
    indexes: { byMsisdn: { partitionKey: 'msisdn' }, byPseudonym: { partitionKey: 'pn', keysOnly: true } },
  },
  /** Per subscriber: audit entries (sk = `<time>#<action>`) and idempotency guards (sk = `G#<id>`). */
  audit: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' },
} as const satisfies Record<string, TableDesign>;

export type TableName = keyof typeof TABLES;
