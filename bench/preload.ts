/**
 * `npm run bench -- --preload N`: N PaymentIntents written straight into a gateway's store by SQL
 * (INSERT … SELECT generate_series, CHUNK rows per statement), for the account that holds the
 * bench's key, so that create, retrieve and the lists can be measured on a full store. Each row is
 * what the API would have left: a payment method, an attempt, a charge when succeeded (seven in
 * ten), a refund on one succeeded payment in ten, and one event per payment (two when succeeded),
 * spread over the year before `now` in five currencies. Row g is `pi_pre<g>`, in `seq` order.
 */
import type { Queryable } from '../src/store/db.js';

const CHUNK = 50_000;

export async function preload(q: Queryable, o: { accountId: string; count: number; now: number; progress?: (done: number, count: number) => void }): Promise<void> {
  const span = 365 * 86_400_000;
  const start = o.now - span - 60_000;
  for (let from = 1; from <= o.count; from += CHUNK) {
    const to = Math.min(o.count, from + CHUNK - 1);
    // $1 account, $2 first created, $3 span, $4 count, $5 first g, $6 last g.
    const params = [o.accountId, start, span, o.count, from, to];
    const rows = `FROM (SELECT g, $2::int8 + (g::int8 * $3::int8) / $4::int8 AS created,
                               abs(hashint4(g) % 10) AS kind, ('{CNY,HKD,EUR,USD,IDR}'::text[])[1 + abs(hashint4(g * 31) % 5)] AS currency,
                               CASE WHEN g % 3 = 0 THEN 'alipayplus' ELSE 'alipay' END AS method,
                               100 + abs(hashint4(g * 7) % 100000) AS amount
                          FROM generate_series($5::int, $6::int) g) s`;
    await q.query(`INSERT INTO payment_methods (id, account_id, livemode, created, type, details)
      SELECT 'pm_pre' || g, $1, false, created, method, '{}'::jsonb ${rows}`, params);
    // kind: 0 declined, 1 waiting for the shopper, 2 canceled, else succeeded.
    await q.query(`INSERT INTO payment_intents (id, account_id, livemode, created, updated, amount, currency, status, client_secret,
        payment_method_types, payment_method_options, payment_method_id, confirmation_method, capture_method, return_url, description,
        metadata, amount_received, latest_charge_id, last_payment_error, canceled_at, cancellation_reason, next_action)
      SELECT 'pi_pre' || g, $1, false, created, created + 30000, amount, currency,
             CASE kind WHEN 0 THEN 'requires_payment_method' WHEN 1 THEN 'requires_action' WHEN 2 THEN 'canceled' ELSE 'succeeded' END,
             'pi_pre' || g || '_secret_' || md5(g::text), jsonb_build_array(method), '{"alipay":{"terminal_type":"WEB"}}'::jsonb,
             'pm_pre' || g, 'automatic', 'automatic', 'https://shop.example/return', 'Order ' || g,
             jsonb_build_object('order_id', 'ORD-pre' || g, 'channel', ('{web,app,pos}'::text[])[1 + g % 3]),
             CASE WHEN kind >= 3 THEN amount ELSE 0 END,
             CASE WHEN kind >= 3 THEN 'ch_pre' || g END,
             CASE WHEN kind = 0 THEN '{"type":"card_error","code":"payment_declined","message":"The wallet declined the payment.","payment_method_type":"alipay"}'::jsonb END,
             CASE WHEN kind = 2 THEN created + 60000 END, CASE WHEN kind = 2 THEN 'abandoned' END,
             CASE WHEN kind = 1 THEN jsonb_build_object('type', 'redirect_to_url', 'redirect_to_url',
               jsonb_build_object('url', 'https://open-sea.alipay.com/cashier/' || md5(g::text), 'return_url', 'https://shop.example/return')) END
      ${rows}`, params);
    await q.query(`INSERT INTO payment_attempts (id, payment_intent_id, account_id, livemode, created, updated, amount, currency, method_type,
        upstream_method, payment_method_id, description, status, upstream_payment_id, wallet, paid_at, failure_code)
      SELECT 'pa_pre' || g, 'pi_pre' || g, $1, false, created, created + 30000, amount, currency, method,
             CASE method WHEN 'alipay' THEN 'ALIPAY_CN' ELSE 'CONNECT_WALLET' END, 'pm_pre' || g, 'Order ' || g,
             CASE kind WHEN 0 THEN 'failed' WHEN 1 THEN 'redirected' WHEN 2 THEN 'canceled' ELSE 'succeeded' END,
             '2026' || lpad(g::text, 24, '0'),
             CASE WHEN kind >= 3 THEN CASE method WHEN 'alipay' THEN 'ALIPAY_CN' ELSE 'GCASH' END END,
             CASE WHEN kind >= 3 THEN created + 30000 END,
             CASE WHEN kind = 0 THEN 'USER_BALANCE_NOT_ENOUGH' END
      ${rows}`, params);
    await q.query(`INSERT INTO charges (id, account_id, livemode, created, updated, payment_intent_id, payment_method_id, attempt_id, amount,
        currency, status, amount_refunded, description, payment_method_details)
      SELECT 'ch_pre' || g, $1, false, created + 30000, created + 30000, 'pi_pre' || g, 'pm_pre' || g, 'pa_pre' || g, amount, currency, 'succeeded',
             CASE WHEN g % 10 = 0 AND amount >= 2 THEN amount / 2 ELSE 0 END, 'Order ' || g, jsonb_build_object('type', method)
      ${rows} WHERE kind >= 3`, params);
    await q.query(`INSERT INTO refunds (id, account_id, livemode, created, updated, payment_intent_id, charge_id, amount, currency, status,
        upstream_refund_id)
      SELECT 're_pre' || g, $1, false, created + 90000, created + 90000, 'pi_pre' || g, 'ch_pre' || g, amount / 2, currency, 'succeeded',
             '2026r' || lpad(g::text, 23, '0')
      ${rows} WHERE kind >= 3 AND g % 10 = 0 AND amount >= 2`, params);
    await q.query(`INSERT INTO events (id, account_id, livemode, created, type, api_version, object_id, data)
      SELECT 'evt_pre' || g || '_' || n, $1, false, created + n * 30000,
             CASE n WHEN 0 THEN 'payment_intent.created' ELSE 'payment_intent.succeeded' END, '2024-06-20', 'pi_pre' || g,
             jsonb_build_object('object', jsonb_build_object('id', 'pi_pre' || g, 'object', 'payment_intent', 'amount', amount, 'currency', lower(currency),
               'status', CASE n WHEN 0 THEN 'requires_payment_method' ELSE 'succeeded' END, 'metadata', jsonb_build_object('order_id', 'ORD-pre' || g)))
      ${rows} CROSS JOIN generate_series(0, 1) n WHERE n = 0 OR kind >= 3`, params);
    o.progress?.(to, o.count);
  }
}
