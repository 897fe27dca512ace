/**
 * Nchf_ConvergedCharging bodies, written attribute by attribute from the OpenAPI definition of 3GPP TS 32.291
 * V16.7.0 (TS32291_Nchf_ConvergedCharging.yaml, API version 3.0.2, base path /nchf-convergedcharging/v3),
 * with the common data types of TS 29.571 (common-data.ts). The attributes spendcap reads are validated
 * with the definition's types; the others are accepted and ignored (conformance table: docs/realtime.md).
 */
import * as z from 'zod';
import {
  chargingId,
  dateTime,
  durationSec,
  extensibleEnum,
  gpsi,
  ipv4Addr,
  ipv6Addr,
  nfInstanceId,
  plmnId,
  ratingGroup,
  serviceId,
  supi,
  supportedFeatures,
  uint32,
  uint64,
  uri,
  userLocation,
} from '../sbi/common-data.js';

export const API_ROOT_PATH = '/nchf-convergedcharging/v3';

/** NodeFunctionality (enum, extensible). */
export const nodeFunctionality = extensibleEnum(['AMF', 'SMF', 'SMS', 'PGW_C_SMF', 'NEFF', 'SGW', 'I_SMF', 'ePDG', 'CEF', 'NEF', 'MnS_Producer']);

/** NFIdentification: nodeFunctionality required. */
export const nfIdentification = z.object({
  nFName: nfInstanceId.optional(),
  nFIPv4Address: ipv4Addr.optional(),
  nFIPv6Address: ipv6Addr.optional(),
  nFPLMNID: plmnId.optional(),
  nodeFunctionality,
  nFFqdn: z.string().optional(),
});

/** TriggerType and TriggerCategory (enums, extensible). */
export const triggerType = extensibleEnum([
  'QUOTA_THRESHOLD',
  'QHT',
  'FINAL',
  'QUOTA_EXHAUSTED',
  'VALIDITY_TIME',
  'OTHER_QUOTA_TYPE',
  'FORCED_REAUTHORISATION',
  'UNUSED_QUOTA_TIMER',
  'UNIT_COUNT_INACTIVITY_TIMER',
  'ABNORMAL_RELEASE',
  'QOS_CHANGE',
  'VOLUME_LIMIT',
  'TIME_LIMIT',
  'EVENT_LIMIT',
  'PLMN_CHANGE',
  'USER_LOCATION_CHANGE',
  'RAT_CHANGE',
  'SESSION_AMBR_CHANGE',
  'UE_TIMEZONE_CHANGE',
  'TARIFF_TIME_CHANGE',
  'MAX_NUMBER_OF_CHANGES_IN_CHARGING_CONDITIONS',
  'MANAGEMENT_INTERVENTION',
  'CHANGE_OF_UE_PRESENCE_IN_PRESENCE_REPORTING_AREA',
  'CHANGE_OF_3GPP_PS_DATA_OFF_STATUS',
  'SERVING_NODE_CHANGE',
  'REMOVAL_OF_UPF',
  'ADDITION_OF_UPF',
  'INSERTION_OF_ISMF',
  'REMOVAL_OF_ISMF',
  'CHANGE_OF_ISMF',
  'START_OF_SERVICE_DATA_FLOW',
  'ECGI_CHANGE',
  'TAI_CHANGE',
  'HANDOVER_CANCEL',
  'HANDOVER_START',
  'HANDOVER_COMPLETE',
  'GFBR_GUARANTEED_STATUS_CHANGE',
  'ADDITION_OF_ACCESS',
  'REMOVAL_OF_ACCESS',
  'START_OF_SDF_ADDITIONAL_ACCESS',
]);
export const triggerCategory = extensibleEnum(['IMMEDIATE_REPORT', 'DEFERRED_REPORT']);

/** Trigger: triggerType and triggerCategory required. */
export const trigger = z.object({
  triggerType,
  triggerCategory,
  timeLimit: durationSec.optional(),
  volumeLimit: uint32.optional(),
  volumeLimit64: uint64.optional(),
  eventLimit: uint32.optional(),
  maxNumberOfccc: uint32.optional(),
  tariffTimeChange: dateTime.optional(),
});
export type Trigger = z.input<typeof trigger>;

/** RequestedUnit: every attribute optional; spendcap grants volume (totalVolume, else up + down). */
export const requestedUnit = z.object({
  time: uint32.optional(),
  totalVolume: uint64.optional(),
  uplinkVolume: uint64.optional(),
  downlinkVolume: uint64.optional(),
  serviceSpecificUnits: uint64.optional(),
});

export const quotaManagementIndicator = extensibleEnum(['ONLINE_CHARGING', 'OFFLINE_CHARGING', 'QUOTA_MANAGEMENT_SUSPENDED']);

/** PDUContainerInformation: only the usage times are read (the event's time when the report has no trigger timestamp). */
const pduContainerInformation = z.object({
  timeofFirstUsage: dateTime.optional(),
  timeofLastUsage: dateTime.optional(),
});

