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
      const rows = await q.query<{ currency: string; status: 'pending' | 'available'; amount: string | number }>(
        `SELECT currency, status, sum(net)::int8 AS amount FROM balance_transactions
          WHERE account_id = $1 AND livemode = $2 GROUP BY currency, status ORDER BY currency, status`, [s.account_id, s.livemode]);
      return rows.map((r): BalanceTotal => ({ currency: r.currency, status: r.status, amount: Number(r.amount) }));
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
