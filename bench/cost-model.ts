/**
 * Cost per million carrier events in AWS, from counts measured by the benchmark and the list prices of
 * bench/prices.ts. Pure arithmetic: every assumption is an input, so the doc can state it and a reader
 * can redo the sum.
 *
 * What is priced: the ingest path (Kinesis on-demand, the ingest Lambda, its DynamoDB reads and writes)
 * and the policy workflow it starts (Step Functions Standard transitions, the task Lambdas, their
 * DynamoDB writes). SMS are counted, not priced into the total (per-country prices, see PRICES.sms).
 * Not priced: CloudWatch logs/metrics, X-Ray, KMS requests, SQS (quarantine, failures: rare), storage,
 * data transfer inside the region (free), the free tiers.
 */
import type { PriceList } from './prices.js';

/** What one benchmark run of one design measured, over `events` input records. */
export interface IngestCounts {
  /** Input records (carrier duplicates included). */
  readonly events: number;
  /** Lambda invocations (one per batch). */
  readonly invocations: number;
  /** Sum over invocations of the billed duration, each rounded up to the millisecond (see `billedMs`). */
  readonly billedMs: number;
  /** DynamoDB write request units (transactional writes already counted at 2 per KB). */
  readonly writeUnits: number;
  readonly readUnits: number;
}

/** The policy workflow started by threshold crossings and welcomes: the same for both designs. */
export interface PolicyWorkflowCost {
  /** Policy requests (workflow executions) per million events. */
  readonly requestsPerMillionEvents: number;
  readonly stateTransitionsPerRequest: number;
  readonly taskInvocationsPerRequest: number;
  readonly taskBilledMsPerInvocation: number;
  readonly taskMemoryMb: number;
  readonly writeUnitsPerRequest: number;
  readonly readUnitsPerRequest: number;
  /** SMS parts sent per request (counted, never priced into the total). */
  readonly smsPerRequest: number;
}

export interface CostAssumptions {
  /** Configured memory of the ingest function (infra default 1,024 MB). */
  readonly ingestMemoryMb: number;
  /** Average size of one event's JSON payload on the stream, bytes. */
  readonly eventBytes: number;
  /** Average rate on the stream, used to share the fixed stream-hour charge among events. */
  readonly streamEventsPerSecond: number;
  readonly policy: PolicyWorkflowCost;
}

/** USD per million events, by line. */
export interface CostBreakdown {
  readonly kinesisIngest: number;
  readonly kinesisRetrieval: number;
  readonly kinesisStreamHours: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly dynamodbWrites: number;
  readonly dynamodbReads: number;
  readonly stepFunctions: number;
  readonly policyTasks: number;
  readonly policyDynamodb: number;
  /** Kinesis + ingest Lambda + ingest DynamoDB: what the two designs do differently (plus the shared stream). */
  readonly ingestPath: number;
  /** Everything above, SMS excluded. */
  readonly total: number;
  /** SMS parts per million events (priced separately, per message). */
  readonly smsPerMillionEvents: number;
}

const BYTES_PER_KB = 1_024;
/** AWS bills Kinesis data in GB of 1,024^3 bytes (its KB is 1,024 bytes, per the pricing page). */
const BYTES_PER_GB = 1_024 ** 3;
const MB_PER_GB = 1_024;

/** Lambda bills duration per started millisecond, at least 1 ms. */
export function billedMs(durationMs: number): number {
  if (!(durationMs >= 0)) throw new Error(`durationMs: must be a number >= 0, got ${durationMs}`);
  return Math.max(1, Math.ceil(durationMs));
}

/** Kinesis on-demand counts each record rounded up to the next KB. */
export function kinesisBilledBytes(recordBytes: number): number {
  if (!(recordBytes > 0)) throw new Error(`recordBytes: must be > 0, got ${recordBytes}`);
  return Math.ceil(recordBytes / BYTES_PER_KB) * BYTES_PER_KB;
}

export function costPerMillionEvents(counts: IngestCounts, assumptions: CostAssumptions, prices: PriceList): CostBreakdown {
  if (!(counts.events > 0)) throw new Error(`events: must be > 0, got ${counts.events}`);
  if (!(assumptions.streamEventsPerSecond > 0)) {
    throw new Error(`streamEventsPerSecond: must be > 0, got ${assumptions.streamEventsPerSecond}`);
  }
  const perMillion = 1_000_000 / counts.events;
  const gbPerMillion = (1_000_000 * kinesisBilledBytes(assumptions.eventBytes)) / BYTES_PER_GB;
  const gbSecondPrice = prices.lambda.arm64PerGbSecond;

  const kinesisIngest = gbPerMillion * prices.kinesis.perGbIngested;
  // Retrieval priced on the same rounded size as ingestion: an upper bound, identical for both designs.
  const kinesisRetrieval = gbPerMillion * prices.kinesis.perGbRetrieved;
  const hoursPerMillion = 1_000_000 / (assumptions.streamEventsPerSecond * 3_600);
  const kinesisStreamHours = hoursPerMillion * prices.kinesis.perStreamHour;

  const lambdaRequests = ((counts.invocations * perMillion) / 1_000_000) * prices.lambda.perMillionRequests;
  const ingestGbSeconds = (assumptions.ingestMemoryMb / MB_PER_GB) * (counts.billedMs / 1_000) * perMillion;
  const lambdaDuration = ingestGbSeconds * gbSecondPrice;
  const dynamodbWrites = ((counts.writeUnits * perMillion) / 1_000_000) * prices.dynamodb.perMillionWriteRequestUnits;
  const dynamodbReads = ((counts.readUnits * perMillion) / 1_000_000) * prices.dynamodb.perMillionReadRequestUnits;

  const p = assumptions.policy;
  const requests = p.requestsPerMillionEvents;
  const stepFunctions = ((requests * p.stateTransitionsPerRequest) / 1_000) * prices.stepFunctions.perThousandStateTransitions;
  const taskInvocations = requests * p.taskInvocationsPerRequest;
  const policyTasks =
    (taskInvocations / 1_000_000) * prices.lambda.perMillionRequests +
    taskInvocations * (p.taskMemoryMb / MB_PER_GB) * (p.taskBilledMsPerInvocation / 1_000) * gbSecondPrice;
  const policyDynamodb =
    ((requests * p.writeUnitsPerRequest) / 1_000_000) * prices.dynamodb.perMillionWriteRequestUnits +
    ((requests * p.readUnitsPerRequest) / 1_000_000) * prices.dynamodb.perMillionReadRequestUnits;

  const ingestPath =
    kinesisIngest + kinesisRetrieval + kinesisStreamHours + lambdaRequests + lambdaDuration + dynamodbWrites + dynamodbReads;
  return {
    kinesisIngest,
    kinesisRetrieval,
    kinesisStreamHours,
    lambdaRequests,
    lambdaDuration,
    dynamodbWrites,
    dynamodbReads,
    stepFunctions,
    policyTasks,
    policyDynamodb,
    ingestPath,
    total: ingestPath + stepFunctions + policyTasks + policyDynamodb,
    smsPerMillionEvents: requests * p.smsPerRequest,
  };
}
