import type { CarrierCommand, SpendBucketName } from '../domain/model.js';

/** A bar in force on the subscriber's line, as the carrier-command task recorded it after the carrier accepted it. */
export interface BarInForce {
  /** The billing period whose cap placed it (a CAP_RESET lifts only the bar of its own period). */
  readonly period: string;
  readonly at: string;
  readonly reason: string;
}

export type BarName = 'dataRoaming' | 'dataOverage';

export interface BarState {
  readonly dataRoaming?: BarInForce;
  readonly dataOverage?: BarInForce;
}

/**
 * Bars in force per subscriber. In DynamoDB: attributes `barDataRoaming` / `barDataOverage` of the usage
 * table's STATE item (so the ingest path and the API read them with the rest of the subscriber state).
 */
export interface BarStore {
  get(subscriberId: string): Promise<BarState>;
  place(subscriberId: string, bar: BarName, value: BarInForce): Promise<void>;
  lift(subscriberId: string, bar: BarName): Promise<void>;
}

export function barOfBucket(bucket: SpendBucketName): BarName {
  return bucket === 'roaming' ? 'dataRoaming' : 'dataOverage';
}

/** Which bar a command concerns and whether it places or lifts it. */
export function barEffectOf(command: CarrierCommand): { readonly bar: BarName; readonly placed: boolean } {
  switch (command) {
    case 'BAR_DATA_ROAMING':
      return { bar: 'dataRoaming', placed: true };
    case 'UNBAR_DATA_ROAMING':
      return { bar: 'dataRoaming', placed: false };
    case 'BAR_DATA_OVERAGE':
      return { bar: 'dataOverage', placed: true };
    case 'UNBAR_DATA_OVERAGE':
      return { bar: 'dataOverage', placed: false };
  }
}
