/**
 * Many payments at once for the dashboard's EXPLAIN test and its bench: INSERT … SELECT
 * generate_series, no API, in a few statements. Each payment has a payment method and one attempt;
 * succeeded ones have a charge, one in ten of those a refund; every payment has an event (two when
 * succeeded). Spread evenly over `days` up to `now`, in five currencies; the mix of statuses and
 * currencies is a hash of the row number, so that filters on one are not filters on the other.
 *
 * Row g (1 … count) is `pi_<prefix><g>`, with metadata {order_id: "ORD-<prefix><g>", channel:
 * "web" | "app" | "pos"} except every fourth, which has none.
 */
import type { Queryable } from '../../src/store/db.js';

export const FILL_CURRENCIES = ['CNY', 'HKD', 'EUR', 'USD', 'IDR'] as const;

export interface FillOptions {
  accountId: string;
  livemode?: boolean;
  count: number;
  now: number;
  days?: number;
  prefix?: string;
}

export async function fillPayments(q: Queryable, o: FillOptions): Promise<void> {
  const span = (o.days ?? 30) * 86_400_000;
  const start = o.now - span;
  const p = o.prefix ?? 'fill';
  // $1 account, $2 livemode, $3 first created, $4 span, $5 count, $6 id prefix.
  const params = [o.accountId, o.livemode ?? false, start, span, o.count, p];
  const rows = `FROM (SELECT g, $3::int8 + (g::int8 * $4::int8) / $5::int8 AS created,
                             abs(hashint4(g) % 10) AS kind, ('{CNY,HKD,EUR,USD,IDR}'::text[])[1 + abs(hashint4(g * 31) % 5)] AS currency,
                             CASE WHEN g % 3 = 0 THEN 'alipayplus' ELSE 'alipay' END AS method,
                             100 + abs(hashint4(g * 7) % 100000) AS amount
                        FROM generate_series(1, $5::int) g) s`;
  // kind: 0 declined (requires_payment_method with an error), 1 waiting for the shopper, 2 canceled, else succeeded.
  await q.query(`INSERT INTO payment_methods (id, account_id, livemode, created, type)
    SELECT 'pm_' || $6 || g, $1, $2, created, method ${rows}`, params);
  await q.query(`INSERT INTO payment_intents (id, account_id, livemode, created, updated, amount, currency, status, client_secret,
      payment_method_types, payment_method_id, confirmation_method, capture_method, description, metadata, amount_received,
      latest_charge_id, last_payment_error)
    SELECT 'pi_' || $6 || g, $1, $2, created, created, amount, currency,
           CASE kind WHEN 0 THEN 'requires_payment_method' WHEN 1 THEN 'requires_action' WHEN 2 THEN 'canceled' ELSE 'succeeded' END,
           'pi_' || $6 || g || '_secret_x', jsonb_build_array(method), 'pm_' || $6 || g, 'automatic', 'automatic', 'Order ' || g,
           CASE WHEN g % 4 = 0 THEN '{}'::jsonb
                ELSE jsonb_build_object('order_id', 'ORD-' || $6 || g, 'channel', ('{web,app,pos}'::text[])[1 + g % 3]) END,
           CASE WHEN kind >= 3 THEN amount ELSE 0 END,
           CASE WHEN kind >= 3 THEN 'ch_' || $6 || g END,
           CASE WHEN kind = 0 THEN '{"type":"card_error","code":"payment_declined","message":"The wallet declined the payment.","payment_method_type":"alipay"}'::jsonb END
    ${rows}`, params);
  await q.query(`INSERT INTO payment_attempts (id, payment_intent_id, account_id, livemode, created, updated, amount, currency, method_type,
      upstream_method, payment_method_id, description, status, wallet)
    SELECT 'pa_' || $6 || g, 'pi_' || $6 || g, $1, $2, created, created, amount, currency, method,
           CASE method WHEN 'alipay' THEN 'ALIPAY_CN' ELSE 'CONNECT_WALLET' END, 'pm_' || $6 || g, 'Order ' || g,
           CASE kind WHEN 0 THEN 'failed' WHEN 1 THEN 'redirected' WHEN 2 THEN 'canceled' ELSE 'succeeded' END,
           CASE WHEN kind >= 3 THEN CASE method WHEN 'alipay' THEN 'ALIPAY_CN' ELSE 'GCASH' END END
    ${rows}`, params);
  await q.query(`INSERT INTO charges (id, account_id, livemode, created, updated, payment_intent_id, payment_method_id, attempt_id, amount,
      currency, status, amount_refunded)
    SELECT 'ch_' || $6 || g, $1, $2, created, created, 'pi_' || $6 || g, 'pm_' || $6 || g, 'pa_' || $6 || g, amount, currency, 'succeeded',
           CASE WHEN g % 10 = 0 AND g % 30 <> 0 THEN amount / 2 ELSE 0 END
    ${rows} WHERE kind >= 3`, params);
  await q.query(`INSERT INTO refunds (id, account_id, livemode, created, updated, payment_intent_id, charge_id, amount, currency, status)
    SELECT 're_' || $6 || g, $1, $2, created + 60000, created + 60000, 'pi_' || $6 || g, 'ch_' || $6 || g, amount / 2, currency,
           CASE WHEN g % 30 = 0 THEN 'pending' ELSE 'succeeded' END
    ${rows} WHERE kind >= 3 AND g % 10 = 0 AND amount >= 2`, params);
  // A dispute on every fifth paid payment (g % 5 = 3), due a week after it opened, in every status.
  await q.query(`INSERT INTO disputes (id, account_id, livemode, created, updated, payment_intent_id, charge_id, amount, currency, reason,
      status, due_by, upstream_dispute_id)
    SELECT 'dp_' || $6 || g, $1, $2, created + 120000, created + 120000, 'pi_' || $6 || g, 'ch_' || $6 || g, amount, currency, 'general',
           ('{needs_response,under_review,won,lost,warning_needs_response,warning_closed}'::text[])[1 + abs(hashint4(g * 13) % 6)],
           created + 120000 + 7 * 86400000, 'antom_dp_' || $6 || g
    ${rows} WHERE kind >= 3 AND g % 5 = 3`, params);
  // Each charge's balance transaction, in USD at a made-up rate, pending for the last two days.
  await q.query(`INSERT INTO balance_transactions (id, account_id, livemode, created, available_on, status, type, reporting_category, source_id,
      charge_id, payment_intent_id, amount, currency, exchange_rate, net)
    SELECT 'txn_' || $6 || g, $1, $2, created, created + 2 * 86400000,
           CASE WHEN created + 2 * 86400000 <= $3::int8 + $4::int8 THEN 'available' ELSE 'pending' END, 'charge', 'charge',
           'ch_' || $6 || g, 'ch_' || $6 || g, 'pi_' || $6 || g, amount / 7, 'USD', '0.1428', amount / 7
    ${rows} WHERE kind >= 3`, params);
  await q.query(`INSERT INTO balance_transactions (id, account_id, livemode, created, available_on, status, type, reporting_category, source_id,
      charge_id, payment_intent_id, amount, currency, exchange_rate, net)
    SELECT 'txn_re_' || $6 || g, $1, $2, created + 60000, created + 60000, 'available', 'refund', 'refund', 're_' || $6 || g,
           'ch_' || $6 || g, 'pi_' || $6 || g, -(amount / 14), 'USD', '0.1428', -(amount / 14)
    ${rows} WHERE kind >= 3 AND g % 10 = 0 AND g % 30 <> 0 AND amount >= 2`, params);
  await q.query(`INSERT INTO events (id, account_id, livemode, created, type, object_id, data)
    SELECT 'evt_' || $6 || g || '_' || n, $1, $2, created + n, CASE n WHEN 0 THEN 'payment_intent.created' ELSE 'payment_intent.succeeded' END,
           'pi_' || $6 || g, '{"object":{}}'::jsonb
    ${rows} CROSS JOIN generate_series(0, 1) n WHERE n = 0 OR kind >= 3`, params);
}
