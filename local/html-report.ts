/**
 * The replay report as a page (`npm run replay -- ... --html report.html`): one self-contained HTML file
 * (inline CSS and SVG, no script, nothing fetched) that someone can open from a mail attachment. Per
 * subscriber: spend against the cap over time, with and without it, the 80% warnings, the bars and their
 * lifts, what the network refused and what was written off; then every message sent. A summary table
 * comes first. The figures of the table are the JSON report's; the curves come from spend-series.ts and
 * end on the same figures.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { SpendBucketName } from '../shared/domain/model.js';
import { plural } from './cli.js';
import type { ReplayReport, ReportSubscriber } from './replay-report.js';
import { markersOf, uncappedOf, type BucketSeries, type SubscriberSeries } from './spend-series.js';

/** Charts drawn at most (the summary table lists everyone): a page of 10,000 charts helps nobody. */
export const MAX_CHARTS = 200;

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const eur = (micros: number): string => (micros / 1_000_000).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const BUCKET_NAMES: Record<SpendBucketName, string> = { roaming: 'roaming', overage: 'out-of-bundle' };
const BUCKET_COLOURS: Record<SpendBucketName, string> = { roaming: '#1f5fa8', overage: '#7a3e9d' };

interface Totals {
  uncapped: number;
  billed: number;
  writtenOff: number;
  blocked: number;
}

function totalsOf(subscriber: ReportSubscriber): Totals {
  const t: Totals = { uncapped: 0, billed: 0, writtenOff: 0, blocked: 0 };
  for (const p of subscriber.periods) {
    for (const b of [p.roaming, p.overage]) {
      t.uncapped += b.chargeMicros + b.blockedMicros;
      t.billed += b.billableMicros;
      t.writtenOff += b.writtenOffMicros;
      t.blocked += b.blockedMicros;
    }
  }
  return t;
}

const barsText = (s: ReportSubscriber): string =>
  [s.bars.dataRoaming ? 'data roaming' : '', s.bars.dataOverage ? 'out-of-bundle' : ''].filter((b) => b !== '').join(', ') || 'none';

function timeLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs <= 36 * 3_600_000 ? iso.slice(11, 16) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/** A round step for about `count` ticks up to `max` (1, 2 or 5 times a power of ten). */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}

const W = 760;
const H = 260;
const M = { left: 56, right: 16, top: 14, bottom: 34 };

