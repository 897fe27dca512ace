/**
 * The quarantine redrive's log lines, report and CLI output carry no raw identifier: the records it reads back
 * hold subscriber ids and numbers (that is why they are kept encrypted), but what it tells the operator names
 * records by their recordId and reasons only. Its log lines are scanned by the integration project's setup
 * (test/support/identifier-scan-setup.ts), which registers the ids the profile store is asked for.
 */
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/redrive-quarantine/handler.js';
import { formatReport } from '../../infra/redrive.js';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { DEFAULT_BOUNDS } from '../../shared/domain/bounds.js';
import type { SubscriberProfile } from '../../shared/domain/model.js';
import { MemoryProfiles } from '../support/ingest-harness.js';
import { MemoryQuarantineQueue, MemoryRecordSink } from '../support/memory-quarantine-queue.js';

const KNOWN = 'imsi-208150000471337';
const UNKNOWN = 'imsi-208150000999999';
const MSISDN = '+33612340001';

function record(subscriberId: string, recordId: string): string {
  return JSON.stringify({ recordId, subscriberId, msisdn: MSISDN, eventTime: '2026-09-10T08:00:00Z', service: 'data', volumeBytes: 1_000_000, servingPlmn: '20801' });
}

describe('quarantine redrive output', () => {
  it('reports and logs verdicts by record id and reason, never the subscriber id or number of the records', async () => {
    // Arrange: one record of an unknown subscriber, one of a subscriber whose stored profile no longer validates
    const quarantine = new MemoryQuarantineQueue();
    const position = (n: number) => ({ stream: 'usage', shardId: 'shardId-000000000000', sequenceNumber: `4959${n}` });
    await quarantine.reject([
      { reason: 'subscriberId: unknown subscriber (no profile)', raw: record(UNKNOWN, 'r-unknown'), recordId: 'r-unknown', position: position(1), fault: 'record' },
      { reason: 'profile: stored profile invalid: msisdn', raw: record(KNOWN, 'r-broken'), recordId: 'r-broken', position: position(2), fault: 'subscriber', held: true },
    ]);
    const profiles = new MemoryProfiles(new Map<string, SubscriberProfile>());
    profiles.unusable.set(KNOWN, 'stored profile invalid: msisdn: must be an E.164 number');
    const handler = createHandler({ quarantine, stream: new MemoryRecordSink(), profiles, ledger: { readClaim: async () => undefined }, settings: DEFAULT_SETTINGS, bounds: DEFAULT_BOUNDS });

    // Act
    const dryRun = await handler({});
    const applied = await handler({ dryRun: false });

    // Assert: the verdicts are there, the identifiers are not
    expect(dryRun.records.map((r) => `${r.recordId} ${r.verdict}`)).toEqual(['r-unknown would be refused', 'r-broken would be refused']);
    expect(applied.counts.redriven).toBe(2);
    const told = JSON.stringify([dryRun, applied, formatReport(dryRun), formatReport(applied)]);
    for (const identifier of [KNOWN, UNKNOWN, MSISDN, '208150000']) expect(told).not.toContain(identifier);
  });
});
