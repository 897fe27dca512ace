import { describe, expect, it } from 'vitest';
import { htmlReport } from '../../local/html-report.js';
import type { ReplayReport } from '../../local/replay-report.js';
import type { SubscriberSeries } from '../../local/spend-series.js';

const bucket = { chargeMicros: 0, billableMicros: 0, writtenOffMicros: 0, blockedBytes: 0, blockedMicros: 0 };

const report: ReplayReport = {
  version: 1,
  eventsRead: 3,
  eventsApplied: 1,
  duplicates: 1,
  rejected: [{ line: 3, reason: 'eventTime: required <b>' }],
  subscribers: [
    {
      subscriberId: 'A<script>',
      periods: [{ period: '2026-09-01', dataBytes: 0, roamingDataBytes: 0, roaming: { ...bucket, chargeMicros: 60_000_000, billableMicros: 50_000_000, writtenOffMicros: 10_000_000 }, overage: bucket }],
      notifications: [{ kind: 'ROAMING_CAP_REACHED', channel: 'sms', to: '+33600000000', text: 'Cap & bar "now"', at: '2026-09-10T12:00:00.000Z' }],
      carrierCommands: [{ command: 'BAR_DATA_ROAMING', at: '2026-09-10T12:00:00.000Z', reason: 'ROAMING_CAP_REACHED@50000000' }],
      bars: { dataRoaming: true, dataOverage: false },
    },
  ],
};

const series: SubscriberSeries = {
  subscriberId: 'A<script>',
  firstMs: Date.parse('2026-09-10T10:00:00Z'),
  lastMs: Date.parse('2026-09-10T13:00:00Z'),
  buckets: {
    roaming: {
      bucket: 'roaming',
      cap: { enabled: true, limitMicros: 50_000_000 },
      points: [
        { atMs: Date.parse('2026-09-10T11:00:00Z'), period: '2026-09-01', chargeMicros: 40_000_000, billableMicros: 40_000_000, blockedMicros: 0 },
        { atMs: Date.parse('2026-09-10T12:00:00Z'), period: '2026-09-01', chargeMicros: 60_000_000, billableMicros: 50_000_000, blockedMicros: 0 },
      ],
    },
    overage: { bucket: 'overage', cap: { enabled: true, limitMicros: 50_000_000 }, points: [] },
  },
};

describe('the replay page', () => {
  const page = htmlReport({ report, series: [series], source: 'e.jsonl' });

  it('escapes every text from the input, ids and messages included', () => {
    expect(page).not.toContain('A<script>');
    expect(page).toContain('A&lt;script&gt;');
    expect(page).toContain('Cap &amp; bar &quot;now&quot;');
    expect(page).toContain('eventTime: required &lt;b&gt;');
  });

  it('is self-contained: no script, no stylesheet link, no image or font fetched', () => {
    expect(page).not.toMatch(/<script|<link|\ssrc=|url\(/i);
  });

  it('has a chart with the cap, the bar and the written-off gap, and the totals in the table', () => {
    expect(page.match(/<svg class="chart"/g)).toHaveLength(1);
    expect(page).toContain('class="cap"');
    expect(page).toContain('class="mark bar"');
    expect(page).toContain('class="saved"');
    expect(page).toContain('<td class="num">60.00</td><td class="num">50.00</td><td class="num">0.00</td><td class="num">10.00</td>');
    expect(page).toContain('3 events read: 1 applied, 1 duplicate, 1 rejected');
  });
});
