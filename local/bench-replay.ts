/**
 * Replay throughput and memory: generates synthetic traffic (local/generate-traffic.ts), replays it
 * in this process and prints events/s and peak RSS, for docs/benchmarks.md ("Replay").
 *
 *   npx tsx local/bench-replay.ts --events 100000 --subscribers 1000
 */
import './local-env.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateTraffic } from './generate-traffic.js';
import { runReplay, type ReplayTimings } from './replay.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    subscribers: { type: 'string', default: '1000' },
    wave: { type: 'string' },
    seed: { type: 'string', default: '42' },
  },
});
const events = Number(values.events);
const dir = mkdtempSync(join(tmpdir(), 'spendcap-bench-replay-'));
try {
  const files = await generateTraffic({ events, subscribers: Number(values.subscribers), out: dir, seed: Number(values.seed) });
  let peakSampledRss = 0;
  const sampler = setInterval(() => {
    peakSampledRss = Math.max(peakSampledRss, process.memoryUsage().rss);
  }, 250);
  const timings: ReplayTimings = {};
  const started = performance.now();
  const report = await runReplay({
    subscribersFile: files.subscribersFile,
    eventsFile: files.eventsFile,
    progress: process.stderr,
    timings,
    ...(values.wave !== undefined ? { maxWave: Number(values.wave) } : {}),
  });
  const totalMs = performance.now() - started;
  clearInterval(sampler);
  const usage = process.resourceUsage();
  const messages = report.subscribers.reduce((n, s) => n + s.notifications.length, 0);
  const commands = report.subscribers.reduce((n, s) => n + s.carrierCommands.length, 0);
  const eventsMs = timings.eventsMs ?? totalMs;
  const lines = [
    `events read            ${report.eventsRead} (${report.eventsApplied} applied, ${report.duplicates} duplicates, ${report.rejected.length} rejected)`,
    `subscribers            ${report.subscribers.length}; ${messages} notifications, ${commands} carrier commands`,
    `setup                  ${((timings.setupMs ?? 0) / 1000).toFixed(1)} s (emulators, definition synthesis, profiles)`,
    `events phase           ${(eventsMs / 1000).toFixed(1)} s = ${Math.round(report.eventsRead / (eventsMs / 1000))} events/s, ${timings.waves ?? 0} handler invocations`,
    `report                 ${((timings.reportMs ?? 0) / 1000).toFixed(1)} s`,
    `end to end             ${(totalMs / 1000).toFixed(1)} s = ${Math.round(report.eventsRead / (totalMs / 1000))} events/s`,
    `peak RSS (this process) ${Math.round(usage.maxRSS / 1024)} MB (sampled: ${Math.round(peakSampledRss / 1e6)} MB)`,
    `CPU                    ${((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(1)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
