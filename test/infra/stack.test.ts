import { LINE_ATTRIBUTES } from '../../shared/adapters/dynamo-bar-store.js';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../shared/config/env-names.js';
import { TABLES } from '../../shared/adapters/tables.js';
import type { SpendcapStack } from '../../infra/spendcap-stack.js';
import { actionsOf, buildStack, logicalIdOf, mentions, removeOutdirs, resourcesOf, statementsOfRole, type Statement } from './helpers.js';

let stack: SpendcapStack;
let template: Template;

beforeAll(() => {
  ({ stack } = buildStack({ ops: { emails: ['noc@mvno.example.org', 'oncall@mvno.example.org'] } }));
  template = Template.fromStack(stack);
}, 120_000);

afterAll(removeOutdirs);

function roleStatements(fnRole: { node: { defaultChild?: unknown } } | undefined): Statement[] {
  if (fnRole === undefined) throw new Error('function without a role');
  return statementsOfRole(template, logicalIdOf(fnRole as never));
}

function allActions(statements: readonly Statement[]): string[] {
  return statements.flatMap(actionsOf);
}

describe('ingest: Kinesis event source mapping', () => {
  it('reads the stream in bounded, bisected, partially acknowledged batches, with an on-failure queue', () => {
    // Arrange
    const streamId = logicalIdOf(stack.stream.stream);
    const failedBatchesId = logicalIdOf(stack.ingest.failedBatchQueue);
    const functionId = logicalIdOf(stack.ingest.function);

    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping');

    // Assert
    expect(Object.keys(mappings)).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      FunctionName: { Ref: functionId },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 2,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10000,
      MaximumRecordAgeInSeconds: 86400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failedBatchesId, 'Arn'] } } },
    });
  });

  it('takes batch size, window, parallelization, retries and record age from the deployment config', () => {
    // Arrange
    const { stack: tuned } = buildStack({
      ingest: { batchSize: 1000, maxBatchingWindowSeconds: 5, parallelizationFactor: 10, retryAttempts: 3, maxRecordAgeSeconds: 600 },
    });

    // Act
    const tunedTemplate = Template.fromStack(tuned);

    // Assert
    tunedTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 10,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 600,
    });
  });

  it('hands the quarantine queue to the function, and both ingest queues redrive to a dead-letter queue', () => {
    // Arrange
    const quarantineId = logicalIdOf(stack.ingest.quarantineQueue);
    const deadLettersId = logicalIdOf(stack.ingest.deadLetterQueue);

    // Act
    const quarantine = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });

    // Assert
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.quarantineQueueUrl]: { Ref: quarantineId } }) },
    });
    expect(Object.keys(quarantine).sort()).toEqual([logicalIdOf(stack.ingest.failedBatchQueue), quarantineId].sort());
    for (const [id, queue] of Object.entries(quarantine)) {
      // The quarantine is read by every dry run of the redrive: it tolerates many receives.
      const receives = id === quarantineId ? 100 : 5;
      expect(queue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: receives });
      expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(queue.DeletionPolicy).toBe('Retain');
    }
  });

  it('hands ingest its limits (time and size bounds, attempts, the upgrade from the first release) from the deployment config, and keeps the quarantine as long as asked', () => {
    // Arrange
    const { stack: tuned } = buildStack({ ingest: { limits: { maxAheadSeconds: 600, duplicateWindowDays: 60, perKeyClaimsUntil: '2026-12-02T09:00:00Z' }, quarantineRetentionDays: 7 } });
    const tunedTemplate = Template.fromStack(tuned);

    // Act
    const variables = tunedTemplate.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [ENV.ingestLimits]: Match.anyValue() } } } });

    // Assert: ingest and the redrive judge records by the same limits
    expect(Object.keys(variables).sort()).toEqual([logicalIdOf(tuned.ingest.function), logicalIdOf(tuned.redrive.function)].sort());
    for (const fn of Object.values(variables)) {
      expect(JSON.parse(fn.Properties.Environment.Variables[ENV.ingestLimits] as string)).toMatchObject({ maxAheadSeconds: 600, duplicateWindowDays: 60, maxRecordAttempts: 3, perKeyClaimsUntil: '2026-12-02T09:00:00Z' });
    }
    tunedTemplate.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 7 * 24 * 3600, VisibilityTimeout: 900 });
  });
});

