/**
 * Ingest and self-care write the counters and their outbox through one writer (shared/counters): a change
 * that starts requests leaves no outbox behind, whoever made it, and a crash between the write and the
 * start leaves the requests in the outbox, where the next writer of the item (ingest or self-care) starts
 * them, once, and empties it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { applyRated, emptyCounters } from '../../shared/domain/counters.js';
import type { CarrierEvent, PolicyRequest, SubscriberProfile } from '../../shared/domain/model.js';
import type { RatedUsage } from '../../shared/domain/rating.js';
import { parseSubscriberProfile } from '../../shared/domain/subscriber-schema.js';
import { ingestBatch } from '../../shared/ingest/ingest-batch.js';
import type { PolicyWorkflowStarter } from '../../shared/ports/policy-workflow.js';
import { SelfCare } from '../../shared/selfcare/use-cases.js';
import { VirtualClock } from '../../local/timeline.js';
import { MemoryQuarantine, RecordingWorkflowStarter } from '../support/ingest-harness.js';
import { MemoryAuditLog, MemoryBarStore, MemoryProfileFields, MemoryProfileStore } from '../support/memory-line.js';
import { MemoryUsageStore } from '../support/memory-usage-store.js';

const SUBSCRIBER = '208150000000001';
const PERIOD = '2026-09-01';
const NOW = '2026-09-15T10:00:00Z';

/** A starter that fails its next `failures` calls before starting anything: a crash between write and start. */
class CrashingStarter implements PolicyWorkflowStarter {
  failures = 0;
  constructor(readonly inner: RecordingWorkflowStarter) {}
  async start(requests: readonly PolicyRequest[]): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('crashed before the start');
    }
    await this.inner.start(requests);
  }
}

