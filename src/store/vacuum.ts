/**
 * PGlite's stand-in for autovacuum, which PGlite does not run.
 *
 * An UPDATE or DELETE leaves the row's old version in its table and in its indexes until a VACUUM
 * removes it. The tables that work as queues (webhook deliveries, attempts and refunds to poll,
 * the simulator's and Trust Payments' notifications, idempotency keys) are updated with every
 * payment, and each claim of due rows walks past every dead version at the head of its index.
 * Measured with `npm run bench -- --soak` (PGlite, a `*` webhook endpoint, create, retrieve,
 * confirm and refunds over 32 connections): 190 requests/s over the first minute, 58/s averaged
 * over ten minutes without a VACUUM; with this one every minute, 312/s over five minutes and 332/s
 * over ten (a single VACUUM of the whole store, tried first, took 0.2–0.85 s).
 *
 * Each table is vacuumed by a statement of its own, so that the statements of requests run between
 * them rather than waiting for the whole store; a table with nothing to remove costs little (its
 * all-visible pages are skipped).
 */
import type { Queryable } from './db.js';

/** Vacuums each table of the store's schemas in turn; answers how many. */
export async function vacuumEachTable(q: Queryable): Promise<number> {
  const tables = await q.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = ANY (current_schemas(false))
      ORDER BY c.relname`,
  );
  for (const { t } of tables) await q.query(`VACUUM ${t}`);
  return tables.length;
}