/** One subscriber's chart: each bucket with spend, as step curves over time, the caps and the events. */
export function chartSvg(subscriber: ReportSubscriber, series: SubscriberSeries, label: string): string {
  const spent = (['roaming', 'overage'] as const).map((b) => series.buckets[b]).filter((b) => b.points.some((p) => uncappedOf(p) > 0));
  // A subscriber with no spend still gets a chart: a flat line well under the cap is the good news.
  const buckets = spent.length > 0 ? spent : [series.buckets.roaming];
  const first = series.firstMs ?? 0;
  const last = Math.max(series.lastMs ?? first, first + 60_000);
  const span = last - first;
  const maxMicros = Math.max(1, ...buckets.flatMap((b) => [...b.points.map(uncappedOf), b.cap.enabled ? b.cap.limitMicros : 0]));
  const stepEur = niceStep(maxMicros / 1_000_000, 5);
  const topEur = Math.ceil((maxMicros / 1_000_000) * 1.05 / stepEur) * stepEur;
  const x = (ms: number): number => M.left + ((ms - first) / span) * (W - M.left - M.right);
  const y = (micros: number): number => H - M.bottom - (micros / 1_000_000 / topEur) * (H - M.top - M.bottom);
  const f = (n: number): string => n.toFixed(1);
  const parts: string[] = [];
  // Axes and grid.
  for (let v = 0; v <= topEur + 1e-9; v += stepEur) {
    const yy = f(y(v * 1_000_000));
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"/>`, `<text class="tick" x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v.toLocaleString('en')}</text>`);
  }
  for (let i = 0; i <= 6; i++) {
    const ms = first + (span * i) / 6;
    parts.push(`<text class="tick" x="${f(x(ms))}" y="${H - M.bottom + 16}" text-anchor="middle">${timeLabel(ms, span)}</text>`);
  }
  parts.push(`<text class="tick" x="12" y="${M.top + 4}" dominant-baseline="hanging">EUR</text>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>`, `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>`);
  for (const bucket of buckets) parts.push(bucketCurves(bucket, x, y, last));
  // The events the caps caused, as vertical marks with a short label.
  for (const bucket of buckets) {
    const marks = markersOf(subscriber, bucket.bucket);
    const mark = (ms: number, cls: string, text: string): string =>
      `<g class="${cls}" data-at="${new Date(ms).toISOString()}"><line x1="${f(x(ms))}" x2="${f(x(ms))}" y1="${M.top}" y2="${H - M.bottom}"/><text x="${f(x(ms) + 3)}" y="${M.top + 10}">${escapeHtml(text)}</text></g>`;
    for (const ms of marks.warnings) parts.push(mark(ms, 'mark warning', '80%'));
    for (const ms of marks.bars) parts.push(mark(ms, 'mark bar', 'barred'));
    for (const ms of marks.lifts) parts.push(mark(ms, 'mark lift', 'lifted'));
  }
  const title = `Spend of ${label} against the cap over time`;
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(title)}</title>${parts.join('')}</svg>`
  );
}

function bucketCurves(bucket: BucketSeries, x: (ms: number) => number, y: (m: number) => number, lastMs: number): string {
  const f = (n: number): string => n.toFixed(1);
  // Step curves: a value holds until the next event changes it.
  const corners = (value: (p: (typeof bucket.points)[number]) => number): string[] => {
    const out: string[] = [];
    let previous: number | undefined;
    for (const p of bucket.points) {
      const xx = f(x(p.atMs));
      out.push(`${xx},${f(y(previous ?? 0))}`, `${xx},${f(y(value(p)))}`);
      previous = value(p);
    }
    if (previous !== undefined) out.push(`${f(x(lastMs))},${f(y(previous))}`);
    return out;
  };
  const step = (value: (p: (typeof bucket.points)[number]) => number): string => {
    const points = corners(value);
    return points.length === 0 ? 'M0,0' : `M${points.join(' L')}`;
  };
  const colour = BUCKET_COLOURS[bucket.bucket];
  const withCorners = corners((p) => p.billableMicros);
  const parts = [
    // The gap between the curves: what the cap saved (refused while barred, or written off).
    ...(bucket.points.some((p) => uncappedOf(p) > p.billableMicros)
      ? [`<path class="saved" d="M${[...corners(uncappedOf), ...withCorners.reverse()].join(' L')} Z" fill="${colour}"/>`]
      : []),
    `<path class="without" d="${step(uncappedOf)}" stroke="${colour}"><title>${BUCKET_NAMES[bucket.bucket]} without the cap</title></path>`,
    `<path class="with" d="${step((p) => p.billableMicros)}" stroke="${colour}"><title>${BUCKET_NAMES[bucket.bucket]} billed with the cap</title></path>`,
  ];
  if (bucket.cap.enabled) {
    const yy = f(y(bucket.cap.limitMicros));
    parts.push(
      `<line class="cap" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"/>`,
      `<text class="cap-label" x="${W - M.right - 4}" y="${f(Number(yy) - 4)}" text-anchor="end">${BUCKET_NAMES[bucket.bucket]} cap EUR ${eur(bucket.cap.limitMicros)}</text>`,
    );
  }
  return `<g class="bucket ${bucket.bucket}">${parts.join('')}</g>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0 auto;max-width:860px;padding:1rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin:2rem 0 .25rem}
table{border-collapse:collapse;width:100%;margin:.75rem 0}th,td{padding:.3rem .5rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto;display:block;margin:.5rem 0}
.grid{stroke:#e4e4e4}.axis{stroke:#555}.tick{font-size:11px;fill:#444}
.saved{opacity:.14;stroke:none}.without{fill:none;stroke-width:2;stroke-dasharray:5 4;opacity:.75}.with{fill:none;stroke-width:3}
.cap{stroke:#b3261e;stroke-width:1.5;stroke-dasharray:8 4}.cap-label{font-size:11px;fill:#b3261e}
.mark line{stroke-width:1.5}.mark text{font-size:11px}
.warning line{stroke:#a05a00;stroke-dasharray:3 3}.warning text{fill:#a05a00}
.bar line{stroke:#b3261e}.bar text{fill:#b3261e}.lift line{stroke:#1e7b34}.lift text{fill:#1e7b34}
.key{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;font-size:.9rem;color:#333;padding:0;list-style:none}
.facts{margin:.25rem 0}.barred{color:#b3261e;font-weight:600}
details{margin:.5rem 0}summary{cursor:pointer}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

export interface HtmlReportInput {
  readonly report: ReplayReport;
  readonly series: readonly SubscriberSeries[];
  /** Where the events came from, shown in the title (file names only). */
  readonly source?: string;
}

/** The whole page. */
export function htmlReport(input: HtmlReportInput): string {
  const { report } = input;
  const seriesById = new Map(input.series.map((s) => [s.subscriberId, s]));
  const rows = report.subscribers.map((s) => {
    const t = totalsOf(s);
    const messages = s.notifications.filter((n) => n.channel !== 'ops').length;
    return (
      `<tr><th scope="row"><a href="#s-${escapeHtml(s.subscriberId)}">${escapeHtml(s.subscriberId)}</a></th>` +
      `<td class="num">${eur(t.uncapped)}</td><td class="num">${eur(t.billed)}</td><td class="num">${eur(t.blocked)}</td>` +
      `<td class="num">${eur(t.writtenOff)}</td><td class="num">${messages}</td><td>${escapeHtml(barsText(s))}</td></tr>`
    );
  });
  const sections: string[] = [];
  let charted = 0;
  for (const s of report.subscribers) {
    const series = seriesById.get(s.subscriberId);
    const t = totalsOf(s);
    const id = escapeHtml(s.subscriberId);
    const head = `<section class="subscriber" id="s-${id}" data-subscriber="${id}"><h2>${id}</h2>`;
    const facts =
      `<p class="facts">Without the cap EUR ${eur(t.uncapped)}; billed EUR ${eur(t.billed)}; refused by the network EUR ${eur(t.blocked)}; ` +
      `written off EUR ${eur(t.writtenOff)}. Bars at the end: <span class="${barsText(s) === 'none' ? '' : 'barred'}">${escapeHtml(barsText(s))}</span>.</p>`;
    let chart = '<p>No event of this subscriber was read.</p>';
    if (series !== undefined && series.firstMs !== undefined) {
      chart = charted < MAX_CHARTS ? chartSvg(s, series, s.subscriberId) : `<p>Chart left out: the page draws the first ${MAX_CHARTS}.</p>`;
      charted++;
    }
    const messages = s.notifications.length === 0 ? '<p>No message.</p>' : messageTable(s);
    const commands =
      s.carrierCommands.length === 0
        ? ''
        : `<ul>${s.carrierCommands.map((c) => `<li><time datetime="${escapeHtml(c.at)}">${escapeHtml(c.at.replace('T', ' ').slice(0, 16))}</time> ${escapeHtml(c.command)} ${c.reason === undefined ? "" : ` (${escapeHtml(c.reason)})`}</li>`).join('')}</ul>`;
    sections.push(`${head}${facts}${chart}${commands}${messages}</section>`);
  }
  const rejected =
    report.rejected.length === 0
      ? ''
      : `<h2 id="rejected">Rejected lines</h2><table><thead><tr><th class="num">line</th><th>record</th><th>reason</th></tr></thead><tbody>${report.rejected
          .slice(0, 500)
          .map((r) => `<tr><td class="num">${r.line}</td><td>${escapeHtml(r.recordId ?? '')}</td><td>${escapeHtml(r.reason)}</td></tr>`)
          .join('')}</tbody></table>${report.rejected.length > 500 ? `<p>and ${report.rejected.length - 500} more (see the JSON report).</p>` : ''}`;
  const title = `spendcap replay${input.source === undefined ? '' : `: ${input.source}`}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p>${plural(report.eventsRead, 'event')} read: ${report.eventsApplied.toLocaleString('en')} applied, ${plural(report.duplicates, 'duplicate')}, ${report.rejected.length.toLocaleString('en')} rejected${report.rejected.length > 0 ? ' (<a href="#rejected">list</a>)' : ''}. Amounts in EUR; times UTC.</p>
