/** Puts bars on a line directly, as an earlier workflow would have left them (test set-up). */
import type { LineBars } from '../../shared/domain/caps.js';
import type { Bar, SpendBucketName } from '../../shared/domain/model.js';
import type { BarStore } from '../../shared/ports/bar-store.js';

export async function setBars(store: BarStore, subscriberId: string, bars: LineBars): Promise<void> {
  if ((await store.acquire(subscriberId, 'test-set-up', 0, 1)) === undefined) throw new Error('line busy');
  if (!(await store.commit(subscriberId, 'test-set-up', bars))) throw new Error('lease lost');
}

/** A bar of `period` (YYYY-MM-DD, ending at `until`) on `bucket`. */
export function barOf(bucket: SpendBucketName, period: string, until: string, reason = `${bucket === 'roaming' ? 'ROAMING' : 'OVERAGE'}_CAP_REACHED@50000000`): Bar {
  return { id: `${period}/${bucket}/${reason}`, bucket, period, placedAt: `${period}T10:00:00Z`, until, reason };
}
