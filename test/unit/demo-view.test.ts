import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventsSummary, mailGist, messageLines, terminalOf, wrap } from '../../local/demo-view.js';
import { ASCII_GLYPHS, canShowUnicode, legend, renderChart, UNICODE_GLYPHS } from '../../local/terminal-chart.js';
import type { BucketSeries } from '../../local/spend-series.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-09-10T06:00:00Z');

/** Lucas's day in miniature: EUR 10 an hour, warned at 40, barred at 50, EUR 110 without the cap. */
const lucas: BucketSeries = {
  bucket: 'roaming',
  cap: { enabled: true, limitMicros: 50_000_000 },
  points: Array.from({ length: 11 }, (_, i) => {
    const spend = (i + 1) * 10_000_000;
    return {
      atMs: T0 + (i + 1) * HOUR,
      period: '2026-09-01',
      chargeMicros: Math.min(spend, 50_000_000),
      billableMicros: Math.min(spend, 50_000_000),
      blockedMicros: Math.max(0, spend - 50_000_000),
    };
  }),
};

describe('wrapping message texts', () => {
  it('keeps every word of a long SMS, within the width', () => {
    const sms =
      "Plafond atteint : vos dépenses d'itinérance ont atteint 50,00 €. L'itinérance données est coupée jusqu'au 01/10/2026 ; rien au-delà ne vous est facturé. Pour continuer à 0,50 €/Mo, répondez CONTINUER ou allez sur https://selfcare.example.invalid/caps";
    const lines = messageLines(sms, 80);
    expect(lines.every((l) => [...l].length <= 80)).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(sms);
  });

  it('never drops a visible character and never exceeds the width (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-zA-Zé€/:.,0-9]{1,40}$/), { maxLength: 30 }), fc.integer({ min: 5, max: 80 }), (words, width) => {
        const text = words.join(' ');
        const lines = wrap(text, width);
        expect(lines.every((l) => [...l].length <= width)).toBe(true);
        expect(lines.join('').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
      }),
    );
  });

  it('shows the body of an e-mail, not its greeting', () => {
    expect(mailGist('Hello,\n\nYou have used 80% of your data.\n\nThis message is free.')).toBe('You have used 80% of your data.');
  });
});

describe('terminal settings', () => {
  it('has no colour off a terminal or with NO_COLOR, and 80 columns off a terminal', () => {
    expect(terminalOf({ isTTY: false }, {})).toMatchObject({ tty: false, colour: false, width: 80 });
    expect(terminalOf({ isTTY: true, columns: 120 }, { NO_COLOR: '1' })).toMatchObject({ colour: false, width: 100 });
    expect(terminalOf({ isTTY: true, columns: 80 }, {})).toMatchObject({ colour: true, width: 80 });
  });

  it('uses Unicode only in a UTF-8 locale', () => {
    expect(canShowUnicode({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(canShowUnicode({ LANG: 'C' })).toBe(false);
    expect(canShowUnicode({})).toBe(false);
    expect(canShowUnicode({ LANG: 'C.UTF-8', TERM: 'linux' })).toBe(false);
  });

  it('writes plurals right in the summary', () => {
    expect(eventsSummary({ read: 1, applied: 1, duplicates: 1, refused: 0, rejected: 0 })).toBe(
      '1 event read: 1 applied, 1 duplicate, 0 refused by the network while barred, 0 rejected.',
    );
    expect(eventsSummary({ read: 3, applied: 1, duplicates: 2, refused: 0, rejected: 0 })).toContain('3 events read: 1 applied, 2 duplicates');
  });
});

describe('the spend chart', () => {
  const markers = { warnings: [T0 + 4 * HOUR], bars: [T0 + 5 * HOUR] };

  it('draws billed, refused, the cap and the markers within the width, in ASCII', () => {
    const lines = renderChart(lucas, { width: 80, fromMs: T0, toMs: T0 + 12 * HOUR, glyphs: ASCII_GLYPHS, markers });
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('#');
    expect(text).toContain(':');
    expect(text).toMatch(/ cap 50$/m);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[^\x00-\x7f]/);
    const axis = lines[lines.length - 2]!;
    expect(axis.indexOf('^')).toBeGreaterThan(0);
    expect(axis.indexOf('X')).toBeGreaterThan(axis.indexOf('^'));
  });

  it('fills solid cells up to the cap and light cells above it after the bar (Unicode)', () => {
    const lines = renderChart(lucas, { width: 80, fromMs: T0, toMs: T0 + 12 * HOUR, glyphs: UNICODE_GLYPHS, markers });
    const top = lines[0]!;
    expect(top).toContain('░');
    expect(top).not.toContain('█');
    const bottom = lines[lines.length - 3]!;
    expect(bottom).toContain('█');
    expect(lines.every((l) => [...l].length <= 80)).toBe(true);
  });

  it('draws no cap line for a subscriber who opted out', () => {
    const optedOut: BucketSeries = { ...lucas, cap: { enabled: false, limitMicros: 50_000_000 } };
    const lines = renderChart(optedOut, { width: 80, fromMs: T0, toMs: T0 + 12 * HOUR, glyphs: ASCII_GLYPHS, markers: { warnings: [], bars: [] } });
    expect(lines.join('\n')).not.toContain('cap');
  });

  it('has a legend that fits 80 columns', () => {
    for (const glyphs of [ASCII_GLYPHS, UNICODE_GLYPHS]) expect(legend(glyphs).every((l) => [...l].length <= 80)).toBe(true);
  });
});
