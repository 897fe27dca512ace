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
  /** Global secondary indexes (all attributes projected), by index name. */
  readonly indexes?: Readonly<Record<string, { readonly partitionKey: string }>>;
}

export const TABLES = {
  /** Per subscriber: period counters (sk = `P#<period>`), state (sk = `STATE`), claims (sk = `R#<key>`). */
  usage: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' },
  /** One item per subscriber profile; `byMsisdn` maps an inbound SMS (two-way keyword) to its subscriber. */
  profiles: { partitionKey: 'subscriberId', indexes: { byMsisdn: { partitionKey: 'msisdn' } } },
  /** Per subscriber: audit entries (sk = `<time>#<action>`) and idempotency guards (sk = `G#<id>`). */
  audit: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' },
} as const satisfies Record<string, TableDesign>;

export type TableName = keyof typeof TABLES;
