/**
 * Request counts per bucket and window: API keys count per one-second window (the /v1 door),
 * dashboard sign-ins per address and five-minute window (dashboard-auth.admitLoginAttempt). Each
 * kind is pruned once its windows are over.
 *
 * API keys are counted where the gateway's processes can all see the count: in memory when the
 * store is PGlite (one process owns it), in the store's `rate_limits` table on PostgreSQL, where
 * concurrent requests share one statement ({@link Batcher}).
 */
import type { Db, Queryable } from './db.js';
import { LOGIN_WINDOW_MS } from './dashboard-auth.js';
import { Batcher } from './batch.js';

export async function pruneRateWindows(q: Queryable, now: number): Promise<void> {
  await q.query(
    "DELETE FROM rate_limits WHERE window_start < $1 AND (bucket NOT LIKE 'dashboard-login:%' OR window_start < $2)",
    [now - 10_000, now - 2 * LOGIN_WINDOW_MS],
  );
}

export interface RateCounter {
  /** Counts one request in the bucket's window and answers how many the window has had, this one included. */
  count(bucket: string, windowStart: number): Promise<number>;
}

/** One process sees every request: a map of the current windows. */
export class MemoryRateCounter implements RateCounter {
  private window = -1;
  private counts = new Map<string, number>();

  async count(bucket: string, windowStart: number): Promise<number> {
    if (windowStart !== this.window) {
      // Windows only move forward; a late request of the previous window counts in the new one.
      if (windowStart < this.window) windowStart = this.window;
      else {
        this.window = windowStart;
        this.counts = new Map();
      }
    }
    const n = (this.counts.get(bucket) ?? 0) + 1;
    this.counts.set(bucket, n);
    return n;
  }
}

/**
 * Counts shared by every process through `rate_limits`. The requests waiting at one moment go in
 * one upsert, each bucket's increments summed (one row cannot be updated twice by one statement);
 * each request then gets its own place in the bucket's new total.
 */
export class StoreRateCounter implements RateCounter {
  private readonly batcher: Batcher<{ bucket: string; windowStart: number }, number>;

  constructor(q: Queryable) {
    this.batcher = new Batcher(async (items) => {
      const sums = new Map<string, { bucket: string; windowStart: number; n: number }>();
      for (const it of items) {
        const k = `${it.windowStart}:${it.bucket}`;
        const s = sums.get(k) ?? { bucket: it.bucket, windowStart: it.windowStart, n: 0 };
        s.n++;
        sums.set(k, s);
      }
      if (items.length === 1) {
        const [row] = await q.query<{ count: number }>(
          `INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1)
           ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`,
          [items[0]!.bucket, items[0]!.windowStart],
        );
        return [row!.count];
      }
      const rows = await q.query<{ bucket: string; window_start: number; count: number }>(
        `INSERT INTO rate_limits (bucket, window_start, count)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[])
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + excluded.count
         RETURNING bucket, window_start, count`,
        [[...sums.values()].map((s) => s.bucket), [...sums.values()].map((s) => s.windowStart), [...sums.values()].map((s) => s.n)],
      );
      // The first of a bucket's requests in this batch is the earliest of its new total.
      const next = new Map(rows.map((r) => [`${r.window_start}:${r.bucket}`, r.count - sums.get(`${r.window_start}:${r.bucket}`)!.n + 1]));
      return items.map((it) => {
        const k = `${it.windowStart}:${it.bucket}`;
        const n = next.get(k)!;
        next.set(k, n + 1);
        return n;
      });
    }, { concurrency: 2 });
  }

  count(bucket: string, windowStart: number): Promise<number> {
    return this.batcher.add({ bucket, windowStart });
  }
}

export function rateCounterFor(db: Db): RateCounter {
  return db.kind === 'pglite' ? new MemoryRateCounter() : new StoreRateCounter(db);
}