describe('encryption at rest with customer managed keys', () => {
  it('encrypts the stream with its own rotating key', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [logicalIdOf(stack.stream.key), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch alarms and SNS dead-letter redrive use the notification key, for this account only', () => {
    const key = template.toJSON().Resources[logicalIdOf(stack.notifications.key)];
    const statements = key.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string | string[] }; Action: string[]; Condition?: unknown }>;
    for (const service of ['cloudwatch.amazonaws.com', 'sns.amazonaws.com']) {
      // With @aws-cdk/aws-iam:minimizePolicies (cdk.json) statements that differ only by principal are merged.
      const grant = statements.find((s) => [s.Principal?.Service].flat().includes(service));
      expect(grant?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(grant?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    }
  });

  it('uses a provisioned stream with the configured shards when asked', () => {
    const { stack: provisioned } = buildStack({ stream: { capacityMode: 'provisioned', shardCount: 3, retentionHours: 48 } });

    Template.fromStack(provisioned).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 3,
      RetentionPeriodHours: 48,
    });
  });

  it('encrypts every table, topic and queue with a KMS key, and every key rotates', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    const topics = Object.values(template.findResources('AWS::SNS::Topic'));
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    const keys = Object.values(template.findResources('AWS::KMS::Key'));

    expect(tables).toHaveLength(3);
    for (const table of tables) {
      expect(table.Properties.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(stack.store.key), 'Arn'] },
      });
    }
    // e-mail, ops and the inbound two-way SMS topic.
    expect(topics).toHaveLength(3);
    for (const topic of topics) expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    expect(queues.length).toBeGreaterThanOrEqual(5);
    // The inbound-SMS and lift-schedule dead-letter queues use SQS-managed keys: a CMK would give the
    // inbound function kms:ReEncrypt*, and EventBridge Scheduler writes the other with its own role.
    const managed = [logicalIdOf(stack.selfCareApi.inboundSmsDeadLetterQueue), logicalIdOf(stack.unbarScheduler.deadLetterQueue)];
    for (const [id, queue] of Object.entries(template.findResources('AWS::SQS::Queue'))) {
      if (managed.includes(id)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      else expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    }
    for (const key of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('store', () => {
  it('creates the three tables with the shared key schemas, on demand, with PITR and TTL, retained', () => {
    const expected = [
      { table: stack.store.usageTable, design: TABLES.usage },
      { table: stack.store.profilesTable, design: TABLES.profiles },
      { table: stack.store.auditTable, design: TABLES.audit },
    ];
    for (const { table, design } of expected) {
      const resource = template.toJSON().Resources[logicalIdOf(table)];
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      expect(resource.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(resource.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(resource.Properties.KeySchema[0]).toEqual({ AttributeName: design.partitionKey, KeyType: 'HASH' });
      if ('sortKey' in design) expect(resource.Properties.KeySchema[1]).toEqual({ AttributeName: design.sortKey, KeyType: 'RANGE' });
      if ('ttlAttribute' in design) {
        expect(resource.Properties.TimeToLiveSpecification).toEqual({ AttributeName: design.ttlAttribute, Enabled: true });
      }
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byMsisdn', KeySchema: [{ AttributeName: 'msisdn', KeyType: 'HASH' }] }),
        // Support's way from a pseudonym (a log line, an alert) back to the subscriber: keys only.
        Match.objectLike({ IndexName: 'byPseudonym', KeySchema: [{ AttributeName: 'pn', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }),
      ],
    });
    // The key outlives the tables it encrypts: a retained table is unreadable without it.
    expect(template.toJSON().Resources[logicalIdOf(stack.store.key)].DeletionPolicy).toBe('Retain');
  });
});

describe('functions', () => {
  it('run Node.js 22 on arm64 with active tracing, source maps, their own log group and the validated settings', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    // ingest, five policy tasks, the operator and self-care API functions, the inbound SMS keyword and the quarantine redrive.
    expect(functions).toHaveLength(10);
    for (const fn of functions) {
      const { Runtime, Architectures, TracingConfig, Environment, LoggingConfig, MemorySize, Timeout } = fn.Properties;
      expect(Runtime).toBe('nodejs22.x');
      expect(Architectures).toEqual(['arm64']);
      expect(TracingConfig).toEqual({ Mode: 'Active' });
      expect(Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('spendcap');
      expect(Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe('spendcap');
      expect(JSON.parse(Environment.Variables[ENV.settings])).toEqual(JSON.parse(JSON.stringify(stack.config.policy)));
      expect(LoggingConfig.LogGroup).toEqual({ Ref: expect.any(String) });
      expect(MemorySize).toBeGreaterThan(0);
      expect(Timeout).toBeGreaterThan(3);
    }
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    for (const group of logGroups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('use execution roles without managed policies', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('IAM least privilege', () => {
  it('lets ingest read profiles, write usage, quarantine and start the workflow, and nothing that notifies or bars', () => {
    // Arrange
    const statements = roleStatements(stack.ingest.function.role as never);
    const actions = allActions(statements);

    // Assert: what it must not do
    for (const forbidden of ['sns:Publish', 'events:PutEvents', 'scheduler:CreateSchedule', 'iam:PassRole']) {
      expect(actions).not.toContain(forbidden);
    }
    // The only secret it reads is the pseudonym key (the subscriber in its log lines).
    const secretReads = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(secretReads.flatMap(resourcesOf)).toEqual([{ Ref: logicalIdOf(stack.pseudonymKey.secret) }]);
    expect(actions.some((a) => a.includes('*'))).toBe(false);
    // Assert: what it needs, on exactly those resources
    const usageId = logicalIdOf(stack.store.usageTable);
    const profilesId = logicalIdOf(stack.store.profilesTable);
    const auditId = logicalIdOf(stack.store.auditTable);
    const writes = statements.filter((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
    expect(writes).toHaveLength(1);
    expect(actionsOf(writes[0]!).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const onProfiles = statements.filter((s) => mentions(s, profilesId));
    expect(allActions(onProfiles).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
    expect(mentions(writes[0]!, usageId)).toBe(true);
    expect(mentions(writes[0]!, profilesId)).toBe(false);
    expect(statements.some((s) => mentions(s, auditId))).toBe(false);
    const starts = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(starts.map(resourcesOf)).toEqual([[{ Ref: logicalIdOf(stack.workflow.stateMachine) }]]);
    const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    const sorted = (items: unknown[]) => items.map((item) => JSON.stringify(item)).sort();
    expect(sorted(sends.flatMap(resourcesOf))).toEqual(
      sorted([
        { 'Fn::GetAtt': [logicalIdOf(stack.ingest.quarantineQueue), 'Arn'] },
        { 'Fn::GetAtt': [logicalIdOf(stack.ingest.failedBatchQueue), 'Arn'] },
      ]),
    );
  });

  it('gives the workflow functions no write to the usage table beyond the line\'s own attributes', () => {
    // Arrange
    const usageId = logicalIdOf(stack.store.usageTable);
    const workflow = {
      reconcile: stack.functions.ReconcileLine,
      plan: stack.functions.PolicyPlan,
      notify: stack.functions.PolicyNotify,
      reportFailure: stack.functions.PolicyReportFailure,
    };

    for (const [name, fn] of Object.entries(workflow)) {
      // Act
      const onUsage = roleStatements(fn?.role as never).filter((s) => mentions(s, usageId));
      const usageActions = allActions(onUsage);

      // Assert
      for (const forbidden of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']) {
        expect(usageActions, `${name} may not ${forbidden} on the usage table`).not.toContain(forbidden);
      }
      if (name === 'reconcile') {
        expect(usageActions.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
        const update = onUsage.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
        expect(actionsOf(update!)).toEqual(['dynamodb:UpdateItem']);
        expect(update?.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']).toEqual(['pk', 'sk', ...LINE_ATTRIBUTES]);
      } else if (name === 'plan') {
        expect(usageActions).toEqual(['dynamodb:BatchGetItem']);
      } else {
        expect(usageActions, `${name} has no business with the usage table`).toEqual([]);
      }
    }
  });

  it('limits audit writes of the workflow to puts and guard status updates (no reads, no deletes)', () => {
    const auditId = logicalIdOf(stack.store.auditTable);
    for (const fn of [stack.functions.PolicyNotify, stack.functions.ReconcileLine, stack.functions.PolicyReportFailure]) {
      const onAudit = roleStatements(fn?.role as never).filter((s) => mentions(s, auditId));
      expect(allActions(onAudit).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
      const update = onAudit.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
      expect(update?.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']).toEqual(['pk', 'sk', 'status', 'doneAt']);
    }
  });

  it('lets only the notify task and the operator API (support`s resend) send SMS, to phone numbers only (never a topic through that statement)', () => {
    for (const [name, fn] of Object.entries(stack.functions)) {
      const sms = roleStatements(fn.role as never).filter((s) => actionsOf(s).includes('sns:Publish') && s.NotResource !== undefined);
      if (name === 'PolicyNotify' || name === 'SelfCareApi') {
        expect(sms).toHaveLength(1);
        expect(sms[0]?.Resource).toBeUndefined();
        expect(sms[0]?.NotResource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:*:*:*']] });
      } else {
        expect(sms, `${name} must not send SMS`).toEqual([]);
      }
    }
  });

  it('lets only the line reconcile put events on the carrier bus', () => {
    const busArn = { 'Fn::GetAtt': [logicalIdOf(stack.carrierGateway.bus!), 'Arn'] };
    for (const [name, fn] of Object.entries(stack.functions)) {
      const puts = roleStatements(fn.role as never).filter((s) => actionsOf(s).includes('events:PutEvents'));
      expect(puts.flatMap(resourcesOf), name).toEqual(name === 'ReconcileLine' ? [busArn] : []);
    }
  });

  it('lets the line reconcile create schedules in its group only and pass the scheduler role only, to Scheduler', () => {
    // Arrange
    const statements = roleStatements(stack.functions.ReconcileLine?.role as never);
    const schedulerRoleId = logicalIdOf(stack.unbarScheduler.role);

    // Act
    const create = statements.filter((s) => actionsOf(s).includes('scheduler:CreateSchedule'));
    const pass = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));

    // Assert
    expect(create).toHaveLength(1);
    expect(actionsOf(create[0]!)).toEqual(['scheduler:CreateSchedule']);
    expect(JSON.stringify(resourcesOf(create[0]!))).toContain(`:schedule/${stack.unbarScheduler.group.scheduleGroupName}/*`);
    expect(pass).toEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    const schedulerStatements = statementsOfRole(template, schedulerRoleId);
    expect(schedulerStatements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: expect.arrayContaining(['sqs:SendMessage']), Resource: { 'Fn::GetAtt': [logicalIdOf(stack.unbarScheduler.deadLetterQueue), 'Arn'] } }),
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: logicalIdOf(stack.workflow.stateMachine) } },
    ]);
  });

  it('lets the redrive read the quarantine and put records on the stream, and read (never write) claims and profiles', () => {
    // Arrange
    const statements = roleStatements(stack.redrive.function.role as never);
    const actions = allActions(statements);

    // Assert
    for (const forbidden of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'states:StartExecution', 'sns:Publish', 'sqs:SendMessage']) {
      expect(actions).not.toContain(forbidden);
    }
    expect(actions.some((a) => a.includes('*'))).toBe(false);
    const quarantineArn = { 'Fn::GetAtt': [logicalIdOf(stack.ingest.quarantineQueue), 'Arn'] };
    const consumes = statements.filter((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
    expect(consumes.flatMap(resourcesOf)).toEqual([quarantineArn]);
    expect(actionsOf(consumes[0]!).sort()).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage']);
    const puts = statements.filter((s) => actionsOf(s).includes('kinesis:PutRecords'));
    expect(puts.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack.stream.stream), 'Arn'] }]);
    expect(allActions(statements.filter((s) => mentions(s, logicalIdOf(stack.store.usageTable))))).toEqual(['dynamodb:GetItem']);
    expect(allActions(statements.filter((s) => mentions(s, logicalIdOf(stack.store.profilesTable))))).toEqual(['dynamodb:BatchGetItem']);
    template.hasOutput('RedriveFunctionName', { Value: { Ref: logicalIdOf(stack.redrive.function) } });
  });

  it('sweeps overdue bars every 15 minutes through the sparse index only, starting the workflow and nothing else', () => {
    const sweep = stack.functions.SweepOverdueBars!;
    const statements = roleStatements(sweep.role as never);
    expect(allActions(statements.filter((s) => mentions(s, logicalIdOf(stack.store.usageTable)))).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(JSON.stringify(statements)).toContain('/index/barsDue');
    expect(statements.filter((s) => actionsOf(s).includes('states:StartExecution')).flatMap(resourcesOf)).toEqual([{ Ref: logicalIdOf(stack.workflow.stateMachine) }]);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(sweep), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        { IndexName: 'barsDue', KeySchema: [{ AttributeName: 'bs', KeyType: 'HASH' }, { AttributeName: 'bd', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    });
  });
});

describe('monitoring', () => {
  it('sends every alarm to the ops topic', () => {
    const opsTopic = { Ref: logicalIdOf(stack.notifications.opsTopic) };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(20);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([opsTopic]);
  });

  it('watches iterator age, failed batches, dead letters, quarantine, failed subscribers, errors, throttles, executions, lift schedules, overdue bars and SMS', () => {
    // Arrange
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const onMetric = (namespace: string, metricName: string) => alarms.filter((a) => a.Namespace === namespace && a.MetricName === metricName);
    const onQueue = (queue: { node: { defaultChild?: unknown } }) =>
      alarms.filter(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(logicalIdOf(queue as never)),
      );

    // Assert
    expect(onMetric('AWS/Lambda', 'IteratorAge')).toEqual([
      expect.objectContaining({ Statistic: 'Maximum', Threshold: 60000, Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.ingest.function) } }] }),
    ]);
    expect(onQueue(stack.ingest.failedBatchQueue)).toHaveLength(1);
    expect(onQueue(stack.ingest.deadLetterQueue)).toHaveLength(1);
    expect(onQueue(stack.notifications.deadLetterQueue)).toHaveLength(1);
    expect(onQueue(stack.ingest.quarantineQueue)).toHaveLength(1);
    expect(alarms.filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage')).toEqual([
      expect.objectContaining({
        Threshold: 72 * 3600,
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack.ingest.quarantineQueue), 'QueueName'] } }],
      }),
    ]);
    for (const fn of Object.values(stack.functions)) {
      const dims = JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn) } }]);
      expect(onMetric('AWS/Lambda', 'Errors').filter((a) => JSON.stringify(a.Dimensions) === dims).length).toBeGreaterThanOrEqual(1);
      expect(onMetric('AWS/Lambda', 'Throttles').filter((a) => JSON.stringify(a.Dimensions) === dims)).toHaveLength(1);
    }
    expect(onQueue(stack.unbarScheduler.deadLetterQueue)).toHaveLength(1);
    const liftErrors = alarms.filter((a) => JSON.stringify(a.Metrics ?? []).includes('TargetErrorCount'));
    expect(liftErrors).toHaveLength(1);
    expect(JSON.stringify(liftErrors[0]?.Metrics)).toContain('InvocationDroppedCount');
    expect(onMetric('spendcap', 'OverdueBars')).toEqual([expect.objectContaining({ Statistic: 'Sum', Threshold: 1 })]);
    expect(onMetric('AWS/Lambda', 'Invocations')).toEqual([
      expect.objectContaining({ Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.functions.PolicyReportFailure!) } }] }),
    ]);
    const executions = alarms.filter((a) => JSON.stringify(a.Metrics ?? []).includes('ExecutionsFailed'));
    expect(executions).toHaveLength(1);
    expect(onMetric('spendcap', 'FailedSubscribers')).toEqual([
      expect.objectContaining({ Statistic: 'Sum', Threshold: 1, Dimensions: [{ Name: 'service', Value: 'spendcap' }] }),
    ]);
    expect(onMetric('AWS/SNS', 'NumberOfNotificationsFailed')).toEqual([
      expect.objectContaining({ Dimensions: [{ Name: 'PhoneNumber', Value: 'PhoneNumberDirect' }], Threshold: 5 }),
    ]);
  });

  it('subscribes the configured ops addresses to the ops topic, with a dead-letter queue', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'))
      .map((s) => s.Properties)
      .filter((s) => s.Protocol !== 'lambda');
    expect(subscriptions.map((s) => s.Endpoint).sort()).toEqual(['noc@mvno.example.org', 'oncall@mvno.example.org']);
    for (const s of subscriptions) {
      expect(s.Protocol).toBe('email');
      expect(s.TopicArn).toEqual({ Ref: logicalIdOf(stack.notifications.opsTopic) });
      expect(s.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack.notifications.deadLetterQueue), 'Arn'] } });
    }
  });

  it('draws the pipeline dashboard from the spendcap EMF metrics', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const metric of ['EventsApplied', 'Duplicates', 'Redelivered', 'Rejected', 'FailedSubscribers', 'Crossings', 'WriteUnits', 'LateEvents']) {
      expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    }
    expect(body).toContain('Namespace=\\\\\\"spendcap\\\\\\"');
    expect(body).toContain('IteratorAge');
  });
});

