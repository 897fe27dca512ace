/**
 * Names of the states of the "apply cap policy" state machine. The CDK construct names its states with
 * these, and the local runner binds each Task to its handler by them (aws-local-stepfunctions overrides
 * Tasks by state name), so they must not drift: both import this module.
 */
export const POLICY_STATES = {
  lineNeeded: 'Line to reconcile?',
  reconcile: 'Reconcile line',
  noLineChange: 'No line change',
  reportLineFailure: 'Report line failure',
  lineFailed: 'Line reconcile failed',
  plan: 'Plan notifications',
  notifications: 'Send notifications',
  notify: 'Send notification',
  reportNotificationFailure: 'Report notification failure',
  notificationsFailed: 'Any notification failed?',
  notificationFailed: 'Notification failed',
  done: 'Done',
} as const;

export type PolicyStateName = (typeof POLICY_STATES)[keyof typeof POLICY_STATES];

/** The Task states and the handler (functions/<name>) each one runs. */
export const POLICY_TASKS = {
  [POLICY_STATES.reconcile]: 'reconcile-line',
  [POLICY_STATES.reportLineFailure]: 'policy-report-failure',
  [POLICY_STATES.plan]: 'policy-plan',
  [POLICY_STATES.notify]: 'policy-notify',
  [POLICY_STATES.reportNotificationFailure]: 'policy-report-failure',
} as const;

export type PolicyTaskFunction = (typeof POLICY_TASKS)[keyof typeof POLICY_TASKS];

/** Error names the state machine matches in Retry/Catch (thrown by the handlers, see the ports). */
export const POLICY_ERRORS = {
  carrierTransient: 'CarrierTransientError',
  carrierRejected: 'CarrierRejectedError',
  notificationTransient: 'NotificationTransientError',
  notificationRejected: 'NotificationRejectedError',
  unknownSubscriber: 'UnknownSubscriberError',
  /** Another execution holds the subscriber's line: wait and retry. */
  lineBusy: 'LineBusyError',
  /** DynamoDB / service errors that outlasted the SDK's retries (see shared/adapters/aws-faults.ts). */
  transient: 'PolicyTransientError',
  lineFailed: 'LineReconcileFailed',
  notificationFailed: 'NotificationFailed',
} as const;
