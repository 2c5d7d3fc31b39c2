/** Request counts per API key and one-second window, shared by every gateway process. */
import type { Queryable } from './db.js';

/** Counts one request in a fixed one-second window; returns the count so far in that window. */
export async function countRequest(q: Queryable, bucket: string, windowStart: number): Promise<number> {
  const rows = await q.query<{ count: number }>(
    `INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1)
     ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`,
    [bucket, windowStart],
  );
  return rows[0]?.count ?? 1;
}

export async function pruneRateWindows(q: Queryable, olderThan: number): Promise<void> {
  await q.query('DELETE FROM rate_limits WHERE window_start < $1', [olderThan]);
}
