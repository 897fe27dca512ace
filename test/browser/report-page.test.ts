import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { runReplay } from '../../local/replay.js';
import { writeReplayPage } from '../../local/replay-page.js';
import { eventLines, loadSubscribers } from '../../local/replay-input.js';
import type { ReplayReport } from '../../local/replay-report.js';
import { RefusalRecorder, spendSeries, uncappedOf } from '../../local/spend-series.js';
import { browserAvailable, launchChromium, screenshotPath } from './support/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const subscribersFile = resolve(root, 'local/demo/subscribers.json');
const eventsFile = resolve(root, 'local/demo/events.jsonl');

describe.skipIf(!browserAvailable())('the replay report as a page, in Chromium', () => {
  let dir: string;
  let report: ReplayReport;
  let html: string;
  let refusals: RefusalRecorder;
  let browser: Browser;

  beforeAll(async () => {
    // Arrange: the demo's day replayed once, with the page written as `--html` writes it.
    dir = await mkdtemp(join(tmpdir(), 'spendcap-page-'));
    refusals = new RefusalRecorder();
    report = await runReplay({ subscribersFile, eventsFile, reportFile: join(dir, 'report.json'), progress: false, refusals });
    html = join(dir, 'report.html');
    // Reading the events again consumes the recorder: the page gets a copy, the series test the original.
    await writeReplayPage({ report, refusals: refusals.clone(), htmlFile: html, subscribersFile, eventsFile });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('draws curves that end on the JSON report figures', async () => {
    const profiles = await loadSubscribers(subscribersFile);
    const series = await spendSeries({ profiles, settings: settingsFromEnv(process.env, { allowDefaults: true }), lines: eventLines(eventsFile), refusals });
    for (const subscriber of report.subscribers) {
      const s = series.find((x) => x.subscriberId === subscriber.subscriberId)!;
      for (const period of subscriber.periods) {
        for (const bucket of ['roaming', 'overage'] as const) {
          const last = s.buckets[bucket].points.filter((p) => p.period === period.period).at(-1);
          const expected = period[bucket];
          expect({ id: subscriber.subscriberId, bucket, charge: last?.chargeMicros ?? 0, billable: last?.billableMicros ?? 0, blocked: last?.blockedMicros ?? 0 }).toEqual({
            id: subscriber.subscriberId,
            bucket,
            charge: expected.chargeMicros,
            billable: expected.billableMicros,
            blocked: expected.blockedMicros,
          });
        }
      }
    }
    const lucas = series.find((x) => x.subscriberId === 'DEMO-LUCAS')!.buckets.roaming.points.at(-1)!;
    expect(uncappedOf(lucas)).toBe(110_000_000);
  });

  it('shows one chart per subscriber, the bars and warnings, a summary table, and fetches nothing', async () => {
    // Act
    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href);

    // Assert
    const sections = page.locator('section.subscriber');
    expect(await sections.count()).toBe(report.subscribers.length);
    for (let i = 0; i < report.subscribers.length; i++) expect(await sections.nth(i).locator('svg.chart').count()).toBe(1);
    const lucas = page.locator('section[data-subscriber="DEMO-LUCAS"]');
    expect(await lucas.locator('.mark.bar').count()).toBe(1);
    expect(await lucas.locator('.mark.warning').count()).toBe(1);
    expect(await lucas.locator('path.saved').count()).toBe(1);
    expect(await page.locator('section[data-subscriber="DEMO-MARC"] line.cap').count()).toBe(0);
    const row = page.locator('table.summary tbody tr', { hasText: 'DEMO-LUCAS' });
    expect(await row.locator('td').allInnerTexts()).toEqual(['110.00', '50.00', '60.00', '0.00', '3', 'data roaming']);
    expect(await page.locator('h1').innerText()).toBe('spendcap replay: events.jsonl');
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
    const source = await readFile(html, 'utf8');
    expect(source).not.toMatch(/<script|<link|\ssrc=/i);
    await page.screenshot({ path: screenshotPath('replay-report.png'), fullPage: false });
    await page.close();
  });
});

