/**
 * Feed health as CloudWatch metrics, dimension `feed`, in the stack's namespace: files received, done and
 * quarantined, records put, lines rejected, and the delay of records (arrival minus eventTime, seconds) as
 * a distribution. The delay goes through PutMetricData's Values/Counts (one histogram per stretch, 150
 * values at most), which keeps percentiles (p50, p99) exact to within a bucket; Powertools' EMF cannot
 * publish counts, and one value per record would not fit.
 */
import { PutMetricDataCommand, StandardUnit, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { FEED_METRICS } from '../config/metric-names.js';
import type { FeedMetrics, FeedReport } from '../ports/feed-files.js';

export const FEED_DIMENSION = 'feed';

const MAX_VALUES = 150;

export class CloudWatchFeedMetrics implements FeedMetrics {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly namespace: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async publish(report: FeedReport): Promise<void> {
    const data = feedMetricData(report, this.now());
    if (data.length === 0) return;
    await this.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: data }));
  }
}

/** The metric data of one report (exported for tests). */
export function feedMetricData(report: FeedReport, at: Date): MetricDatum[] {
  const dimensions = [{ Name: FEED_DIMENSION, Value: report.feed }];
  const data: MetricDatum[] = [];
  const count = (name: string, value: number | undefined): void => {
    if (value === undefined) return;
    data.push({ MetricName: name, Dimensions: dimensions, Timestamp: at, Unit: StandardUnit.Count, Value: value });
  };
  count(FEED_METRICS.filesReceived, report.filesReceived);
  count(FEED_METRICS.filesDone, report.filesDone);
  count(FEED_METRICS.filesQuarantined, report.filesQuarantined);
  count(FEED_METRICS.records, report.records);
  count(FEED_METRICS.rejectedLines, report.rejectedLines);
  if (report.delays !== undefined && report.delays.size > 0) {
    const entries = [...report.delays.entries()].sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < entries.length; i += MAX_VALUES) {
      const part = entries.slice(i, i + MAX_VALUES);
      data.push({
        MetricName: FEED_METRICS.delay,
        Dimensions: dimensions,
        Timestamp: at,
        Unit: StandardUnit.Seconds,
        Values: part.map(([value]) => value),
        Counts: part.map(([, n]) => n),
      });
    }
  }
  return data;
}
