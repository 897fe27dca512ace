/**
 * Glue between the replay and its HTML page: reads the profiles and the events again (the curves are
 * computed from them, after the run) and writes the page. Kept apart from replay.ts so the replay's engine
 * does not carry the page.
 */
import { settingsFromEnv } from '../shared/config/settings.js';
import { basename } from 'node:path';
import { writeHtmlReport } from './html-report.js';
import { replaySource } from './mapped-lines.js';
import { loadSubscribers } from './replay-input.js';
import type { ReplayReport } from './replay-report.js';
import { spendSeries, type RefusalRecorder } from './spend-series.js';

export interface ReplayPageOptions {
  readonly report: ReplayReport;
  readonly refusals: RefusalRecorder;
  readonly htmlFile: string;
  readonly subscribersFile: string;
  readonly eventsFile: string;
  readonly mappingFile?: string;
}

export async function writeReplayPage(options: ReplayPageOptions): Promise<void> {
  const profiles = await loadSubscribers(options.subscribersFile);
  const source = await replaySource(options.eventsFile, options.mappingFile);
  const series = await spendSeries({ profiles, settings: settingsFromEnv(process.env, { allowDefaults: true }), lines: source.lines, refusals: options.refusals });
  await writeHtmlReport(options.htmlFile, { report: options.report, series, source: basename(options.eventsFile) });
}
