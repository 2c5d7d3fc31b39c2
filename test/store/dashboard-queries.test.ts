/**
 * The dashboard's read model (store/dashboard.ts) over real payments made through the doors —
 * /v1, Checkout, Trust Payments — on both stores: what each list, search, detail and total shows,
 * and that keyset pages walk forward and back without losing or repeating a row. Then, on a store
 * filled with 20,000 payments, that the lists are answered through indexes (EXPLAIN), never by
 * reading whole tables.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { eventually, dropSchema, startGateway, stores, TEST_DATABASE_URL, type TestGateway, analyzeOwn } from '../helpers/gateway.js';
import { SEED_000_CHECKOUT, SEED_000_WEB, SEED_003_ALIPAYPLUS, SEED_004_AUTH } from '../helpers/seeds.js';
import { seedTrustPayments, tp, TP_SITE } from '../helpers/webservices.js';
import { fillPayments } from '../helpers/dashboard-fill.js';
import { addRule } from '../../src/store/tp-accounts.js';
import { openPglite, openPostgres, type Db, type Queryable } from '../../src/store/db.js';
import { CORE_MIGRATIONS, migrate } from '../../src/store/migrate.js';
import { randomToken } from '../../src/core/ids.js';
import { balanceTransactionRepo } from '../../src/store/balances.js';
import type { Scope } from '../../src/core/store.js';
import {
  dashboardQueries, decodeCursor, encodeCursor, type DashboardQueries, type KeysetPage, type PageRequest, type PaymentRow,
} from '../../src/store/dashboard.js';

/** A webhook receiver on loopback that answers 200 to everything. */
async function receiver(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function waitForStatus(g: TestGateway, id: string, status: string): Promise<any> {
  return eventually(async () => {
    const pi = (await g.api('GET', `/v1/payment_intents/${id}`)).body;
    return pi.status === status ? pi : undefined;
  });
}

async function fault(g: TestGateway, body: object): Promise<void> {
  const res = await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
}

/** Every page from the first, following `next`; then back from the last, following `prev`. */
async function walk<T>(read: (p: PageRequest) => Promise<KeysetPage<T>>, limit: number) {
  const forward: KeysetPage<T>[] = [];
  for (let p = await read({ limit }); ; p = await read({ limit, after: p.next! })) {
    forward.push(p);
    assert.ok(p.rows.length <= limit);
    if (p.next === null) break;
    assert.equal(p.rows.length, limit, 'only the last page is short');
    assert.ok(forward.length < 100, 'the walk ends');
  }
  const backward: KeysetPage<T>[] = [forward[forward.length - 1]!];
  for (let p = backward[0]!; p.prev !== null; ) {
    p = await read({ limit, before: p.prev });
    backward.unshift(p);
    assert.ok(backward.length <= forward.length, 'going back takes no more pages than going forward');
  }
  return { forward, backward, rows: forward.flatMap((p) => p.rows) };
}

for (const { kind, skip } of await stores()) {
  describe(`dashboard queries over real payments [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let rx: Awaited<ReturnType<typeof receiver>>;
    let d: DashboardQueries;
    let scope: Scope;
    const pi: Record<string, any> = {};
    let refunds: { sync: any; async: any; pending: any };
    let auth: Record<string, any>;
    let endpointId: string;
    let started: number;

    const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
    /** The account's payments newest first, as the list must order them. */
    const allPayments = async () => (await g.gateway.db.query<{ id: string; created: number }>(
      'SELECT id, created FROM payment_intents WHERE account_id = $1 AND livemode = false ORDER BY created DESC, seq DESC', [scope.account_id]));

    before(async () => {
      started = Date.now();
      rx = await receiver();
      // Settlement waits an hour, so nothing changes on its own while the test reads.
      g = await startGateway({ store: kind, env: { OPENCASHIER_TP_SETTLE_DELAY_SECONDS: '3600', WEBHOOK_RETRY_SCHEDULE_MS: '300,300' } });
      scope = { account_id: g.gateway.account.accountId, livemode: false };
      d = dashboardQueries(g.gateway.db);
      await seedTrustPayments(g);
      await addRule(g.gateway.db, { siteReference: TP_SITE, trigger: 'authorisation', url: `${rx.url}/tp`, now: Date.now() });
      const endpoint = await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/hooks`, enabled_events: ['*'] });
      assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body));
      endpointId = endpoint.body.id;

      const create = async (body: object) => {
        const res = await g.api('POST', '/v1/payment_intents', body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
      };
      const paid = async (body: object, extra: Record<string, unknown> = {}) => {
        const created = await create(body);
        assert.equal((await g.complete(created.next_action.redirect_to_url.url, 'succeeded', extra)).status, 200);
        return waitForStatus(g, created.id, 'succeeded');
      };

      pi.order = await paid({ ...SEED_000_WEB, amount: 1000, description: 'with an order id', metadata: { order_id: 'A-1001', note: 'gift' } });
      pi.plus = await paid({ ...SEED_003_ALIPAYPLUS, amount: 30000 }, { wallet: 'DANA' });
      const declined = await create({ ...SEED_000_WEB, amount: 500, currency: 'HKD' });
      assert.equal((await g.complete(declined.next_action.redirect_to_url.url, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' })).status, 200);
      pi.failed = await waitForStatus(g, declined.id, 'requires_payment_method');
      pi.refunded = await paid({ ...SEED_000_WEB, amount: 2000 });
      const sync = await g.api('POST', '/v1/refunds', { payment_intent: pi.refunded.id, amount: 700 });
      assert.equal(sync.body.status, 'succeeded', JSON.stringify(sync.body));
      // Settled later by Antom, so it arrives as a notifyRefund naming the refund.
      await fault(g, { api: 'refund', kind: 'async', delay_ms: 100 });
      const later = await g.api('POST', '/v1/refunds', { payment_intent: pi.refunded.id, amount: 300 });
      assert.equal(later.body.status, 'pending');
      pi.pendingRefund = await paid({ ...SEED_000_WEB, amount: 800 });
      // Settled in ten minutes (the simulator's longest): pending throughout the test.
      await fault(g, { api: 'refund', kind: 'async', delay_ms: 600_000 });
      const pending = await g.api('POST', '/v1/refunds', { payment_intent: pi.pendingRefund.id, amount: 100 });
      assert.equal(pending.body.status, 'pending');
      pi.open = await create({ amount: 300, currency: 'HKD', payment_method_types: ['alipay'] });
      const session = await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT);
      assert.equal(session.status, 200, JSON.stringify(session.body));
      pi.checkout = { id: session.body.payment_intent, session: session.body.id };
      auth = await tp(g, { ...SEED_004_AUTH, orderreference: 'DQ-ORDER-1' });
      assert.equal(auth.errorcode, '0', JSON.stringify(auth));
      const [authRow] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      assert.equal((await g.complete(auth.redirecturl, 'succeeded')).status, 200);
      pi.tp = await waitForStatus(g, authRow!.payment_intent_id, 'succeeded');
      refunds = {
        sync: sync.body,
        async: await eventually(async () => {
          const r = (await g.api('GET', `/v1/refunds/${later.body.id}`)).body;
          return r.status === 'succeeded' ? r : undefined;
        }),
        pending: pending.body,
      };
      // Everything written has been delivered: each event has its delivery, none is pending, the
      // Trust Payments authorisation notification has been sent, and Antom's notification about
      // each finished attempt has been received.
      await eventually(async () => {
        const [row] = await g.gateway.db.query<{ undelivered: number; pending: number; tp: number; unnotified: number }>(`
          SELECT (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries w WHERE w.event_id = e.id))::int AS undelivered,
                 (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')::int AS pending,
                 (SELECT count(*) FROM tp_notifications WHERE status = 'succeeded')::int AS tp,
                 (SELECT count(*) FROM payment_attempts a WHERE a.status IN ('succeeded', 'failed')
                     AND NOT EXISTS (SELECT 1 FROM upstream_notifications n WHERE n.payment_request_id = a.id))::int AS unnotified`);
        return row!.undelivered === 0 && row!.pending === 0 && row!.tp === 1 && row!.unnotified === 0;
      });
    });
    after(async () => {
      await g?.stop();
      await rx?.stop();
    });

    test('the payments list: every payment newest first, each row saying where it came from and how it stands', async () => {
      const page = await d.payments(scope, {}, { limit: 50 });
      assert.deepEqual(ids(page.rows), ids(await allPayments()));
      assert.equal(page.rows.length, 8);
      assert.equal(page.next, null);
      assert.equal(page.prev, null);
      const row = (id: string) => page.rows.find((r) => r.id === id)!;

      const order = row(pi.order.id);
      assert.deepEqual(order, {
        id: pi.order.id, created: pi.order.created, amount: 1000, currency: 'CNY', status: 'succeeded', amount_received: 1000,
        amount_refunded: 0, method: 'alipay', wallet: 'ALIPAY_CN', description: 'with an order id',
        metadata: { order_id: 'A-1001', note: 'gift' }, source: 'api', tp_reference: null, order_reference: null, failure_message: null,
      } satisfies PaymentRow);
      assert.equal(row(pi.plus.id).method, 'alipayplus');
      assert.equal(row(pi.plus.id).wallet, 'DANA', 'the wallet the shopper paid with');
      assert.equal(row(pi.plus.id).currency, 'IDR');
      const failed = row(pi.failed.id);
      assert.equal(failed.status, 'requires_payment_method');
      assert.equal(failed.failure_message, pi.failed.last_payment_error.message);
      assert.ok(failed.failure_message);
      assert.equal(failed.amount_received, 0);
      assert.equal(row(pi.refunded.id).amount_refunded, 1000, 'both refunds, once each succeeded');
      assert.equal(row(pi.pendingRefund.id).amount_refunded, 0, 'a pending refund is not refunded yet');
      assert.equal(row(pi.open.id).method, null);
      assert.equal(row(pi.open.id).wallet, null);
      assert.equal(row(pi.open.id).status, 'requires_payment_method');
      assert.equal(row(pi.open.id).failure_message, null);
      assert.equal(row(pi.checkout.id).source, 'checkout');
      const viaTp = row(pi.tp.id);
      assert.equal(viaTp.source, 'trust_payments');
      assert.equal(viaTp.tp_reference, auth.transactionreference);
      assert.equal(viaTp.order_reference, 'DQ-ORDER-1');
      assert.equal(viaTp.currency, 'EUR');
      assert.equal(viaTp.amount_received, 1050);

      assert.deepEqual(await d.payments({ ...scope, livemode: true }, {}, { limit: 50 }), { rows: [], next: null, prev: null }, 'live mode is another scope');
      assert.deepEqual(await d.payments({ account_id: 'acct_other', livemode: false }, {}, { limit: 50 }), { rows: [], next: null, prev: null });
    });

    test('filters: status, currency (either case), method, created range; they combine', async () => {
      const list = async (f: Parameters<DashboardQueries['payments']>[1]) => ids((await d.payments(scope, f, { limit: 50 })).rows).sort();
      const sorted = (...xs: string[]) => xs.sort();
      assert.deepEqual(await list({ status: 'succeeded' }), sorted(pi.order.id, pi.plus.id, pi.refunded.id, pi.pendingRefund.id, pi.tp.id));
      assert.deepEqual(await list({ status: 'requires_payment_method' }), sorted(pi.failed.id, pi.open.id, pi.checkout.id));
      assert.deepEqual(await list({ currency: 'hkd' }), sorted(pi.failed.id, pi.open.id));
      assert.deepEqual(await list({ currency: 'HKD' }), sorted(pi.failed.id, pi.open.id));
      assert.deepEqual(await list({ currency: 'hkd', status: 'succeeded' }), []);
      assert.deepEqual(await list({ method: 'alipayplus' }), [pi.plus.id]);
      assert.deepEqual(await list({ method: 'alipay', currency: 'EUR' }), [pi.tp.id]);
      const all = await allPayments();
      const from = all.find((p) => p.id === pi.refunded.id)!.created;
      const to = all.find((p) => p.id === pi.checkout.id)!.created;
      const expected = all.filter((p) => p.created >= from && p.created < to).map((p) => p.id).sort();
      assert.ok(expected.includes(pi.refunded.id) && !expected.includes(pi.checkout.id), 'from is inclusive, to exclusive');
      assert.deepEqual(await list({ from, to }), expected);
      assert.deepEqual(await list({ from, to, status: 'succeeded' }), expected.filter((id) => [pi.refunded.id, pi.pendingRefund.id].includes(id)).sort());
      assert.deepEqual(await list({ from: Date.now() + 60_000 }), []);
      assert.deepEqual(await list({ to: started - 60_000 }), []);
    });

    test('search finds a payment by its id, a charge id, a refund id, a Trust Payments reference or orderreference, a metadata value', async () => {
      const search = async (term: string, f: object = {}) => ids((await d.payments(scope, { ...f, search: term }, { limit: 50 })).rows);
      assert.deepEqual(await search(pi.order.id), [pi.order.id]);
      assert.deepEqual(await search(pi.refunded.latest_charge), [pi.refunded.id]);
      assert.deepEqual(await search(refunds.sync.id), [pi.refunded.id]);
      assert.deepEqual(await search(refunds.pending.id), [pi.pendingRefund.id]);
      assert.deepEqual(await search(auth.transactionreference), [pi.tp.id]);
      assert.deepEqual(await search('DQ-ORDER-1'), [pi.tp.id]);
      assert.deepEqual(await search('A-1001'), [pi.order.id]);
      assert.deepEqual(await search('gift'), [pi.order.id], 'any metadata value, whatever its key');
      assert.deepEqual(await search('  A-1001 '), [pi.order.id], 'surrounding blanks are not part of the term');
      assert.deepEqual(await search('A-100'), [], 'exact match only');
      assert.deepEqual(await search('order_id'), [], 'keys are not values');
      assert.deepEqual(await search('A-1001', { status: 'canceled' }), [], 'the search combines with the filters');
      assert.deepEqual(await search(pi.order.id, { status: 'succeeded' }), [pi.order.id]);
      assert.deepEqual((await d.payments({ ...scope, livemode: true }, { search: pi.order.id }, { limit: 5 })).rows, [], 'not across scopes');
    });

    test('pages of 2 walk forward and back: every payment once, the same pages both ways; filtered pages too', async () => {
      const everything = ids(await allPayments());
      for (const f of [{}, { status: 'succeeded' as const }, { currency: 'CNY' }]) {
        const { forward, backward, rows } = await walk((p) => d.payments(scope, f, p), 2);
        const expected = ids((await d.payments(scope, f, { limit: 50 })).rows);
        assert.deepEqual(ids(rows), expected, `${JSON.stringify(f)}: no row twice, none missing, in order`);
        assert.deepEqual(backward.map((p) => ids(p.rows)), forward.map((p) => ids(p.rows)), `${JSON.stringify(f)}: the same pages back`);
        assert.equal(forward[0]!.prev, null);
        assert.equal(forward[forward.length - 1]!.next, null);
      }
      assert.ok(everything.length > 2);
      // A page in the middle, reached back from the one after it, has both cursors.
      const first = await d.payments(scope, {}, { limit: 2 });
      const second = await d.payments(scope, {}, { limit: 2, after: first.next! });
      const third = await d.payments(scope, {}, { limit: 2, after: second.next! });
      const back = await d.payments(scope, {}, { limit: 2, before: third.prev! });
      assert.deepEqual(back, second);
      assert.notEqual(back.prev, null);
      assert.notEqual(back.next, null);
      // A cursor this module did not make is the first page, not an error.
      assert.deepEqual(await d.payments(scope, {}, { limit: 2, after: 'not-a-cursor' }), first);
      assert.equal(decodeCursor('bm9wZQ'), undefined);
      assert.deepEqual(decodeCursor(encodeCursor({ created: 1_700_000_000_123, seq: 42 })), { created: 1_700_000_000_123, seq: 42 });
      // Newer than the newest: back at the start.
      assert.deepEqual(await d.payments(scope, {}, { limit: 2, before: encodeCursor({ created: Date.now() + 60_000, seq: 1 }) }), first);
    });

    test('a payment\'s detail: its charge, refunds, attempts, Antom\'s notifications, events with their deliveries, in commit order', async () => {
      const detail = (await d.payment(scope, pi.refunded.id))!;
      assert.ok(detail);
      assert.equal(detail.payment.id, pi.refunded.id);
      assert.equal(detail.payment.amount_refunded, 1000);
      assert.equal(detail.intent.id, pi.refunded.id);
      assert.equal(detail.intent.status, 'succeeded');
      assert.equal(detail.charge?.id, pi.refunded.latest_charge);
      assert.equal(detail.charge?.amount_refunded, 1000);
      assert.deepEqual(detail.refunds.map((r) => [r.id, r.amount, r.status]), [[refunds.sync.id, 700, 'succeeded'], [refunds.async.id, 300, 'succeeded']]);
      assert.equal(detail.attempts.length, 1);
      assert.equal(detail.attempts[0]!.status, 'succeeded');
      assert.equal(detail.checkout_session_id, null);
      const kinds = detail.notifications.map((n) => `${n.notify_type}:${n.result_code}`);
      assert.ok(kinds.includes('PAYMENT_RESULT:SUCCESS'), kinds.join());
      assert.ok(kinds.includes('REFUND_RESULT:SUCCESS'), `the async refund's notifyRefund is shown: ${kinds.join()}`);
      assert.ok(detail.notifications.every((n) => ['applied', 'duplicate', 'refused'].includes(n.verdict) && n.path.length > 0));
      assert.deepEqual(detail.notifications.map((n) => n.id), [...detail.notifications.map((n) => n.id)].sort((a, b) => a - b), 'oldest first');

      const objects = [pi.refunded.id, pi.refunded.latest_charge, refunds.sync.id, refunds.async.id];
      const committed = await g.gateway.db.query<{ id: string }>('SELECT id FROM events WHERE object_id = ANY($1::text[]) ORDER BY seq', [objects]);
      assert.deepEqual(detail.events.map((e) => e.id), committed.map((e) => e.id));
      const types = detail.events.map((e) => e.type);
      for (const t of ['payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded', 'refund.created', 'charge.refunded']) {
        assert.ok(types.includes(t), `${t} in ${types.join()}`);
      }
      assert.ok(types.indexOf('payment_intent.created') < types.indexOf('payment_intent.succeeded'));
      for (const e of detail.events) {
        assert.equal(e.deliveries.length, 1, `${e.type} has its delivery`);
        const delivery = e.deliveries[0]!;
        assert.equal(delivery.endpoint_id, endpointId);
        assert.equal(delivery.endpoint_url, `${rx.url}/hooks`);
        assert.equal(delivery.status, 'succeeded');
        assert.ok(delivery.attempt_log.length >= 1);
        assert.deepEqual(delivery.attempt_log.map((a) => a.attempt), delivery.attempt_log.map((_, i) => i + 1));
        assert.equal(delivery.attempt_log.at(-1)!.http_status, 200);
      }
      assert.deepEqual(detail.tp, { transactions: [], notifications: [] });

      const failed = (await d.payment(scope, pi.failed.id))!;
      assert.equal(failed.attempts[0]!.status, 'failed');
      assert.deepEqual(failed.notifications.map((n) => `${n.notify_type}:${n.result_code}`).filter((k) => k.startsWith('PAYMENT_RESULT')).slice(0, 1),
        ['PAYMENT_RESULT:USER_BALANCE_NOT_ENOUGH']);
      assert.ok(failed.events.some((e) => e.type === 'payment_intent.payment_failed'));

      const viaTp = (await d.payment(scope, pi.tp.id))!;
      assert.deepEqual(viaTp.tp.transactions.map((t) => [t.reference, t.request_type, t.order_reference]), [[auth.transactionreference, 'AUTH', 'DQ-ORDER-1']]);
      assert.deepEqual(viaTp.tp.notifications.map((n) => [n.transaction_reference, n.status, n.url]), [[auth.transactionreference, 'succeeded', `${rx.url}/tp`]]);
      assert.equal((await d.payment(scope, pi.checkout.id))!.checkout_session_id, pi.checkout.session);

      assert.equal(await d.payment({ ...scope, livemode: true }, pi.refunded.id), undefined);
      assert.equal(await d.payment(scope, 'pi_nope'), undefined);
    });

    test('a notification body that is not JSON shows no type rather than failing', async () => {
      const [attempt] = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [pi.plus.id]);
      await g.gateway.db.query(
        `INSERT INTO upstream_notifications (received, path, headers, body, verdict, reason, payment_request_id, source)
         VALUES ($1, '/antom/notify', '{}', '{"notifyType": "PAYMENT_RES', 'refused', 'cut short', $2, '203.0.113.9')`, [Date.now(), attempt!.id]);
      const detail = (await d.payment(scope, pi.plus.id))!;
      const refused = detail.notifications.find((n) => n.verdict === 'refused')!;
      assert.deepEqual([refused.notify_type, refused.result_code, refused.reason], [null, null, 'cut short']);
      assert.ok(detail.notifications.some((n) => n.notify_type === 'PAYMENT_RESULT'));
    });

    test('refunds: the list joined with its payment, filters, pages; totals of succeeded and pending per currency', async () => {
      const page = await d.refunds(scope, {}, { limit: 50 });
      assert.deepEqual(ids(page.rows), [refunds.pending.id, refunds.async.id, refunds.sync.id]);
      const sync = page.rows.find((r) => r.id === refunds.sync.id)!;
      assert.equal(sync.payment_intent_id, pi.refunded.id);
      assert.equal(sync.payment_amount, 2000);
      assert.equal(sync.payment_description, null);
      assert.deepEqual(sync.payment_metadata, {});
      assert.equal(sync.order_reference, null);
      assert.equal(sync.amount, 700);
      assert.deepEqual(ids((await d.refunds(scope, { status: 'pending' }, { limit: 50 })).rows), [refunds.pending.id]);
      assert.deepEqual(ids((await d.refunds(scope, { currency: 'hkd' }, { limit: 50 })).rows), []);
      assert.deepEqual(ids((await d.refunds(scope, { from: refunds.async.created, to: refunds.pending.created }, { limit: 50 })).rows), [refunds.async.id]);
      const { rows, backward, forward } = await walk((p) => d.refunds(scope, {}, p), 2);
      assert.deepEqual(ids(rows), ids(page.rows));
      assert.deepEqual(backward.map((p) => ids(p.rows)), forward.map((p) => ids(p.rows)));

      assert.deepEqual(await d.refundTotals(scope, {}), {
        succeeded: [{ currency: 'CNY', count: 2, amount: 1000 }],
        pending: [{ currency: 'CNY', count: 1, amount: 100 }],
      });
      assert.deepEqual(await d.refundTotals(scope, { status: 'succeeded' }), { succeeded: [{ currency: 'CNY', count: 2, amount: 1000 }], pending: [] });
      assert.deepEqual(await d.refundTotals(scope, { currency: 'eur' }), { succeeded: [], pending: [] });
      assert.deepEqual(await d.refundTotals(scope, { from: refunds.async.created }), {
        succeeded: [{ currency: 'CNY', count: 1, amount: 300 }],
        pending: [{ currency: 'CNY', count: 1, amount: 100 }],
      });
    });

    test('the overview: per UTC day and currency, succeeded, failed and refunded', async () => {
      const now = Date.now();
      // Two days, in case the test ran across midnight UTC: the sums are the same.
      const days = await d.overview(scope, now, 2);
      const today = new Date(now).toISOString().slice(0, 10);
      const yesterday = new Date(now - 86_400_000).toISOString().slice(0, 10);
      assert.ok(days.every((x) => x.day === today || x.day === yesterday), JSON.stringify(days));
      const sum = (currency: string) => days.filter((x) => x.currency === currency).reduce((a, x) => ({
        succeeded_count: a.succeeded_count + x.succeeded_count, succeeded_amount: a.succeeded_amount + x.succeeded_amount,
        failed_count: a.failed_count + x.failed_count, refunded_count: a.refunded_count + x.refunded_count, refunded_amount: a.refunded_amount + x.refunded_amount,
      }), { succeeded_count: 0, succeeded_amount: 0, failed_count: 0, refunded_count: 0, refunded_amount: 0 });
      assert.deepEqual([...new Set(days.map((x) => x.currency))].sort(), ['CNY', 'EUR', 'HKD', 'IDR'], 'only currencies with something in them');
      assert.deepEqual(sum('CNY'), { succeeded_count: 3, succeeded_amount: 3800, failed_count: 0, refunded_count: 2, refunded_amount: 1000 });
      assert.deepEqual(sum('HKD'), { succeeded_count: 0, succeeded_amount: 0, failed_count: 1, refunded_count: 0, refunded_amount: 0 });
      assert.deepEqual(sum('IDR'), { succeeded_count: 1, succeeded_amount: 30000, failed_count: 0, refunded_count: 0, refunded_amount: 0 });
      assert.deepEqual(sum('EUR'), { succeeded_count: 1, succeeded_amount: 1050, failed_count: 0, refunded_count: 0, refunded_amount: 0 });
      assert.deepEqual(await d.overview(scope, started - 2 * 86_400_000, 1), [], 'a day before anything happened is left out');
    });

    test('events: keyset pages by type, object and time; the types and currencies there are', async () => {
      const all = await g.gateway.db.query<{ id: string }>('SELECT id FROM events WHERE account_id = $1 AND livemode = false ORDER BY created DESC, seq DESC', [scope.account_id]);
      const { rows, forward, backward } = await walk((p) => d.events(scope, {}, p), 2);
      assert.deepEqual(ids(rows), ids(all));
      assert.deepEqual(backward.map((p) => ids(p.rows)), forward.map((p) => ids(p.rows)));
      const succeeded = (await d.events(scope, { type: 'charge.succeeded' }, { limit: 50 })).rows;
      assert.equal(succeeded.length, 5, 'one per succeeded payment');
      assert.ok(succeeded.every((e) => e.type === 'charge.succeeded'));
      const about = (await d.events(scope, { object: pi.order.id }, { limit: 50 })).rows;
      assert.ok(about.length >= 2 && about.every((e) => e.object_id === pi.order.id));
      assert.equal(about.at(-1)!.type, 'payment_intent.created', 'oldest last');
      assert.deepEqual((await d.events(scope, { type: 'charge.succeeded', object: pi.order.id }, { limit: 50 })).rows.map((e) => e.object_id), []);
      const newest = (await d.events(scope, {}, { limit: 1 })).rows[0]!;
      assert.deepEqual(ids((await d.events(scope, { from: newest.created }, { limit: 50 })).rows), ids(rows.filter((e) => e.created >= newest.created)));
      assert.deepEqual((await d.events(scope, { to: started - 60_000 }, { limit: 50 })).rows, []);

      const types = await d.eventTypes(scope);
      const expectedTypes = (await g.gateway.db.query<{ type: string }>('SELECT DISTINCT type FROM events WHERE account_id = $1 AND livemode = false ORDER BY type', [scope.account_id])).map((r) => r.type);
      assert.deepEqual(types, expectedTypes);
      assert.ok(types.includes('refund.created'));
      assert.deepEqual(await d.currencies(scope), ['CNY', 'EUR', 'HKD', 'IDR']);
      assert.deepEqual(await d.currencies({ ...scope, livemode: true }), []);
    });

    test('webhook endpoints: deliveries by outcome and attempts since a time; an endpoint\'s deliveries newest first with their attempts', async () => {
      const [stats] = await d.endpoints(scope, started - 1000);
      assert.ok(stats);
      assert.equal(stats.endpoint.id, endpointId);
      const [counts] = await g.gateway.db.query<{ deliveries: number; attempts: number }>(
        `SELECT (SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1)::int AS deliveries,
                (SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries w ON w.id = a.delivery_id WHERE w.endpoint_id = $1)::int AS attempts`, [endpointId]);
      assert.deepEqual([stats.succeeded, stats.failed, stats.pending], [counts!.deliveries, 0, 0]);
      assert.equal(stats.attempts, counts!.attempts);
      assert.equal(stats.attempts_ok, counts!.attempts, 'the receiver answered 200 to all');
      assert.ok(stats.last_attempt_at !== null && stats.last_attempt_at >= started);
      const [later] = await d.endpoints(scope, Date.now() + 60_000);
      assert.deepEqual([later!.succeeded, later!.attempts, later!.attempts_ok], [0, 0, 0]);
      assert.equal(later!.last_attempt_at, stats.last_attempt_at, 'the last attempt whenever it was');

      const { rows, forward, backward } = await walk((p) => d.deliveries(scope, endpointId, p), 2);
      const expected = await g.gateway.db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created DESC, seq DESC', [endpointId]);
      assert.deepEqual(ids(rows), ids(expected));
      assert.deepEqual(backward.map((p) => ids(p.rows)), forward.map((p) => ids(p.rows)));
      for (const r of rows) {
        assert.ok(r.event_type.includes('.'), r.event_type);
        assert.equal(r.endpoint_url, `${rx.url}/hooks`);
        assert.equal(r.attempt_log.at(-1)?.http_status, 200);
      }
      assert.deepEqual((await d.deliveries({ ...scope, livemode: true }, endpointId, { limit: 5 })).rows, []);

      await g.api('DELETE', `/v1/webhook_endpoints/${endpointId}`);
      assert.deepEqual(await d.endpoints(scope, 0), [], 'a deleted endpoint is not shown');
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Plans

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(n: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(n);
  for (const c of n.Plans ?? []) nodes(c, out);
  return out;
}

/** Runs every statement, and first EXPLAINs it with the same parameters. */
function explaining(db: Db): Queryable & { plans: { sql: string; nodes: PlanNode[] }[] } {
  const plans: { sql: string; nodes: PlanNode[] }[] = [];
  return {
    plans,
    query: async (sql, params) => {
      const [row] = await db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      plans.push({ sql, nodes: nodes(row!['QUERY PLAN'][0]!.Plan) });
      return db.query(sql, params);
    },
  };
}

const BIG = ['payment_intents', 'events', 'refunds', 'disputes', 'balance_transactions'];

for (const { kind, skip } of await stores()) {
  describe(`dashboard queries use indexes at 20,000 payments [${kind}]`, { skip }, () => {
    let db: Db;
    const schema = `t_${randomToken(10).toLowerCase()}`;
    const scope: Scope = { account_id: 'acct_dashboard', livemode: false };
    const now = Date.now();
    const COUNT = 20_000;

    before(async () => {
      db = kind === 'pglite' ? await openPglite(undefined) : await openPostgres({ connectionString: TEST_DATABASE_URL, schema });
      await migrate(db, CORE_MIGRATIONS);
      await db.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', [scope.account_id, 'Dashboard', now]);
      await fillPayments(db, { accountId: scope.account_id, count: COUNT, now });
      await analyzeOwn(db);
    });
    after(async () => {
      await db?.close();
      if (kind === 'postgres') await dropSchema(schema);
    });

    test('lists, searches and cursors read through indexes: no Seq Scan on payment_intents, events, refunds, disputes or balance transactions', async () => {
      const d = dashboardQueries(db);
      const mid = (await d.payments(scope, {}, { limit: COUNT / 2 })).next!;
      assert.ok(mid);
      const [someDispute] = await db.query<{ id: string }>('SELECT id FROM disputes ORDER BY id LIMIT 1');
      const cases: [string, (d: DashboardQueries, q: Queryable) => Promise<unknown>, string?][] = [
        ['payments, first page', (x) => x.payments(scope, {}, { limit: 25 })],
        ['payments, a deep page', (x) => x.payments(scope, {}, { limit: 25, after: mid })],
        ['payments, back from a deep page', (x) => x.payments(scope, {}, { limit: 25, before: mid })],
        ['payments by status', (x) => x.payments(scope, { status: 'canceled' }, { limit: 25 })],
        ['payments by currency', (x) => x.payments(scope, { currency: 'eur' }, { limit: 25, after: mid })],
        ['payments in a date range', (x) => x.payments(scope, { from: now - 10 * 86_400_000, to: now - 9 * 86_400_000 }, { limit: 25 })],
        ['payments by currency in a date range', (x) => x.payments(scope, { currency: 'USD', from: now - 3 * 86_400_000, to: now - 2 * 86_400_000 }, { limit: 25 })],
        ['payments by method', (x) => x.payments(scope, { method: 'alipayplus' }, { limit: 25 })],
        ['payments by a metadata value', (x) => x.payments(scope, { search: `ORD-fill${COUNT / 2 + 1}` }, { limit: 25 }), 'payment_intents_metadata_values'],
        ['payments by a payment id', (x) => x.payments(scope, { search: `pi_fill${COUNT / 2 + 3}` }, { limit: 25 })],
        ['payments by a charge id', (x) => x.payments(scope, { search: `ch_fill${COUNT / 2 + 3}` }, { limit: 25 })],
        ['payments by a refund id', (x) => x.payments(scope, { search: `re_fill${COUNT / 2}` }, { limit: 25 })],
        ['a payment\'s detail', (x) => x.payment(scope, `pi_fill${COUNT / 2 + 3}`)],
        ['refunds', (x) => x.refunds(scope, {}, { limit: 25 })],
        ['refunds by status in a date range', (x) => x.refunds(scope, { status: 'succeeded', from: now - 10 * 86_400_000, to: now - 9 * 86_400_000 }, { limit: 25 })],
        ['refunds by currency', (x) => x.refunds(scope, { currency: 'HKD' }, { limit: 25 })],
        ['disputes', (x) => x.disputes(scope, {}, { limit: 25 }), 'disputes_dash_created'],
        ['disputes by status', (x) => x.disputes(scope, { status: 'lost' }, { limit: 25 }), 'disputes_dash_status'],
        ['disputes awaiting an answer, soonest due first', (x) => x.disputesAwaiting(scope, 50), 'disputes_awaiting'],
        ['a dispute\'s page', (x) => x.dispute(scope, someDispute!.id)],
        ['balance transactions', (x) => x.balanceTransactions(scope, {}, { limit: 25 }), 'balance_transactions_dash_created'],
        ['balance transactions, a deep page', (x) => x.balanceTransactions(scope, {}, { limit: 25, after: encodeCursor({ created: now - 15 * 86_400_000, seq: 1 }) })],
        ['balance transactions by type', (x) => x.balanceTransactions(scope, { type: 'refund' }, { limit: 25 }), 'balance_transactions_dash_type'],
        ['the settlement report of a day', (_x, q) => balanceTransactionRepo(q).report(scope, now - 10 * 86_400_000, now - 9 * 86_400_000), 'balance_transactions_dash_created'],
        ['events', (x) => x.events(scope, {}, { limit: 25 })],
        ['events by type', (x) => x.events(scope, { type: 'payment_intent.succeeded' }, { limit: 25 })],
        ['events about an object', (x) => x.events(scope, { object: `pi_fill${COUNT / 2}` }, { limit: 25 })],
        ['events in a date range', (x) => x.events(scope, { from: now - 10 * 86_400_000, to: now - 9 * 86_400_000 }, { limit: 25 })],
        ['event types', (x) => x.eventTypes(scope)],
        ['currencies', (x) => x.currencies(scope)],
      ];
      for (const [name, run, index] of cases) {
        const q = explaining(db);
        const result = await run(dashboardQueries(q), q);
        assert.ok(result, name);
        assert.ok(q.plans.length > 0, name);
        for (const p of q.plans) {
          const seq = p.nodes.filter((n) => n['Node Type'] === 'Seq Scan' && BIG.includes(n['Relation Name'] ?? ''));
          assert.deepEqual(seq.map((n) => n['Relation Name']), [], `${name} reads a whole table:\n${p.sql}\n${JSON.stringify(p.nodes.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]))}`);
        }
        if (index) assert.ok(q.plans.some((p) => p.nodes.some((n) => n['Index Name'] === index)), `${name} uses ${index}`);
      }
      // What the cases found is what the fill holds (a plan over nothing proves nothing).
      assert.equal((await d.payments(scope, { search: `ORD-fill${COUNT / 2 + 1}` }, { limit: 5 })).rows[0]?.id, `pi_fill${COUNT / 2 + 1}`);
      assert.equal((await d.payments(scope, { status: 'canceled' }, { limit: 25 })).rows.length, 25);
      assert.equal((await d.refunds(scope, { currency: 'HKD' }, { limit: 25 })).rows.length, 25);
      assert.equal((await d.events(scope, { type: 'payment_intent.succeeded' }, { limit: 25 })).rows.length, 25);
      assert.equal((await d.disputes(scope, { status: 'lost' }, { limit: 25 })).rows.length, 25);
      assert.equal((await d.disputesAwaiting(scope, 50)).length, 50);
      assert.equal((await d.balanceTransactions(scope, { type: 'refund' }, { limit: 25 })).rows.length, 25);
    });
  });
}
