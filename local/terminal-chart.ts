/**
 * A chart of one subscriber's spend against the cap, in a terminal: time across, EUR up, what is billed
 * with the cap as solid cells, what the subscriber would have paid without it (refused by the network, or
 * written off) as light cells above, the cap as a line, the 80% warning and the bar marked on the time axis.
 *
 * Unicode block characters when the terminal can show them (a UTF-8 locale), plain ASCII otherwise; colour
 * only when asked (the caller decides: a terminal, and no NO_COLOR). Every line fits `width` columns.
 */
import { uncappedOf, type BucketSeries, type SpendPoint } from './spend-series.js';

export interface Glyphs {
  readonly billed: string;
  readonly refused: string;
  readonly cap: string;
  readonly axis: string;
  readonly corner: string;
  readonly tick: string;
  readonly warning: string;
  readonly bar: string;
}

export const UNICODE_GLYPHS: Glyphs = { billed: '█', refused: '░', cap: '─', axis: '│', corner: '└', tick: '─', warning: '▲', bar: '■' };
export const ASCII_GLYPHS: Glyphs = { billed: '#', refused: ':', cap: '-', axis: '|', corner: '+', tick: '-', warning: '^', bar: 'X' };

/** Whether the terminal can show the Unicode glyphs: a UTF-8 locale, and not the Linux console's 8-bit font. */
export function canShowUnicode(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.SPENDCAP_ASCII === '1' || env.TERM === 'linux' || env.TERM === 'dumb') return false;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

export interface Paint {
  readonly billed: (s: string) => string;
  readonly refused: (s: string) => string;
  readonly cap: (s: string) => string;
  readonly warning: (s: string) => string;
  readonly bar: (s: string) => string;
  readonly dim: (s: string) => string;
}

export const NO_PAINT: Paint = { billed: (s) => s, refused: (s) => s, cap: (s) => s, warning: (s) => s, bar: (s) => s, dim: (s) => s };

export interface ChartOptions {
  readonly width: number;
  /** Rows of the plot (default 7). */
  readonly height?: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly glyphs: Glyphs;
  readonly paint?: Paint;
  readonly markers: { readonly warnings: readonly number[]; readonly bars: readonly number[] };
  /** How a time is written under the axis (default HH:MM UTC). */
  readonly timeText?: (ms: number) => string;
}

const GUTTER = 6; // "  50 │"
const RIGHT = 8; // " cap 50"

const euro = (micros: number): string => {
  const eur = micros / 1_000_000;
  return Number.isInteger(eur) ? String(eur) : eur.toFixed(eur < 10 ? 2 : 0);
};

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** The point in force at `ms`: the last one at or before it. */
function pointAt(points: readonly SpendPoint[], ms: number): SpendPoint | undefined {
  let found: SpendPoint | undefined;
  for (const p of points) {
    if (p.atMs > ms) break;
    found = p;
  }
  return found;
}

/** The chart's lines (no trailing newline), each at most `width` columns. */
export function renderChart(series: BucketSeries, options: ChartOptions): string[] {
  const g = options.glyphs;
  const paint = options.paint ?? NO_PAINT;
  const height = options.height ?? 7;
  const columns = Math.max(10, options.width - GUTTER - RIGHT);
  const span = Math.max(1, options.toMs - options.fromMs);
  const sliceEnd = (c: number): number => options.fromMs + ((c + 1) * span) / columns;
  const values = Array.from({ length: columns }, (_, c) => pointAt(series.points, sliceEnd(c)));
  const limit = series.cap.enabled ? series.cap.limitMicros : undefined;
  const top = Math.max(limit ?? 0, ...values.map((p) => (p === undefined ? 0 : uncappedOf(p))), 1) * 1.05;
  const step = top / height;
  // The row the cap line sits in (0 = bottom).
  const capRow = limit === undefined ? -1 : Math.min(height - 1, Math.floor(limit / step));

  const lines: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    const middle = (row + 0.5) * step;
    // Cells of one kind are painted as a run: one colour code per run, not per cell.
    const kinds = values.map((p): keyof Glyphs | 'blank' =>
      p !== undefined && p.billableMicros >= middle ? 'billed' : p !== undefined && uncappedOf(p) >= middle ? 'refused' : row === capRow ? 'cap' : 'blank',
    );
    let cells = '';
    for (let start = 0; start < kinds.length; ) {
      const kind = kinds[start]!;
      let end = start;
      while (end < kinds.length && kinds[end] === kind) end++;
      const run = kind === 'blank' ? ' '.repeat(end - start) : g[kind].repeat(end - start);
      cells += kind === 'billed' ? paint.billed(run) : kind === 'refused' ? paint.refused(run) : kind === 'cap' ? paint.cap(run) : run;
      start = end;
    }
    const label = row === height - 1 ? euro(top) : row === capRow ? euro(limit ?? 0) : row === 0 ? '0' : '';
    const right = row === capRow ? paint.cap(` cap ${euro(limit ?? 0)}`) : '';
    lines.push(`${label.padStart(GUTTER - 2)} ${g.axis}${cells}${right}`);
  }
  // The time axis, with the 80% warning and the bar marked where they happened.
  const axis = Array.from({ length: columns }, () => g.tick);
  const columnOf = (ms: number): number => Math.min(columns - 1, Math.max(0, Math.floor(((ms - options.fromMs) / span) * columns)));
  const inRange = (ms: number): boolean => ms >= options.fromMs && ms <= options.toMs;
  for (const ms of options.markers.warnings.filter(inRange)) axis[columnOf(ms)] = paint.warning(g.warning);
  for (const ms of options.markers.bars.filter(inRange)) axis[columnOf(ms)] = paint.bar(g.bar);
  lines.push(`${' '.repeat(GUTTER - 1)}${g.corner}${axis.join('')}`);
  const timeText = options.timeText ?? hhmm;
  const from = timeText(options.fromMs);
  const to = timeText(options.toMs);
  lines.push(`${' '.repeat(GUTTER)}${from}${to.padStart(columns - from.length)}`);
  return lines;
}

/** The legend under the charts: what each glyph means, within `width` columns. */
export function legend(glyphs: Glyphs, paint: Paint = NO_PAINT): string[] {
  return [
    `${paint.billed(glyphs.billed)} billed with the cap   ${paint.refused(glyphs.refused)} more without it (refused while barred, or written off)`,
    `${paint.cap(glyphs.cap)} the cap   ${paint.warning(glyphs.warning)} 80% warning sent   ${paint.bar(glyphs.bar)} data barred   times UTC`,
  ];
}
