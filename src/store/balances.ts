/** SQL behind core's balance transactions (core/balances/, migration 0019). */
import type { Queryable } from './db.js';
import { fromRow, insertDeferred, listPage, one, scopeParams, scoped, table } from './repos.js';
import type { BalanceTransactionRepo } from '../core/store.js';
import type { BalanceTotal, BalanceTransactionRecord, SettlementReportRow } from '../core/balances/records.js';

export const BALANCE_TRANSACTIONS = table<BalanceTransactionRecord>('balance_transactions', [
  'id', 'account_id', 'livemode', 'created', 'available_on', 'status', 'type', 'reporting_category', 'source_id', 'charge_id',
  'payment_intent_id', 'amount', 'currency', 'exchange_rate', 'fee', { json: 'fee_details' }, 'net', 'description',
]);

export function balanceTransactionRepo(q: Queryable): BalanceTransactionRepo {
  const t = BALANCE_TRANSACTIONS;
  return {
    get: (s, id) => one(q, t, scoped, scopeParams(s, id)),
    insert: (r) => insertDeferred(q, t, r),
    forSource: async (sourceId) => {
      const rows = await q.query('SELECT * FROM balance_transactions WHERE source_id = $1 ORDER BY seq', [sourceId]);
      return rows.map((r) => fromRow(t, r));
    },
    list: (s, query) => {
      const extra: { sql: string; value: unknown }[] = [];
      if (query.type) extra.push({ sql: 'type = ?', value: query.type });
      if (query.source) extra.push({ sql: 'source_id = ?', value: query.source });
      if (query.currency) extra.push({ sql: 'currency = ?', value: query.currency });
      return listPage(q, t, s, query, extra);
    },
    totals: async (s) => {
      // One statement, so one snapshot: the folded totals and what is not folded yet (migration 0022).
      const rows = await q.query<{ currency: string; status: 'pending' | 'available'; amount: string | number }>(
        `SELECT currency, 'available' AS status, available AS amount FROM balance_totals WHERE account_id = $1 AND livemode = $2
         UNION ALL
         SELECT currency, status, sum(net)::int8 FROM balance_transactions
          WHERE account_id = $1 AND livemode = $2 AND NOT folded GROUP BY currency, status`, [s.account_id, s.livemode]);
      const sums = new Map<string, BalanceTotal>();
      for (const r of rows) {
        const key = `${r.currency} ${r.status}`;
        const line = sums.get(key) ?? { currency: r.currency, status: r.status, amount: 0 };
        line.amount += Number(r.amount);
        sums.set(key, line);
      }
      return [...sums.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.status.localeCompare(b.status));
    },
    fold: async (limit) => {
      // Marked folded and added to the total in one statement: a transaction is counted once, in
      // the total or among the unfolded, in every snapshot. SKIP LOCKED: processes fold side by side.
      const rows = await q.query<{ n: number }>(
        `WITH f AS (
           UPDATE balance_transactions b SET folded = true
            WHERE b.id IN (SELECT id FROM balance_transactions WHERE NOT folded AND status = 'available' ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
              AND NOT b.folded
           RETURNING b.account_id, b.livemode, b.currency, b.net
         ), s AS (
           SELECT account_id, livemode, currency, sum(net)::int8 AS net, count(*)::int AS n FROM f GROUP BY account_id, livemode, currency
         ), t AS (
           INSERT INTO balance_totals (account_id, livemode, currency, available)
           SELECT account_id, livemode, currency, net FROM s ORDER BY account_id, livemode, currency
           ON CONFLICT (account_id, livemode, currency) DO UPDATE SET available = balance_totals.available + excluded.available
         )
         SELECT coalesce(sum(n), 0)::int AS n FROM s`, [limit]);
      return Number(rows[0]?.n ?? 0);
    },
    releaseDue: async (now, limit) => {
      const rows = await q.query(
        `UPDATE balance_transactions SET status = 'available'
          WHERE id IN (SELECT id FROM balance_transactions WHERE status = 'pending' AND available_on <= $1
                        ORDER BY available_on LIMIT $2 FOR UPDATE SKIP LOCKED)
          RETURNING id`, [now, limit]);
      return rows.length;
    },
    report: async (s, from, to) => {
      const rows = await q.query(
        // The period through its index (account, mode, created), and each row's payment by its key:
        // OFFSET 0 keeps the planner from turning that into a scan of every payment (a hash join).
        `SELECT b.*, p.currency AS payment_currency, p.amount AS payment_amount, p.description AS payment_description, p.metadata AS payment_metadata
           FROM balance_transactions b
          CROSS JOIN LATERAL (SELECT x.currency, x.amount, x.description, x.metadata FROM payment_intents x WHERE x.id = b.payment_intent_id OFFSET 0) p
          WHERE b.account_id = $1 AND b.livemode = $2 AND b.created >= $3 AND b.created < $4
          ORDER BY b.created, b.seq`, [s.account_id, s.livemode, from, to]);
      return rows.map((r): SettlementReportRow => ({
        ...fromRow(t, r),
        payment_currency: r.payment_currency as string,
        payment_amount: Number(r.payment_amount),
        payment_description: (r.payment_description as string | null) ?? null,
        payment_metadata: (r.payment_metadata as Record<string, string> | null) ?? {},
      }));
    },
  };
}
