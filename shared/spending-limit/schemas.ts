/**
 * Nchf_SpendingLimitControl bodies, written attribute by attribute from the OpenAPI definition of 3GPP
 * TS 29.594 V17.0.0 (TS29594_Nchf_SpendingLimitControl.yaml, API version 1.2.0-alpha.1, base path
 * /nchf-spendinglimitcontrol/v1), with the common data types of TS 29.571 (common-data.ts). Conformance
 * table: docs/realtime.md.
 */
import * as z from 'zod';
import { dateTime, extensibleEnum, gpsi, supi, supportedFeatures, uri } from '../sbi/common-data.js';

export const API_ROOT_PATH = '/nchf-spendinglimitcontrol/v1';

/** PolicyCounterId: a string. */
export const policyCounterId = z.string({ error: 'must be a policy counter id (string)' }).min(1, { error: 'must be a policy counter id (string)' });

/**
 * SpendingLimitContext: every attribute optional in the definition. spendcap needs supi or gpsi to find the
 * subscriber, and notifUri on a new subscription (where the status changes go).
 */
export const spendingLimitContext = z.object({
  supi: supi.optional(),
  gpsi: gpsi.optional(),
  policyCounterIds: z.array(policyCounterId).min(1, { error: 'must hold at least one policy counter id' }).optional(),
  notifUri: uri.optional(),
  expiry: dateTime.optional(),
  supportedFeatures: supportedFeatures.optional(),
  notifId: z.string().optional(),
});
export type SpendingLimitContext = z.output<typeof spendingLimitContext>;

/** PendingPolicyCounterStatus: both required. */
export const pendingPolicyCounterStatus = z.object({
  policyCounterStatus: z.string(),
  activationTime: dateTime,
});

/** PolicyCounterInfo: policyCounterId and currentStatus required; penPolCounterStatuses has at least one item when present. */
export const policyCounterInfo = z.object({
  policyCounterId,
  currentStatus: z.string(),
  penPolCounterStatuses: z.array(pendingPolicyCounterStatus).min(1).optional(),
});

/** SpendingLimitStatus: statusInfos is a map keyed by policyCounterId, with at least one entry. */
export const spendingLimitStatus = z.object({
  supi: supi.optional(),
  notifId: z.string().optional(),
  statusInfos: z.record(z.string(), policyCounterInfo).refine((m) => Object.keys(m).length >= 1, { error: 'must hold at least one policy counter' }).optional(),
  expiry: dateTime.optional(),
  supportedFeatures: supportedFeatures.optional(),
});

/** SubscriptionTerminationInfo: supi required. */
export const subscriptionTerminationInfo = z.object({
  supi,
  termCause: extensibleEnum(['REMOVED_SUBSCRIBER']).optional(),
});

export interface PolicyCounterInfo {
  readonly policyCounterId: string;
  readonly currentStatus: string;
  readonly penPolCounterStatuses?: ReadonlyArray<{ readonly policyCounterStatus: string; readonly activationTime: string }>;
}

export interface SpendingLimitStatus {
  readonly supi?: string;
  readonly notifId?: string;
  readonly statusInfos: Readonly<Record<string, PolicyCounterInfo>>;
  readonly expiry?: string;
  readonly supportedFeatures?: string;
}

export interface SubscriptionTerminationInfo {
  readonly supi: string;
  readonly termCause?: 'REMOVED_SUBSCRIBER';
}
