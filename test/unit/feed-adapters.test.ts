import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CloudWatchFeedMetrics } from '../../shared/adapters/cloudwatch-feed-metrics.js';
import { KinesisRecordSink } from '../../shared/adapters/kinesis-record-sink.js';
import { SqsFileContinuations } from '../../shared/adapters/sqs-file-continuations.js';
import { filesOfMessage } from '../../shared/feeds/file-events.js';
import { feedFilesConfigFromEnv } from '../../functions/ingest-feed-files/config.js';

const records = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionKey: `s${i % 7}`, data: JSON.stringify({ i }) }));

describe('KinesisRecordSink', () => {
  it('puts at most 500 records per call and puts again only the records the stream refused', async () => {
    // Arrange
    const kinesis = mockClient(KinesisClient);
    let calls = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => {
      calls++;
      // The first call throttles its first two records; every other call is accepted.
      if (calls === 1) return { FailedRecordCount: 2, Records: input.Records.map((_, i) => (i < 2 ? { ErrorCode: 'ProvisionedThroughputExceededException' } : { SequenceNumber: '1' })) };
      return { FailedRecordCount: 0, Records: input.Records.map(() => ({ SequenceNumber: '1' })) };
    });
    const sink = new KinesisRecordSink({ client: new KinesisClient({}), stream: { name: 'usage' }, sleep: async () => undefined });

    // Act
    await sink.put(records(1_200));

    // Assert
    const sizes = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length);
    expect(sizes).toEqual([500, 2, 500, 200]);
    expect(sink.accepted).toBe(1_200);
    const retried = kinesis.commandCalls(PutRecordsCommand)[1]!.args[0].input.Records!.map((r) => Buffer.from(r.Data!).toString());
    expect(retried).toEqual(['{"i":0}', '{"i":1}']);
  });

  it('throws, naming the error, when records are still refused after every attempt', async () => {
    // Arrange
    const kinesis = mockClient(KinesisClient);
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({ FailedRecordCount: 1, Records: input.Records.map(() => ({ ErrorCode: 'InternalFailure' })) }));
    const sink = new KinesisRecordSink({ client: new KinesisClient({}), stream: { name: 'usage' }, maxAttempts: 3, sleep: async () => undefined });

    // Act / Assert
    await expect(sink.put(records(1))).rejects.toThrow('usage stream: 1 record(s) refused after 3 attempts (InternalFailure)');
  });
});

describe('feed adapters', () => {
  it('queues a continuation that the handler reads back as the same file', async () => {
    // Arrange
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({});
    const file = { bucket: 'b', key: 'host-cdr/a.csv', versionId: 'v1' };

    // Act
    await new SqsFileContinuations(new SQSClient({}), 'https://sqs.eu-west-3.amazonaws.com/1/feed').continueLater(file);

    // Assert
    const body = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!;
    expect(filesOfMessage(body)).toEqual([file]);
  });

  it('publishes feed metrics in the namespace it is given, and nothing for an empty report', async () => {
    // Arrange
    const cloudwatch = mockClient(CloudWatchClient);
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const metrics = new CloudWatchFeedMetrics(new CloudWatchClient({}), 'spendcap');

    // Act
    await metrics.publish({ feed: 'host-cdr', filesReceived: 1 });
    await metrics.publish({ feed: 'host-cdr' });

    // Assert
    const calls = cloudwatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({ Namespace: 'spendcap', MetricData: [{ MetricName: 'FeedFilesReceived', Value: 1 }] });
  });

  it('fails the file-ingest configuration naming every missing variable', () => {
    expect(() => feedFilesConfigFromEnv({}, '{}')).toThrow('USAGE_STREAM_ARN: required; FEED_LEDGER_TABLE_NAME: required; FEED_QUEUE_URL: required');
  });
});
