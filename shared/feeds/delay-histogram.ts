/**
 * Feed delay (arrival minus eventTime) as a histogram of about 80 buckets, exact under 10 s and 25%
 * wide above, up to months: small enough to publish a whole file's delays in one CloudWatch datum
 * (Values/Counts takes 150 values) and still read p50 / p99 from it to within a bucket.
 */
const RATIO = 1.25;
const LOG_RATIO = Math.log(RATIO);

/** The value a delay (seconds) is counted under: itself below 10 s, else its bucket's geometric middle. */
export function delayBucketOf(seconds: number): number {
  if (!(seconds > 0)) return 0;
  if (seconds < 10) return Math.round(seconds);
  const k = Math.floor(Math.log(seconds) / LOG_RATIO);
  return Math.round(RATIO ** (k + 0.5));
}

export class DelayHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;

  add(seconds: number): void {
    const bucket = delayBucketOf(seconds);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total++;
  }

  get size(): number {
    return this.total;
  }

  entries(): ReadonlyMap<number, number> {
    return this.counts;
  }

  /** The delay at quantile q (0..1) of what was added, to within a bucket; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return bucket;
    }
    return undefined;
  }
}
