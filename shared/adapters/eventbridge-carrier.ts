import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { CarrierCommand } from '../domain/model.js';
import {
  CarrierRejectedError,
  CarrierTransientError,
  type CarrierCommandRequest,
  type CarrierGateway,
} from '../ports/carrier-gateway.js';
import { errorNameOf, isTransientAwsError } from './aws-faults.js';

export const CARRIER_EVENT_SOURCE = 'spendcap';
export const CARRIER_EVENT_DETAIL_TYPE = 'spendcap.carrier-command';

/** The event the MVNO wires (a rule on the bus) to its host operator's provisioning. */
export interface CarrierCommandEventDetail {
  readonly command: CarrierCommand;
  readonly subscriberId: string;
  readonly idempotencyKey: string;
  readonly at: string;
  readonly reason: string;
  /** For a bar: when it will be lifted at the latest (the end of its billing period). */
  readonly barEndsAt?: string;
}

/** The command as the carrier receives it, on the bus (the event's detail) or over HTTPS (the body). */
export function carrierCommandDetailOf(command: CarrierCommand, request: CarrierCommandRequest): CarrierCommandEventDetail {
  return {
    command,
    subscriberId: request.subscriberId,
    idempotencyKey: request.idempotencyKey,
    at: request.at,
    reason: request.reason,
    ...(request.barEndsAt !== undefined && { barEndsAt: request.barEndsAt }),
  };
}

/** Entry error codes that a later PutEvents may not hit again. */
const TRANSIENT_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);

export interface EventBridgeCarrierOptions {
  readonly client: EventBridgeClient;
  readonly eventBusName: string;
}

/**
 * The default gateway: each command is an event on the carrier-commands bus. PutEvents answers 200 even
 * when an entry failed, so `FailedEntryCount` is checked: a command that did not reach the bus is an error.
 */
export class EventBridgeCarrier implements CarrierGateway {
  constructor(private readonly options: EventBridgeCarrierOptions) {}

  async send(command: CarrierCommand, request: CarrierCommandRequest): Promise<void> {
    const detail = carrierCommandDetailOf(command, request);
    let failed: { code: string; message: string } | undefined;
    try {
      const output = await this.options.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.options.eventBusName,
              Source: CARRIER_EVENT_SOURCE,
              DetailType: CARRIER_EVENT_DETAIL_TYPE,
              Detail: JSON.stringify(detail),
              Time: new Date(request.at),
            },
          ],
        }),
      );
      if ((output.FailedEntryCount ?? 0) > 0) {
        const entry = output.Entries?.find((e) => e.ErrorCode !== undefined);
        failed = { code: entry?.ErrorCode ?? 'Unknown', message: entry?.ErrorMessage ?? '' };
      }
    } catch (e: unknown) {
      if (isTransientAwsError(e)) throw new CarrierTransientError(`${command}: PutEvents failed (${errorNameOf(e)})`);
      throw new CarrierRejectedError(`${command}: PutEvents refused (${errorNameOf(e)})`);
    }
    if (failed !== undefined) {
      const text = `${command}: the event did not reach the bus (FailedEntryCount > 0, ${failed.code})`;
      throw TRANSIENT_ENTRY_CODES.has(failed.code) ? new CarrierTransientError(text) : new CarrierRejectedError(text);
    }
  }
}
