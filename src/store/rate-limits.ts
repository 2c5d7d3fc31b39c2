/**
 * Request counts per bucket and window, shared by every gateway process: API keys count per
 * one-second window (accounts.authenticate), dashboard sign-ins per address and five-minute
 * window (dashboard-auth.admitLoginAttempt). Each kind is pruned once its windows are over.
 */
import type { Queryable } from './db.js';
import { LOGIN_WINDOW_MS } from './dashboard-auth.js';

export async function pruneRateWindows(q: Queryable, now: number): Promise<void> {
  await q.query(
    "DELETE FROM rate_limits WHERE window_start < $1 AND (bucket NOT LIKE 'dashboard-login:%' OR window_start < $2)",
    [now - 10_000, now - 2 * LOGIN_WINDOW_MS],
  );
}