function profileOf(): SubscriberProfile {
  const parsed = parseSubscriberProfile({ subscriberId: SUBSCRIBER, msisdn: '+33611111111', plan: { dataAllowanceBytes: 1_000_000_000 } });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

/** A roaming data charge as rating produces it (Switzerland: outside roam-like-at-home). */
function roamingCharge(chargeMicros: number): RatedUsage {
  return { zone: { kind: 'world', mcc: '228', zone: 'restOfWorld' }, roaming: true, bucket: 'roaming', dataBytes: 1_000_000, allowanceBytes: 0, voiceSeconds: 0, smsCount: 0, chargeMicros };
}

describe('one counters writer for ingest and self-care', () => {
  let usage: MemoryUsageStore;
  let recorded: RecordingWorkflowStarter;
  let starter: CrashingStarter;
  let selfCare: SelfCare;
  let sequence: number;

  beforeEach(async () => {
    usage = new MemoryUsageStore();
    recorded = new RecordingWorkflowStarter();
    starter = new CrashingStarter(recorded);
    sequence = 0;
    const profiles = new MemoryProfileStore([profileOf()]);
    const clock = new VirtualClock();
    clock.ms = Date.parse(NOW);
    selfCare = new SelfCare({
      profiles,
      profileFields: new MemoryProfileFields(profiles),
      directory: { findByMsisdn: async () => undefined, listByMsisdn: async () => [], findByPseudonym: async () => [] },
      usage,
      bars: new MemoryBarStore(),
      audit: new MemoryAuditLog(),
      workflow: starter,
      clock,
      settings: DEFAULT_SETTINGS,
    });
    // EUR 30 of roaming spent this period, under the default EUR 50 cap.
    const counters = applyRated(emptyCounters(SUBSCRIBER, PERIOD), roamingCharge(30_000_000), profileOf());
    expect((await usage.saveCounters({ counters, expectedVersion: 0, applied: {}, pending: [] })).saved).toBe(true);
  });

  async function outboxes(): Promise<{ state: string[]; counters: string[] }> {
    const stored = await usage.load(SUBSCRIBER, [PERIOD]);
    return { state: stored.state.pending.map((r) => r.crossingId), counters: (stored.counters.get(PERIOD)?.pending ?? []).map((r) => r.crossingId) };
  }

  /** One home usage event of the current period through ingest (crosses nothing). */
  async function ingestOne(): Promise<void> {
    sequence += 1;
    const event: CarrierEvent = { type: 'usage', recordId: `r${sequence}`, subscriberId: SUBSCRIBER, eventTime: '2026-09-15T09:00:00Z', service: 'data', volumeBytes: 1000, servingPlmn: '20801', currency: 'EUR' };
    const record = { shardId: 'shardId-000000000000', sequenceNumber: String(sequence).padStart(21, '0'), data: JSON.stringify(event), arrivalTime: Date.parse(NOW) / 1000 };
    const { failed } = await ingestBatch([record], { usage, ledger: usage, profiles: new MemoryProfileStore([profileOf()]), quarantine: new MemoryQuarantine(), workflows: recorded, settings: DEFAULT_SETTINGS });
    expect(failed.size).toBe(0);
  }

  it('a caps change that fires a warning and a reconcile starts both and leaves the outboxes empty', async () => {
    // Act: EUR 30 is past 80% of EUR 35 and under it.
    await selfCare.putCaps(SUBSCRIBER, { roamingCap: { limitMicros: 35_000_000 } });

    // Assert
    expect(recorded.executions.map((r) => r.crossingId)).toEqual(['ROAMING_SPEND_80@35000000', 'CAPS_CHANGED#r2']);
    expect(recorded.executions[0]).toMatchObject({ kind: 'ROAMING_SPEND_80', bucket: 'roaming', spentMicros: 30_000_000, period: PERIOD, at: NOW.replace('Z', '.000Z') });
    expect(Object.keys((await usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD)?.counters.fired ?? {})).toEqual(['ROAMING_SPEND_80@35000000']);
    expect(await outboxes()).toEqual({ state: [], counters: [] });
  });

  it('consent starts its reconcile and leaves the outbox empty', async () => {
    await selfCare.consent(SUBSCRIBER, 'roaming');

    expect(recorded.executions.map((r) => r.crossingId)).toEqual(['CAPS_CHANGED#consent-roaming']);
    expect(await outboxes()).toEqual({ state: [], counters: [] });
  });

  it('a crash between the write and the start leaves the requests in the outbox; the next ingest write starts them once and empties it', async () => {
    // Arrange
    starter.failures = 1;
    await expect(selfCare.putCaps(SUBSCRIBER, { roamingCap: { limitMicros: 35_000_000 } })).rejects.toThrow(/crashed/);
    const left = await outboxes();

    // Act
    await ingestOne();
    await ingestOne();

    // Assert
    expect(left).toEqual({ state: [], counters: ['ROAMING_SPEND_80@35000000', 'CAPS_CHANGED#r2'] });
    expect(recorded.executions.map((r) => r.crossingId)).toEqual(['ROAMING_SPEND_80@35000000', 'CAPS_CHANGED#r2']);
    expect(recorded.rawStarts).toBe(2);
    expect(await outboxes()).toEqual({ state: [], counters: [] });
  });

  it('a crash between the write and the start is recovered by the retried request too, and by the next self-care change', async () => {
    // Arrange
    starter.failures = 1;
    await expect(selfCare.consent(SUBSCRIBER, 'roaming')).rejects.toThrow(/crashed/);
    starter.failures = 1;
    await expect(selfCare.putCaps(SUBSCRIBER, { roamingCap: { limitMicros: 40_000_000 } })).rejects.toThrow(/crashed/);
    const left = await outboxes();

    // Act: the caps change retried; it starts what the crashed consent left too.
    await selfCare.putCaps(SUBSCRIBER, { roamingCap: { limitMicros: 40_000_000 } });

    // Assert
    expect(left.counters).toEqual(['CAPS_CHANGED#consent-roaming', 'CAPS_CHANGED#r2']);
    expect(recorded.executions.map((r) => r.crossingId)).toEqual(['CAPS_CHANGED#consent-roaming', 'CAPS_CHANGED#r2']);
    expect(await outboxes()).toEqual({ state: [], counters: [] });
  });

  it('a self-care change starts what a crashed ingest write left in the outbox of the item it writes', async () => {
    // Arrange: ingest's crossing written, its start lost.
    const stored = (await usage.load(SUBSCRIBER, [PERIOD])).counters.get(PERIOD)!;
    const crossing: PolicyRequest = { kind: 'ROAMING_SPEND_80', subscriberId: SUBSCRIBER, period: PERIOD, crossingId: 'ROAMING_SPEND_80@50000000', at: NOW, bucket: 'roaming', spentMicros: 40_000_000 };
    await usage.saveCounters({ counters: stored.counters, expectedVersion: stored.version, applied: stored.applied, pending: [crossing] });

    // Act
    await selfCare.consent(SUBSCRIBER, 'overage');

    // Assert
    expect(recorded.executions.map((r) => r.crossingId)).toEqual(['ROAMING_SPEND_80@50000000', 'CAPS_CHANGED#consent-overage']);
    expect(await outboxes()).toEqual({ state: [], counters: [] });
  });
});
