/**
 * Every metric spendcap's functions emit in its namespace (OBSERVABILITY.metricsNamespace), by name: the
 * emitters and the alarms and dashboards (infra/constructs/) import the names from here, so that a graph
 * or an alarm cannot watch a name nothing emits (test/infra/monitoring-truth.test.ts checks both sides).
 *
 * One object per emitter rather than one for all: a function's bundle then carries only its own names.
 * Powertools adds `ColdStart` (dimension `function_name`) on a container's first invocation
 * (shared/observability.ts, `observed`); nothing reads it yet.
 */

/** The ingest function's counts per batch, keyed by the field of the batch's statistics they report. */
export const INGEST_METRICS = {
  applied: 'EventsApplied',
  duplicates: 'Duplicates',
  redelivered: 'Redelivered',
  rejected: 'Rejected',
  crossings: 'Crossings',
  lateEvents: 'LateEvents',
  writeUnits: 'WriteUnits',
  /** Alarmed: counters that could not be updated (the records are retried). */
  failedSubscribers: 'FailedSubscribers',
  quarantinedSubscribers: 'QuarantinedSubscribers',
} as const;

/** The periodic sweep: bars still in force after their period ended (alarmed). */
export const SWEEP_METRICS = { overdueBars: 'OverdueBars' } as const;

/** The quarantine redrive: records a dry run looked at, records put back on the stream. */
export const REDRIVE_METRICS = { assessed: 'RedriveAssessed', redriven: 'Redriven' } as const;

/**
 * Notifications to the 5G core, one count per delivery outcome (`gone`: the subscription ended meanwhile;
 * `rejected`, a 4xx from the consumer or a job that is not JSON, is alarmed).
 */
export const SBI_NOTIFICATION_METRICS = {
  delivered: 'NotificationsDelivered',
  gone: 'NotificationsObsolete',
  retry: 'NotificationsRetried',
  rejected: 'NotificationsRejected',
} as const;

/** PCF subscriptions ended because their subscriber's profile was deleted. */
export const SUBSCRIBER_REMOVED_METRICS = { subscriptionsTerminated: 'SubscriptionsTerminated' } as const;

/**
 * The service-based interfaces behind the load balancer: each emits `<prefix><suffix>` (ChargingRequests,
 * SpendingLimitLatencyMs, ...).
 */
export const SBI_METRIC_PREFIXES = { charging: 'Charging', spendingLimit: 'SpendingLimit' } as const;
export const SBI_METRIC_SUFFIXES = { requests: 'Requests', failures: 'Failures', latencyMs: 'LatencyMs' } as const;

/**
 * Feed health, dimension `feed`, published with PutMetricData (shared/adapters/cloudwatch-feed-metrics.ts)
 * because the delay is a distribution that EMF cannot carry as counts.
 */
export const FEED_METRICS = {
  filesReceived: 'FeedFilesReceived',
  filesDone: 'FeedFilesDone',
  filesQuarantined: 'FeedFilesQuarantined',
  records: 'FeedRecords',
  rejectedLines: 'FeedRejectedLines',
  delay: 'FeedDelay',
} as const;