<ul class="key" aria-label="How to read the charts"><li>solid line: billed with the cap</li><li>dashed line: what it would have cost without (refused while barred, or written off)</li><li>red dashed line: the cap</li><li>80%: warning sent</li><li>barred / lifted: data cut off / restored</li></ul>
<table class="summary"><caption class="visually-hidden">Per subscriber, over the replay</caption><thead><tr><th scope="col">subscriber</th><th scope="col" class="num">without cap</th><th scope="col" class="num">billed</th><th scope="col" class="num">refused</th><th scope="col" class="num">written off</th><th scope="col" class="num">messages</th><th scope="col">bars at the end</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
${sections.join('\n')}
${rejected}
</main></body></html>
`;
}

function messageTable(s: ReportSubscriber): string {
  const rows = s.notifications
    .map((n) => `<tr><td><time datetime="${escapeHtml(n.at)}">${escapeHtml(n.at.replace('T', ' ').slice(0, 16))}</time></td><td>${escapeHtml(n.kind)}</td><td>${escapeHtml(n.channel)}</td><td>${escapeHtml(n.text).replace(/\n/g, '<br>')}</td></tr>`)
    .join('');
  return `<details><summary>${plural(s.notifications.length, 'message')} sent</summary><table><thead><tr><th>at</th><th>kind</th><th>channel</th><th>text</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

/** Writes the page whole, then renames it into place (never half written). */
export async function writeHtmlReport(file: string, input: HtmlReportInput): Promise<void> {
  const temporary = `${file}.partial-${process.pid}`;
  await writeFile(temporary, htmlReport(input));
  await rename(temporary, file);
}
