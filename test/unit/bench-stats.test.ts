import { describe, expect, it } from 'vitest';
import { percentile, round, summarize } from '../../bench/stats.js';

describe('percentile (nearest rank)', () => {
  it('returns an observed sample: the ceil(p/100 * n)-th smallest', () => {
    const samples = [50, 15, 40, 20, 35];

    expect(percentile(samples, 30)).toBe(20);
    expect(percentile(samples, 40)).toBe(20);
    expect(percentile(samples, 50)).toBe(35);
    expect(percentile(samples, 100)).toBe(50);
    expect(percentile(samples, 1)).toBe(15);
  });

  it('gives p50 = 50 and p99 = 99 over the integers 1..100', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);

    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
  });

  it('does not reorder the caller\'s array', () => {
    const samples = [3, 1, 2];

    percentile(samples, 50);

    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses an empty set, p outside (0, 100] and non-finite samples', () => {
    expect(() => percentile([], 50)).toThrow(/samples must not be empty/);
    expect(() => percentile([1], 0)).toThrow(/p must be in/);
    expect(() => percentile([1], 101)).toThrow(/p must be in/);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(/finite/);
  });
});

describe('summarize', () => {
  it('reports count, min, mean, percentiles and max', () => {
    const summary = summarize([4, 1, 3, 2]);

    expect(summary).toEqual({ count: 4, min: 1, mean: 2.5, p50: 2, p90: 4, p99: 4, max: 4 });
  });
});

describe('round', () => {
  it('keeps the requested significant digits', () => {
    expect(round(1234.5678, 3)).toBe(1235);
    expect(round(0.0012345, 3)).toBe(0.00123);
    expect(round(1.1049, 3)).toBe(1.1);
    expect(round(0)).toBe(0);
  });
});
