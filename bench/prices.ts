/**
 * Public AWS list prices used by the cost model: region us-east-1 (US East, N. Virginia), USD, on-demand,
 * no free tier, no Savings Plans, first pricing tier. us-east-1 because it is the reference every AWS
 * price page shows first. A deployment in eu-west-3 (Paris) pays that region's prices: replace the
 * figures below with them; both designs are priced with the same list, so the ratio moves little.
 *
 * Recorded 2026-11-27 from the pages cited on each entry. Prices change: re-check the pages before
 * quoting a figure, and update `recorded` with them.
 */

export interface PriceList {
  readonly region: string;
  readonly currency: 'USD';
  /** When the figures below were read from the cited pages (YYYY-MM-DD). */
  readonly recorded: string;
  readonly lambda: {
    /** arm64 (Graviton), per GB-second of billed duration (1 ms granularity). */
    readonly arm64PerGbSecond: number;
    readonly perMillionRequests: number;
    readonly source: string;
  };
  readonly dynamodb: {
    /** On-demand, Standard table class. A standard write unit covers 1 KB; a transactional write costs 2 per KB. */
    readonly perMillionWriteRequestUnits: number;
    /** A strongly consistent read of up to 4 KB costs 1 unit, eventually consistent 0.5. */
    readonly perMillionReadRequestUnits: number;
    readonly source: string;
  };
  readonly kinesis: {
    /** On-demand: every record is rounded up to the next 1 KB (1,024 bytes) when ingested. */
    readonly perGbIngested: number;
    /** On-demand, shared-throughput consumers (the Lambda event source mapping, no enhanced fan-out). */
    readonly perGbRetrieved: number;
    /** On-demand: per stream, per hour, whatever the traffic. */
    readonly perStreamHour: number;
    readonly source: string;
  };
  readonly stepFunctions: {
    /** Standard workflows: per 1,000 state transitions. */
    readonly perThousandStateTransitions: number;
    readonly source: string;
  };
  readonly sms: {
    /**
     * Not added to any total: SMS prices depend on the destination country and change often (carrier
     * fees). Indicative figure for an SMS part to a French mobile number; the page has the current one.
     */
    readonly indicativePerMessageFrance: number;
    readonly source: string;
  };
}

export const PRICES: PriceList = {
  region: 'us-east-1',
  currency: 'USD',
  recorded: '2026-11-27',
  lambda: {
    arm64PerGbSecond: 0.0000133334,
    perMillionRequests: 0.2,
    source: 'https://aws.amazon.com/lambda/pricing/ (Arm price, first 7.5 billion GB-s per month)',
  },
  dynamodb: {
    perMillionWriteRequestUnits: 0.625,
    perMillionReadRequestUnits: 0.125,
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (prices after the 2024-11-01 on-demand reduction)',
  },
  kinesis: {
    perGbIngested: 0.08,
    perGbRetrieved: 0.04,
    perStreamHour: 0.04,
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/ (On-Demand mode)',
  },
  stepFunctions: {
    perThousandStateTransitions: 0.025,
    source: 'https://aws.amazon.com/step-functions/pricing/ (Standard workflows)',
  },
  sms: {
    indicativePerMessageFrance: 0.07,
    source: 'https://aws.amazon.com/end-user-messaging/pricing/ (SMS, per destination country)',
  },
};
