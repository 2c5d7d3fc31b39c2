/** SQL behind core's Trust Payments port ({@link TpRepo}): transactions, sites, rules, the notification outbox. */
import type { Queryable } from './db.js';
import type {
  TpNotificationRecord, TpNotificationRuleRecord, TpRepo, TpSiteRecord, TpTransactionRecord, TransactionFilter,
} from '../core/settlement/records.js';
import { fromRow, insertRecord, one, table, updateRecord } from './repos.js';

export const TP_TRANSACTIONS = table<TpTransactionRecord>('tp_transactions', [
  'reference', 'account_id', 'livemode', 'site_reference', 'request_type', 'payment_intent_id', 'refund_id',
  'parent_reference', 'order_reference', 'base_amount', 'currency', 'settle_status', 'settle_due_date', 'error_code',
  'operator_name', 'application_type', 'return_url', { json: 'fields' }, 'authorised_at', 'settled_at', 'investigate_at',
  'created', 'updated',
], 'reference');

export const TP_SITES = table<TpSiteRecord>('tp_sites', [
  'site_reference', 'account_id', 'livemode', 'number', 'merchant_name', 'partner_id', 'notification_password', 'created',
], 'site_reference');

export const TP_RULES = table<TpNotificationRuleRecord>('tp_notification_rules', [
  'id', 'site_reference', 'trigger', 'url', { json: 'fields' }, 'created', 'deleted',
]);

export const TP_NOTIFICATIONS = table<TpNotificationRecord>('tp_notifications', [
  'id', 'account_id', 'livemode', 'site_reference', 'rule_id', 'transaction_reference', 'notification_reference', 'url',
  'body', 'status', 'attempts', 'next_attempt_at', 'last_attempt_at', 'last_status', 'created', 'completed_at',
]);

export function tpRepo(q: Queryable): TpRepo {
  const t = TP_TRANSACTIONS;
  const many = async (sql: string, params: unknown[]) => (await q.query(sql, params)).map((r) => fromRow(t, r));
  return {
    site: (ref) => one(q, TP_SITES, 'site_reference = $1', [ref]),
    rules: async (ref, trigger) => (await q.query(
      'SELECT * FROM tp_notification_rules WHERE site_reference = $1 AND trigger = $2 AND deleted IS NULL ORDER BY created, id', [ref, trigger],
    )).map((r) => fromRow(TP_RULES, r)),
    nextNumber: async () => Number((await q.query<{ n: number }>("SELECT nextval('tp_transaction_numbers') AS n"))[0]!.n),
    insert: (r) => insertRecord(q, t, r),
    update: (r) => updateRecord(q, t, r),
    get: (ref) => one(q, t, 'reference = $1', [ref]),
    lock: (ref) => one(q, t, 'reference = $1', [ref], 'FOR UPDATE'),
    authOf: (pi) => one(q, t, "payment_intent_id = $1 AND request_type = 'AUTH'", [pi]),
    lockAuthOf: (pi) => one(q, t, "payment_intent_id = $1 AND request_type = 'AUTH'", [pi], 'FOR UPDATE'),
    byRefund: (id) => one(q, t, 'refund_id = $1', [id]),
    lockByRefund: (id) => one(q, t, 'refund_id = $1', [id], 'FOR UPDATE'),
    find: (accountId, livemode, f, limit) => {
      const params: unknown[] = [accountId, livemode];
      const where = ['account_id = $1', 'livemode = $2'];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replaceAll('?', `$${params.length}`));
      };
      add('site_reference = ANY(?::text[])', f.site_references);
      if (f.references) add('reference = ANY(?::text[])', f.references);
      if (f.order_references) add('order_reference = ANY(?::text[])', f.order_references);
      if (f.parent_references) add('parent_reference = ANY(?::text[])', f.parent_references);
      if (f.request_types) add('request_type = ANY(?::text[])', f.request_types);
      if (f.settle_statuses) add('settle_status = ANY(?::int[])', f.settle_statuses);
      if (f.start !== undefined) add('created >= ?', f.start);
      if (f.end !== undefined) add('created <= ?', f.end);
      params.push(limit);
      return many(`SELECT * FROM tp_transactions WHERE ${where.join(' AND ')} ORDER BY created, reference LIMIT $${params.length}`, params);
    },
    claimDueToSettle: (livemode, before, limit) => many(
      `SELECT * FROM tp_transactions
        WHERE request_type = 'AUTH' AND settled_at IS NULL AND authorised_at IS NOT NULL AND authorised_at <= $1 AND livemode = $2
          AND (settle_status IN (0, 1, 10) OR (settle_status = 3 AND error_code = '70000'))
        ORDER BY authorised_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [before, livemode, limit],
    ),
    claimOverdue: (before, limit) => many(
      `SELECT * FROM tp_transactions WHERE settle_status = 10 AND investigate_at IS NULL AND created <= $1
        ORDER BY created LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [before, limit],
    ),
    enqueueNotification: (n) => insertRecord(q, TP_NOTIFICATIONS, n),
  };
}
