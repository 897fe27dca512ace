/**
 * Names of the environment variables through which the CDK app (infra/) hands resources and settings to
 * the functions, and through which the local runtime (local/) does the same. One list, so that a binding
 * in the stack and the parse at cold start cannot drift apart.
 */
export const ENV = {
  /** Counters, de-duplication claims and subscriber state (see shared/adapters/tables.ts). */
  usageTable: 'USAGE_TABLE_NAME',
  /** Subscriber profiles (subscriber.v1). */
  profilesTable: 'PROFILES_TABLE_NAME',
  /** Audit trail of notifications and carrier commands (re-consultable), and the workflow's idempotency guards. */
  auditTable: 'AUDIT_TABLE_NAME',
  /** SQS queue where rejected events are kept with their reason. */
  quarantineQueueUrl: 'QUARANTINE_QUEUE_URL',
  /** The "apply cap policy" state machine. */
  policyStateMachineArn: 'POLICY_STATE_MACHINE_ARN',
  /** SNS topic for e-mail copies (subscriptions filter on subscriberId / accountId). */
  emailTopicArn: 'EMAIL_TOPIC_ARN',
  /** SNS topic for the operations team (bill-shock alerts, failures). */
  opsTopicArn: 'OPS_TOPIC_ARN',
  /** SMS sender ID (alphanumeric) for transactional SMS. */
  smsSenderId: 'SMS_SENDER_ID',
  /** `eventbridge` (default) or `https`. */
  carrierMode: 'CARRIER_MODE',
  /** EventBridge bus that receives carrier commands (mode eventbridge). */
  carrierBusName: 'CARRIER_BUS_NAME',
  /** Provisioning endpoint of the host operator (mode https). */
  carrierEndpointUrl: 'CARRIER_ENDPOINT_URL',
  /** Secrets Manager secret with the credentials of the provisioning endpoint (mode https). */
  carrierSecretArn: 'CARRIER_SECRET_ARN',
  /** Role that EventBridge Scheduler assumes to start the state machine at the next period start. */
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  /** Scheduler group for the period-end lifts of bars. */
  schedulerGroupName: 'SCHEDULER_GROUP_NAME',
  /** SQS queue that keeps the starts of lifts that Scheduler could not deliver. */
  schedulerDeadLetterArn: 'SCHEDULER_DEAD_LETTER_ARN',
  /** Sender address of the optional SES mailer. */
  mailerFromAddress: 'MAILER_FROM_ADDRESS',
  /** SES configuration set of the mailer (its event destination reports bounces and complaints). */
  mailerConfigurationSet: 'MAILER_CONFIGURATION_SET',
  /** SNS topic where SES publishes the mailer's bounces and complaints. */
  mailerFeedbackTopicArn: 'MAILER_FEEDBACK_TOPIC_ARN',
  /** JSON of PolicySettings (home PLMN, tariff, bill-shock rule, continue keyword/URL); see shared/config/settings.ts. */
  settings: 'SPENDCAP_SETTINGS',
  /** Online charging and spending limit control: sessions, budgets, PCF subscriptions (docs/realtime.md). */
  realtimeTable: 'REALTIME_TABLE_NAME',
  /** The carrier-event stream, for the charging function's committed usage (ARN). */
  usageStreamArn: 'USAGE_STREAM_ARN',
  /** SQS queue of notifications to the 5G core (PCF status, SMF re-authorisation). */
  sbiNotificationQueueUrl: 'SBI_NOTIFICATION_QUEUE_URL',
  /** JSON of the realtime settings (quota sizes, validity, final unit action); see shared/config/realtime-settings.ts. */
  realtimeSettings: 'REALTIME_SETTINGS',
  /** JSON of the ingest limits (time and size bounds of a record, attempts); see shared/config/ingest-limits.ts. */
  ingestLimits: 'INGEST_LIMITS',
  /** Powertools service name. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** Usage files: progress of each landed file (DynamoDB). */
  feedLedgerTable: 'FEED_LEDGER_TABLE_NAME',
  /** Usage files: the file-event queue, where large files queue their continuation. */
  feedQueueUrl: 'FEED_QUEUE_URL',
  /** Secrets Manager secret holding the key of subscriber pseudonyms (shared/privacy/pseudonym.ts), read once per container. */
  pseudonymKeySecretArn: 'PSEUDONYM_KEY_SECRET_ARN',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * Powertools service name and EMF metrics namespace: the functions emit under them and the dashboard and
 * alarms read them, so both sides import them from here (CloudWatch namespaces are case-sensitive).
 */
export const OBSERVABILITY = { serviceName: 'spendcap', metricsNamespace: 'spendcap' } as const;