/** UsedUnitContainer: localSequenceNumber required. */
export const usedUnitContainer = z.object({
  serviceId: serviceId.optional(),
  quotaManagementIndicator: quotaManagementIndicator.optional(),
  triggers: z.array(trigger).optional(),
  triggerTimestamp: dateTime.optional(),
  time: uint32.optional(),
  totalVolume: uint64.optional(),
  uplinkVolume: uint64.optional(),
  downlinkVolume: uint64.optional(),
  serviceSpecificUnits: uint64.optional(),
  eventTimeStamps: z.array(dateTime).optional(),
  localSequenceNumber: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }),
  pDUContainerInformation: pduContainerInformation.optional(),
});
export type UsedUnitContainer = z.output<typeof usedUnitContainer>;

/** MultipleUnitUsage: ratingGroup required. */
export const multipleUnitUsage = z.object({
  ratingGroup,
  requestedUnit: requestedUnit.optional(),
  usedUnitContainer: z.array(usedUnitContainer).optional(),
  uPFID: nfInstanceId.optional(),
});
export type MultipleUnitUsage = z.output<typeof multipleUnitUsage>;

/** UserInformation. */
const userInformation = z.object({
  servedGPSI: gpsi.optional(),
  servedPEI: z.string().optional(),
  unauthenticatedFlag: z.boolean().optional(),
  roamerInOut: extensibleEnum(['IN_BOUND', 'OUT_BOUND']).optional(),
});

/** PDUSessionInformation: pduSessionID and dnnId required. */
const pduSessionInformation = z.object({
  networkSlicingInfo: z.object({ sNSSAI: z.object({ sst: z.number().int().min(0).max(255), sd: z.string().regex(/^[A-Fa-f0-9]{6}$/).optional() }) }).optional(),
  pduSessionID: z.number({ error: 'must be an integer from 0 to 255' }).int().min(0).max(255),
  pduType: extensibleEnum(['IPV4', 'IPV6', 'IPV4V6', 'UNSTRUCTURED', 'ETHERNET']).optional(),
  sscMode: extensibleEnum(['SSC_MODE_1', 'SSC_MODE_2', 'SSC_MODE_3']).optional(),
  hPlmnId: plmnId.optional(),
  ratType: z.string().optional(),
  dnnId: z.string({ error: 'must be a DNN (string)' }),
  chargingCharacteristics: z.string().regex(/^[0-9a-fA-F]{1,4}$/).optional(),
  startTime: dateTime.optional(),
  stopTime: dateTime.optional(),
  sessionStopIndicator: z.boolean().optional(),
  servingCNPlmnId: plmnId.optional(),
});

/** PDUSessionChargingInformation. */
export const pduSessionChargingInformation = z.object({
  chargingId: chargingId.optional(),
  homeProvidedChargingId: chargingId.optional(),
  userInformation: userInformation.optional(),
  userLocationinfo: userLocation.optional(),
  uetimeZone: z.string().optional(),
  pduSessionInformation: pduSessionInformation.optional(),
  unitCountInactivityTimer: durationSec.optional(),
});
export type PduSessionChargingInformation = z.output<typeof pduSessionChargingInformation>;

/**
 * ChargingDataRequest: nfConsumerIdentification, invocationTimeStamp and invocationSequenceNumber required.
 * subscriberIdentifier is optional in the definition; spendcap needs it on create (the subscriber whose cap
 * the quota comes from) and answers 400 MANDATORY_IE_MISSING without it.
 */
export const chargingDataRequest = z.object({
  subscriberIdentifier: supi.optional(),
  tenantIdentifier: z.string().optional(),
  chargingId: chargingId.optional(),
  mnSConsumerIdentifier: z.string().optional(),
  nfConsumerIdentification: nfIdentification,
  invocationTimeStamp: dateTime,
  invocationSequenceNumber: uint32,
  retransmissionIndicator: z.boolean().optional(),
  oneTimeEvent: z.boolean().optional(),
  oneTimeEventType: extensibleEnum(['IEC', 'PEC']).optional(),
  notifyUri: uri.optional(),
  supportedFeatures: supportedFeatures.optional(),
  serviceSpecificationInfo: z.string().optional(),
  multipleUnitUsage: z.array(multipleUnitUsage).optional(),
  triggers: z.array(trigger).optional(),
  pDUSessionChargingInformation: pduSessionChargingInformation.optional(),
});
export type ChargingDataRequest = z.output<typeof chargingDataRequest>;

// ---- what spendcap sends (types; test/unit/realtime-schemas.test.ts checks them against the definitions) ----

export type ResultCode =
  | 'SUCCESS'
  | 'END_USER_SERVICE_DENIED'
  | 'QUOTA_MANAGEMENT_NOT_APPLICABLE'
  | 'QUOTA_LIMIT_REACHED'
  | 'END_USER_SERVICE_REJECTED'
  | 'USER_UNKNOWN'
  | 'RATING_FAILED'
  | 'QUOTA_MANAGEMENT';