describe('privacy', () => {
  it('hands the pseudonym key to every function that logs, names or alerts about a subscriber, and to no other', () => {
    const keyRef = { Ref: logicalIdOf(stack.pseudonymKey.secret) };
    // The quarantine redrive reports record ids and reasons, never a subscriber; the e-mail mailer sees only rendered messages.
    const without = new Set(['RedriveQuarantine', 'EmailMailer', 'EmailFeedback', 'IngestFeedFiles']);
    for (const [name, fn] of Object.entries(stack.functions)) {
      const reads = roleStatements(fn.role as never).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
      const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.Properties.Environment.Variables as Record<string, unknown>;
      if (without.has(name)) {
        expect(reads, name).toEqual([]);
        expect(variables[ENV.pseudonymKeySecretArn], name).toBeUndefined();
      } else {
        expect(reads.flatMap(resourcesOf), name).toEqual([keyRef]);
        expect(variables[ENV.pseudonymKeySecretArn], name).toEqual(keyRef);
      }
    }
    expect(template.toJSON().Resources[logicalIdOf(stack.pseudonymKey.secret)].DeletionPolicy).toBe('Retain');
  });

  it('creates the SMS delivery status log groups (they record phone numbers) with the stack`s retention, which the delivery role cannot change', () => {
    const groups = stack.notifications.smsDeliveryLogGroups.map((g) => template.toJSON().Resources[logicalIdOf(g)].Properties);
    expect(groups.map((g) => g.RetentionInDays)).toEqual([30, 30]);
    expect(JSON.stringify(groups.map((g) => g.LogGroupName))).toMatch(/DirectPublishToPhoneNumber".*DirectPublishToPhoneNumber\/Failure/);
    const role = statementsOfRole(template, logicalIdOf(stack.notifications.smsDeliveryStatusRole));
    expect(role.flatMap(actionsOf)).not.toContain('logs:PutRetentionPolicy');
  });
});

describe('carrier gateway', () => {
  it('eventbridge mode: a bus with an archive, handed to the line reconcile by name', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Archive', { EventPattern: { source: ['spendcap'] }, RetentionDays: 30 });
    // The pseudonym key only: no carrier secret.
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.carrierMode]: 'eventbridge', [ENV.carrierBusName]: { Ref: logicalIdOf(stack.carrierGateway.bus!) } }),
      },
    });
  });

  it('https mode: endpoint and secret handed to the line reconcile, which alone may read the secret', () => {
    // Arrange
    const { stack: https } = buildStack({ carrier: { mode: 'https', endpointUrl: 'https://provisioning.host.example.net/v1/commands' } });

    // Act
    const httpsTemplate = Template.fromStack(https);

    // Assert
    httpsTemplate.resourceCountIs('AWS::Events::EventBus', 0);
    // The carrier's and the pseudonym key.
    httpsTemplate.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const secretId = logicalIdOf(https.carrierGateway.secret!);
    httpsTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.carrierMode]: 'https',
          [ENV.carrierEndpointUrl]: 'https://provisioning.host.example.net/v1/commands',
          [ENV.carrierSecretArn]: { Ref: secretId },
        }),
      },
    });
    for (const [name, fn] of Object.entries(https.functions)) {
      const reads = statementsOfRole(httpsTemplate, logicalIdOf(fn.role as never)).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
      expect(reads.flatMap(resourcesOf).filter((r) => JSON.stringify(r) === JSON.stringify({ Ref: secretId })), name).toEqual(name === 'ReconcileLine' ? [{ Ref: secretId }] : []);
    }
  });
});

describe('template snapshot', () => {
  it('matches the reviewed template (asset hashes normalized)', () => {
    // Asset hashes change with every source edit; the infrastructure does not.
    const normalized = JSON.parse(
      JSON.stringify(template.toJSON())
        .replace(/[0-9a-f]{64}(\.zip|\.json)/g, '<asset-hash>$1')
        .replace(/"aws:asset:path":"[^"]*"/g, '"aws:asset:path":"<asset>"'),
    );
    expect(normalized).toMatchSnapshot();
  });
});
