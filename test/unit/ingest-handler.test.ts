/**
 * The ingest handler's edges: configuration parsed once with the variable at fault named, per-record
 * failure reporting (only the failed subscriber's records; everything when nothing could be done),
 * outbox recovery after a failed start, the profile cache, and no subscriber id in the logs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { ingestConfigFromEnv } from '../../functions/ingest-events/config.js';
import { perKeyClaimsUntilMsOf } from '../../shared/config/ingest-limits.js';
import { AllRecordsFailedError, createHandler } from '../../functions/ingest-events/handler.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { kinesisEventOf, MemoryProfiles, MemoryQuarantine, RecordingWorkflowStarter, sequenceNumberOf, type StreamInput } from '../support/ingest-harness.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';
import { CachedProfiles } from '../../shared/ingest/profile-cache.js';
import { logger, maskSubscriber } from '../../shared/observability.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import type { PolicyRequest } from '../../shared/domain/model.js';
import type { UsageStore } from '../../shared/ports/usage-store.js';
import { profileOf, SETTINGS, SHARD } from '../integration/ingest-support.js';

const ENV_OK = {
  USAGE_TABLE_NAME: 'usage',
  PROFILES_TABLE_NAME: 'profiles',
  QUARANTINE_QUEUE_URL: 'https://sqs.eu-west-3.amazonaws.com/123456789012/quarantine',
  POLICY_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-3:123456789012:stateMachine:policy',
  SPENDCAP_SETTINGS: '{}',
};

describe('configuration', () => {
  it('reads every resource and the settings', () => {
    const config = ingestConfigFromEnv(ENV_OK);
    expect(config.usageTable).toBe('usage');
    expect(config.policyStateMachineArn).toBe(ENV_OK.POLICY_STATE_MACHINE_ARN);
    expect(config.settings.homePlmn).toBe(SETTINGS.homePlmn);
  });

  it('names each missing or malformed variable', () => {
    expect(() => ingestConfigFromEnv({ ...ENV_OK, USAGE_TABLE_NAME: '' })).toThrow('USAGE_TABLE_NAME: required');
    expect(() => ingestConfigFromEnv({ ...ENV_OK, POLICY_STATE_MACHINE_ARN: 'policy' })).toThrow('POLICY_STATE_MACHINE_ARN: must be a state machine ARN');
    expect(() => ingestConfigFromEnv({ ...ENV_OK, SPENDCAP_SETTINGS: undefined })).toThrow(/SPENDCAP_SETTINGS/);
  });

  it('reads the upgrade from the first release as an instant, and none by default', () => {
    // Act
    const upgraded = ingestConfigFromEnv({ ...ENV_OK, INGEST_LIMITS: JSON.stringify({ perKeyClaimsUntil: '2026-12-02T10:00:00+01:00' }) });
    const fresh = ingestConfigFromEnv(ENV_OK);

    // Assert
    expect(perKeyClaimsUntilMsOf(upgraded.limits)).toBe(Date.parse('2026-12-02T09:00:00Z'));
    expect(perKeyClaimsUntilMsOf(fresh.limits)).toBeUndefined();
    expect(upgraded.limits.duplicateWindowDays).toBe(45);
  });

  it.each(['2026-12-02', '2026-12-02T09:00:00', 'yesterday', 1_796_000_000])('refuses perKeyClaimsUntil %j, naming it', (value) => {
    // Act
    const parse = () => ingestConfigFromEnv({ ...ENV_OK, INGEST_LIMITS: JSON.stringify({ perKeyClaimsUntil: value }) });

    // Assert
    expect(parse).toThrow('INGEST_LIMITS.perKeyClaimsUntil: must be an RFC 3339 date-time with a zone');
  });
});

const alice = profileOf({ subscriberId: '208019900000001', msisdn: '+33611111111', plan: { dataAllowanceBytes: 1_000_000 } });
const bob = profileOf({ subscriberId: '208019900000002', msisdn: '+33622222222', plan: { dataAllowanceBytes: 1_000_000 } });

function records(): StreamInput[] {
  const out: StreamInput[] = [];
  for (let i = 1; i <= 6; i++) {
    const subscriberId = i % 2 === 0 ? bob.subscriberId : alice.subscriberId;
    out.push({
      shardId: SHARD,
      sequenceNumber: sequenceNumberOf(i),
      payload: { type: 'usage', recordId: `r${i}`, subscriberId, eventTime: '2026-09-10T07:00:00Z', service: 'data', volumeBytes: 500_000, servingPlmn: '20801', currency: 'EUR' },
    });
  }
  return out;
}

function handlerWith(usage: UsageStore, workflows: PolicyWorkflowStarter = new RecordingWorkflowStarter()) {
  return createHandler({ usage, ledger: new MemoryUsageStore(), profiles: new MemoryProfiles(new Map([[alice.subscriberId, alice], [bob.subscriberId, bob]])), quarantine: new MemoryQuarantine(), workflows, settings: SETTINGS });
}

function failingFor(subscriberId: string, inner: UsageStore): UsageStore {
  return {
    load: (id, p) => inner.load(id, p),
    claim: (c) => inner.claim(c),
    saveState: (w) => inner.saveState(w),
    clearOutbox: (c) => inner.clearOutbox(c),
    saveCounters: async (w) => {
      if (w.counters.subscriberId === subscriberId) throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' });
      return inner.saveCounters(w);
    },
  };
}

describe('failure reporting', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports only the failing subscriber’s records as batch item failures', async () => {
    const store = new MemoryUsageStore();
    const handler = handlerWith(failingFor(bob.subscriberId, store));

    const response = await handler(kinesisEventOf(records()));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([2, 4, 6].map(sequenceNumberOf));
    expect((await store.load(alice.subscriberId, ['2026-09-01'])).counters.get('2026-09-01')?.counters.dataBytes).toBe(1_500_000);
  });

  it('fails the whole batch when no subscriber could be written, so Lambda retries (and bisects) it', async () => {
    const store = new MemoryUsageStore();
    const handler = handlerWith(failingFor(bob.subscriberId, failingFor(alice.subscriberId, store)));

    await expect(handler(kinesisEventOf(records()))).rejects.toBeInstanceOf(AllRecordsFailedError);
  });

  it('starts a crossing left in the outbox when the start failed, on the redelivery', async () => {
    const store = new MemoryUsageStore();
    const recorder = new RecordingWorkflowStarter();
    let down = true;
    const flaky: PolicyWorkflowStarter = {
      start: async (requests: readonly PolicyRequest[]) => {
        if (down) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        await recorder.start(requests);
      },
    };
    const handler = handlerWith(store, flaky);

    const first = await handler(kinesisEventOf(records())).catch((e: unknown) => e);
    down = false;
    const second = await handler(kinesisEventOf(records()));

    expect(first).toBeInstanceOf(AllRecordsFailedError);
    expect(second.batchItemFailures).toEqual([]);
    // 1.5 MB of a 1 MB allowance each: 80% and 100% for both subscribers, started once each.
    expect(recorder.executions.map((r) => `${r.subscriberId}:${r.kind}`).sort()).toEqual(
      [`${alice.subscriberId}:DATA_ALLOWANCE_100`, `${alice.subscriberId}:DATA_ALLOWANCE_80`, `${bob.subscriberId}:DATA_ALLOWANCE_100`, `${bob.subscriberId}:DATA_ALLOWANCE_80`],
    );
    expect((await store.load(alice.subscriberId, ['2026-09-01'])).counters.get('2026-09-01')?.counters.dataBytes).toBe(1_500_000);
  });

  it('logs the failing subscriber masked, never its id', async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown): boolean => {
      lines.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    logger.setLogLevel('INFO');
    try {
      await handlerWith(failingFor(bob.subscriberId, new MemoryUsageStore()))(kinesisEventOf(records()));
    } finally {
      logger.setLogLevel('ERROR');
    }

    const output = lines.join('');
    expect(output).toContain(maskSubscriber(bob.subscriberId));
    expect(output).not.toContain(bob.subscriberId);
    expect(output).not.toContain(alice.subscriberId);
    expect(maskSubscriber(bob.subscriberId)).not.toBe(maskSubscriber(alice.subscriberId));
  });
});

describe('profile cache', () => {
  it('reads a profile once within its lifetime, again after it, and never caches an unknown subscriber', async () => {
    let now = 0;
    const store = new MemoryProfiles(new Map<string, SubscriberProfile>([[alice.subscriberId, alice]]));
    const cache = new CachedProfiles({ store, ttlMs: 60_000, now: () => now });

    await cache.getMany([alice.subscriberId]);
    now = 59_999;
    const hit = await cache.getMany([alice.subscriberId]);
    const readsWhileFresh = store.reads;
    now = 60_000;
    await cache.getMany([alice.subscriberId]);
    const unknown = await cache.getMany(['nobody']);
    await cache.getMany(['nobody']);

    expect(hit.profiles.get(alice.subscriberId)).toEqual(alice);
    expect(readsWhileFresh).toBe(1);
    expect(store.reads).toBe(4);
    expect(unknown.profiles.size).toBe(0);
  });
});