export interface GrantedUnit {
  readonly tariffTimeChange?: string;
  readonly time?: number;
  readonly totalVolume?: number;
  readonly uplinkVolume?: number;
  readonly downlinkVolume?: number;
  readonly serviceSpecificUnits?: number;
}

export interface RedirectServer {
  readonly redirectAddressType: 'IPV4' | 'IPV6' | 'URL';
  readonly redirectServerAddress: string;
}

export interface FinalUnitIndication {
  readonly finalUnitAction: 'TERMINATE' | 'REDIRECT' | 'RESTRICT_ACCESS';
  readonly restrictionFilterRule?: string;
  readonly filterId?: string;
  readonly redirectServer?: RedirectServer;
}

export interface MultipleUnitInformation {
  readonly resultCode?: ResultCode;
  readonly ratingGroup: number;
  readonly grantedUnit?: GrantedUnit;
  readonly triggers?: readonly Trigger[];
  readonly validityTime?: number;
  readonly quotaHoldingTime?: number;
  readonly finalUnitIndication?: FinalUnitIndication;
  readonly volumeQuotaThreshold?: number;
}

export interface ChargingDataResponse {
  readonly invocationTimeStamp: string;
  readonly invocationSequenceNumber: number;
  readonly invocationResult?: { readonly error?: unknown; readonly failureHandling?: 'TERMINATE' | 'CONTINUE' | 'RETRY_AND_TERMINATE' };
  readonly sessionFailover?: 'FAILOVER_NOT_SUPPORTED' | 'FAILOVER_SUPPORTED';
  readonly supportedFeatures?: string;
  readonly multipleUnitInformation?: readonly MultipleUnitInformation[];
  readonly triggers?: readonly Trigger[];
}

/** ChargingNotifyRequest: what a re-authorisation sends to the session's notifyUri. */
export interface ChargingNotifyRequest {
  readonly notificationType: 'REAUTHORIZATION' | 'ABORT_CHARGING';
  readonly reauthorizationDetails?: ReadonlyArray<{ readonly serviceId?: number; readonly ratingGroup?: number; readonly quotaManagementIndicator?: string }>;
}

/** The response definitions, as zod schemas, for the tests and the simulator to check what is sent. */
const grantedUnitSchema = z.object({
  tariffTimeChange: dateTime.optional(),
  time: uint32.optional(),
  totalVolume: uint64.optional(),
  uplinkVolume: uint64.optional(),
  downlinkVolume: uint64.optional(),
  serviceSpecificUnits: uint64.optional(),
});
const finalUnitIndicationSchema = z.object({
  finalUnitAction: extensibleEnum(['TERMINATE', 'REDIRECT', 'RESTRICT_ACCESS']),
  restrictionFilterRule: z.string().optional(),
  filterId: z.string().optional(),
  redirectServer: z.object({ redirectAddressType: extensibleEnum(['IPV4', 'IPV6', 'URL']), redirectServerAddress: z.string() }).optional(),
});
export const multipleUnitInformationSchema = z.object({
  resultCode: extensibleEnum([
    'SUCCESS',
    'END_USER_SERVICE_DENIED',
    'QUOTA_MANAGEMENT_NOT_APPLICABLE',
    'QUOTA_LIMIT_REACHED',
    'END_USER_SERVICE_REJECTED',
    'USER_UNKNOWN',
    'RATING_FAILED',
    'QUOTA_MANAGEMENT',
  ]).optional(),
  ratingGroup,
  grantedUnit: grantedUnitSchema.optional(),
  triggers: z.array(trigger).optional(),
  validityTime: durationSec.optional(),
  quotaHoldingTime: durationSec.optional(),
  finalUnitIndication: finalUnitIndicationSchema.optional(),
  timeQuotaThreshold: z.number().int().optional(),
  volumeQuotaThreshold: uint64.optional(),
  unitQuotaThreshold: z.number().int().optional(),
  uPFID: nfInstanceId.optional(),
});
export const chargingDataResponseSchema = z.object({
  invocationTimeStamp: dateTime,
  invocationSequenceNumber: uint32,
  invocationResult: z.object({ error: z.unknown().optional(), failureHandling: extensibleEnum(['TERMINATE', 'CONTINUE', 'RETRY_AND_TERMINATE']).optional() }).optional(),
  sessionFailover: extensibleEnum(['FAILOVER_NOT_SUPPORTED', 'FAILOVER_SUPPORTED']).optional(),
  supportedFeatures: supportedFeatures.optional(),
  multipleUnitInformation: z.array(multipleUnitInformationSchema).optional(),
  triggers: z.array(trigger).optional(),
});
export const chargingNotifyRequestSchema = z.object({
  notificationType: extensibleEnum(['REAUTHORIZATION', 'ABORT_CHARGING']),
  reauthorizationDetails: z.array(z.object({ serviceId: serviceId.optional(), ratingGroup: ratingGroup.optional(), quotaManagementIndicator: quotaManagementIndicator.optional() })).optional(),
});
