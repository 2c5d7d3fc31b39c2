/** Request counts per API key and one-second window, shared by every gateway process (counted in accounts.authenticate). */
import type { Queryable } from './db.js';

export async function pruneRateWindows(q: Queryable, olderThan: number): Promise<void> {
  await q.query('DELETE FROM rate_limits WHERE window_start < $1', [olderThan]);
}
