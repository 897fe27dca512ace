/**
 * How the demo (`npm start`) talks to a person: a status line while the slow part starts, each message
 * the product sends shown whole (wrapped, never cut: the price and how to continue are the point), and per
 * subscriber a chart of spend with and without the cap. Nothing here knows about the pipeline: start.ts
 * hands it what happened.
 */
import type { SubscriberProfile } from '../shared/domain/model.js';
import { plural } from './cli.js';
import { mainBucket, markersOf, uncappedOf, type SubscriberSeries } from './spend-series.js';
import { ASCII_GLYPHS, canShowUnicode, legend, NO_PAINT, renderChart, UNICODE_GLYPHS, type Glyphs, type Paint } from './terminal-chart.js';
import type { ReportSubscriber } from './replay-report.js';

export interface Terminal {
  readonly tty: boolean;
  readonly colour: boolean;
  readonly unicode: boolean;
  /** Columns every line fits in. */
  readonly width: number;
}

/** What the output can show: colour on a terminal without NO_COLOR, width from the terminal (80 when not one). */
export function terminalOf(out: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): Terminal {
  const tty = out.isTTY === true;
  // NO_COLOR: any non-empty value turns colour off (no-color.org); the tests pass an empty one.
  const colour = tty && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
  const width = tty ? Math.max(60, Math.min(100, out.columns ?? 80)) : 80;
  return { tty, colour, unicode: canShowUnicode(env), width };
}

export const glyphsOf = (t: Terminal): Glyphs => (t.unicode ? UNICODE_GLYPHS : ASCII_GLYPHS);

export function paintOf(t: Terminal): Paint {
  if (!t.colour) return NO_PAINT;
  const code = (c: string) => (s: string) => `\u001b[${c}m${s}\u001b[0m`;
  return { billed: code('32'), refused: code('31'), cap: code('33'), warning: code('33'), bar: code('1;31'), dim: code('2') };
}

/**
 * Word-wraps `text` to lines of at most `width` characters (whitespace collapsed; a word longer than a
 * line, such as a URL, is split). Never drops a character that is not whitespace.
 */
export function wrap(text: string, width: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter((w) => w !== '');
  const lines: string[] = [];
  let current = '';
  for (let word of words) {
    while ([...word].length > width) {
      const room = current === '' ? width : width - [...current].length - 1;
      if (room <= 0) {
        lines.push(current);
        current = '';
        continue;
      }
      const chars = [...word];
      const head = chars.slice(0, room).join('');
      current = current === '' ? head : `${current} ${head}`;
      lines.push(current);
      current = '';
      word = chars.slice(room).join('');
    }
    if (word === '') continue;
    if (current === '') current = word;
    else if ([...current].length + 1 + [...word].length <= width) current = `${current} ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** The body of an e-mail as the timeline shows it: its first paragraph after the greeting. */
export function mailGist(text: string): string {
  const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== '');
  const body = paragraphs.length > 1 && /^(hello|bonjour|hi|dear)\b/i.test(paragraphs[0] ?? '') ? paragraphs[1] : paragraphs[0];
  return body ?? '';
}

/** Indent of a message's text under its timeline line. */
export const MESSAGE_INDENT = 14;

/** A message's text, wrapped and indented under its line: the whole text, nothing cut. */
export function messageLines(text: string, width: number): string[] {
  return wrap(text, width - MESSAGE_INDENT).map((l) => `${' '.repeat(MESSAGE_INDENT)}${l}`);
}

/**
 * A status line while something slow starts: on a terminal, redrawn every 200 ms with the elapsed time;
 * otherwise one line when it starts and one when it is ready (logs keep no carriage returns).
 */
export class StartingStatus {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private readonly frames: readonly string[];
  private frame = 0;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly terminal: Terminal,
    private readonly what: string,
  ) {
    this.frames = terminal.unicode ? ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] : ['-', '\\', '|', '/'];
    if (terminal.tty) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 200);
      this.timer.unref();
    } else out.write(`Starting: ${what}...\n`);
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }

  private draw(): void {
    const head = `${this.frames[this.frame++ % this.frames.length]} Starting: `;
    const tail = ` ${this.elapsed()}`;
    const room = this.terminal.width - 1 - [...head].length - tail.length;
    const what = [...this.what].length > room ? `${[...this.what].slice(0, room - 3).join('')}...` : this.what;
    this.out.write(`\r\u001b[K${head}${what}${tail}`);
  }

  /** Stops the line and says how long it took. */
  done(summary = 'ready'): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.terminal.tty) this.out.write('\r\u001b[K');
    this.out.write(`${summary} in ${this.elapsed()}.\n`);
  }

  /** Stops the line without a word (the error that follows says why). */
  fail(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.terminal.tty) this.out.write('\r\u001b[K');
  }
}

const eur = (micros: number): string => (micros / 1_000_000).toFixed(2);

/**
 * The "with and without the cap" section of the demo: per subscriber, a heading with both bills and, when
 * there was spend, a chart of the main bucket over the day. Lines fit `terminal.width`.
 */
export function spendCharts(
  series: readonly SubscriberSeries[],
  reports: readonly ReportSubscriber[],
  profiles: readonly SubscriberProfile[],
  labelOf: (subscriberId: string) => string,
  terminal: Terminal,
): string[] {
  const glyphs = glyphsOf(terminal);
  const paint = paintOf(terminal);
  const starts = series.flatMap((s) => (s.firstMs === undefined ? [] : [s.firstMs]));
  const ends = series.flatMap((s) => (s.lastMs === undefined ? [] : [s.lastMs]));
  if (starts.length === 0) return [];
  // One time axis for everyone, whole hours: the charts line up under each other.
  const hour = 3_600_000;
  const fromMs = Math.floor(Math.min(...starts) / hour) * hour;
  const toMs = Math.ceil(Math.max(...ends) / hour) * hour;
  const lines: string[] = [];
  for (const s of series) {
    const report = reports.find((r) => r.subscriberId === s.subscriberId);
    const profile = profiles.find((p) => p.subscriberId === s.subscriberId);
    if (report === undefined || profile === undefined) continue;
    const bucket = mainBucket(s);
    const last = bucket.points[bucket.points.length - 1];
    const without = last === undefined ? 0 : uncappedOf(last);
    const withCap = last?.billableMicros ?? 0;
    const what = bucket.bucket === 'roaming' ? 'roaming' : 'out-of-bundle';
    const name = labelOf(s.subscriberId);
    if (without === 0) {
      lines.push(`${name}: nothing to pay beyond the plan.`, '');
      continue;
    }
    const capText = bucket.cap.enabled ? `cap EUR ${eur(bucket.cap.limitMicros)}` : 'cap opted out';
    const head = `${name}: ${what} EUR ${eur(without)} without the cap, EUR ${eur(withCap)} with it (${capText})`;
    lines.push(...wrap(head, terminal.width));
    lines.push(...renderChart(bucket, { width: terminal.width, fromMs, toMs, glyphs, paint, markers: markersOf(report, bucket.bucket) }));
    lines.push('');
  }
  lines.push(...legend(glyphs, paint));
  return lines;
}

/** "169 events read: 118 applied, 1 duplicate, 50 refused by the network while barred, 0 rejected." */
export function eventsSummary(counts: { read: number; applied: number; duplicates: number; refused: number; rejected: number }): string {
  return (
    `${plural(counts.read, 'event')} read: ${counts.applied.toLocaleString('en')} applied, ${plural(counts.duplicates, 'duplicate')}, ` +
    `${counts.refused.toLocaleString('en')} refused by the network while barred, ${counts.rejected.toLocaleString('en')} rejected.`
  );
}
