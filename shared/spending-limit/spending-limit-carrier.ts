/**
 * The carrier gateway for an operator whose own PCF enforces the bars (3GPP spending limit control): a
 * bar or un-bar command becomes a change of the cap's policy counter status, which every subscribed PCF is
 * notified of. A bar carries, when the workflow knows it (`barEndsAt`, the end of the bar's billing period),
 * the pending `valid` status with that activation time. An un-bar also asks the SMFs of sessions refused
 * quota to re-authorise. Thin on purpose: the rules are in shared/spending-limit and shared/charging.
 */
import { capOfCommand } from '../domain/caps.js';
import type { CarrierCommand, SpendBucketName } from '../domain/model.js';
import { COUNTER_STATUS, type CounterStatusValue, type PendingStatus } from '../domain/policy-counters.js';
import type { ChargingReauthorization } from '../charging/reauthorize.js';
import { CarrierTransientError, type CarrierCommandRequest, type CarrierGateway } from '../ports/carrier-gateway.js';
import type { SpendingLimitControl } from './spending-limit-control.js';

export interface SpendingLimitCarrierOptions {
  readonly control: Pick<SpendingLimitControl, 'counterChanged'>;
  /** When the online charging function runs too: refused sessions are asked to re-authorise on an un-bar. */
  readonly reauthorization?: Pick<ChargingReauthorization, 'reauthorize'>;
}

export class SpendingLimitCarrier implements CarrierGateway {
  constructor(private readonly options: SpendingLimitCarrierOptions) {}

  send(command: CarrierCommand, request: CarrierCommandRequest): Promise<void> {
    const { cap, places } = capOfCommand(command);
    return places ? this.bar(cap.bucket, request) : this.unbar(cap.bucket, request);
  }

  private bar(bucket: SpendBucketName, request: CarrierCommandRequest): Promise<void> {
    const pending: PendingStatus[] =
      request.barEndsAt !== undefined && Date.parse(request.barEndsAt) > Date.parse(request.at)
        ? [{ status: COUNTER_STATUS.valid, activationTime: request.barEndsAt }]
        : [];
    return this.change(bucket, COUNTER_STATUS.capReached, pending, request);
  }

  private async unbar(bucket: SpendBucketName, request: CarrierCommandRequest): Promise<void> {
    await this.change(bucket, COUNTER_STATUS.valid, [], request);
    if (this.options.reauthorization !== undefined) {
      try {
        await this.options.reauthorization.reauthorize(request.subscriberId);
      } catch (e: unknown) {
        throw new CarrierTransientError(`re-authorisation could not be queued (${e instanceof Error ? e.name : 'error'})`);
      }
    }
  }

  private async change(bucket: SpendBucketName, status: CounterStatusValue, pending: readonly PendingStatus[], request: CarrierCommandRequest): Promise<void> {
    try {
      await this.options.control.counterChanged(request.subscriberId, bucket, { status, pending, at: request.at });
    } catch (e: unknown) {
      // Storage or queue unavailable: the workflow retries with backoff; the same command again is harmless.
      throw new CarrierTransientError(`policy counter status not stored or notified (${e instanceof Error ? e.name : 'error'})`);
    }
  }
}
