import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB, SEED_003_ALIPAYPLUS } from '../helpers/seeds.js';
import { paidIntent, simulatorFault } from '../helpers/payments.js';

const paid = paidIntent;
const fault = simulatorFault;

async function eventTypes(g: TestGateway, objectId: string) {
  return (await g.gateway.db.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY seq', [objectId])).map((e) => e.type);
}

async function upstreamRefunds(g: TestGateway, piId: string) {
  return g.gateway.db.query<{ refund_request_id: string; amount: number; status: string }>(
    `SELECT r.refund_request_id, r.amount, r.status FROM sim_refunds r JOIN sim_payments p ON p.payment_id = r.payment_id
      WHERE p.reference_order_id = $1 ORDER BY r.refund_request_id`, [piId]);
}

for (const { kind, skip } of await stores()) {
  describe(`refunds [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind, env: { POLL_SCHEDULE_MS: '400,800,1200' } });
    });
    after(async () => g?.stop());

    test('seed 003\'s request refunds the whole payment; the refund has the seed\'s shape; the charge shows it', async () => {
      const pi = await paid(g);
      const res = await g.api('POST', '/v1/refunds', { reason: 'requested_by_customer', payment_intent: pi.id });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const r = res.body;
      assert.match(r.id, /^re_/);
      assert.equal(r.object, 'refund');
      assert.ok(r.created > 1e12, 'created in milliseconds');
      assert.equal(r.amount, 20);
      assert.equal(r.currency, 'CNY');
      assert.deepEqual(r.metadata, {});
      assert.equal(r.reason, 'requested_by_customer');
      assert.equal(r.status, 'succeeded');
      assert.equal(r.description, null);
      assert.equal(r.payment_intent, pi.id);
      assert.equal(r.failure_reason, null);
      assert.equal(r.charge, pi.latest_charge);
      const charge = (await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body;
      assert.equal(charge.amount_refunded, 20);
      assert.equal(charge.refunded, true);
      assert.deepEqual(await eventTypes(g, r.id), ['refund.created', 'refund.updated', 'charge.refund.updated']);
      assert.deepEqual(await eventTypes(g, charge.id), ['charge.succeeded', 'charge.refunded']);
      const again = await g.api('POST', '/v1/refunds', { payment_intent: pi.id });
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'charge_already_refunded');
    });

    test('several partial refunds until nothing remains; more than remains is a 400 that changes nothing', async () => {
      const pi = await paid(g, 1000, 'HKD');
      const a = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 300, metadata: { line: '1' } });
      assert.equal(a.body.status, 'succeeded');
      const b = await g.api('POST', '/v1/refunds', { charge: pi.latest_charge, amount: 450 });
      assert.equal(b.body.status, 'succeeded');
      const before = (await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds')).at(0)!.n;
      const tooMuch = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 251 });
      assert.equal(tooMuch.status, 400);
      assert.equal(tooMuch.body.error.code, 'amount_too_large');
      assert.equal(tooMuch.body.error.param, 'amount');
      assert.match(tooMuch.body.error.message, /HKD 2\.50/);
      assert.equal((await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds')).at(0)!.n, before);
      const rest = await g.api('POST', '/v1/refunds', { payment_intent: pi.id });
      assert.equal(rest.body.amount, 250, 'the default amount is what remains');
      const charge = (await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body;
      assert.equal(charge.amount_refunded, 1000);
      assert.equal(charge.refunded, true);
      const list = await g.api('GET', `/v1/refunds?payment_intent=${pi.id}`);
      assert.deepEqual(list.body.data.map((r: any) => r.amount), [250, 450, 300]);
      const byCharge = await g.api('GET', `/v1/refunds?charge=${pi.latest_charge}&limit=2`);
      assert.equal(byCharge.body.has_more, true);
      assert.deepEqual((await upstreamRefunds(g, pi.id)).map((r) => r.amount).sort((x, y) => x - y), [250, 300, 450]);
    });

    test('an IDR refund must be whole rupiah like the payment: 150 is a 400 naming amount that creates nothing; 100 is refunded', async () => {
      const created = (await g.api('POST', '/v1/payment_intents', { ...SEED_003_ALIPAYPLUS, amount: 30000 })).body;
      await g.complete(created.next_action.redirect_to_url.url, 'succeeded', { wallet: 'DANA' });
      const pi = await eventually(async () => {
        const p = (await g.api('GET', `/v1/payment_intents/${created.id}`)).body;
        return p.status === 'succeeded' ? p : undefined;
      });
      const written = async () => (await g.gateway.db.query<{ n: number }>(
        'SELECT (SELECT count(*) FROM refunds)::int + (SELECT count(*) FROM events)::int AS n')).at(0)!.n;
      const before = await written();
      for (const body of [{ payment_intent: pi.id, amount: 150 }, { charge: pi.latest_charge, amount: 29950 }, { payment_intent: pi.id, amount: 1 }]) {
        const res = await g.api('POST', '/v1/refunds', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, 'amount');
        assert.equal(res.body.error.code, 'invalid_amount');
        assert.match(res.body.error.message, /whole rupiah/);
      }
      assert.equal(await written(), before, 'no refund and no event');
      assert.deepEqual(await upstreamRefunds(g, pi.id), [], 'nothing was sent to Antom');
      assert.equal((await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body.amount_refunded, 0);
      const ok = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 100 });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.status, 'succeeded');
      assert.equal(ok.body.currency, 'IDR');
      assert.deepEqual((await upstreamRefunds(g, pi.id)).map((r) => r.amount), [100]);
      const rest = await g.api('POST', '/v1/refunds', { payment_intent: pi.id });
      assert.equal(rest.body.amount, 29900, 'what remains is whole rupiah too');
    });

    test('refunding what has not succeeded, or nothing at all, is a clear 400; unknown ones are 404', async () => {
      const open = (await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' })).body;
      const notPaid = await g.api('POST', '/v1/refunds', { payment_intent: open.id });
      assert.equal(notPaid.status, 400);
      assert.equal(notPaid.body.error.code, 'charge_not_refundable');
      assert.match(notPaid.body.error.message, /requires_payment_method/);
      const none = await g.api('POST', '/v1/refunds', { amount: 5 });
      assert.equal(none.status, 400);
      assert.equal(none.body.error.param, 'payment_intent');
      const missing = await g.api('POST', '/v1/refunds', { payment_intent: 'pi_nope' });
      assert.equal(missing.status, 404);
      const badReason = await g.api('POST', '/v1/refunds', { payment_intent: open.id, reason: 'changed_mind' });
      assert.equal(badReason.body.error.param, 'reason');
      const zero = await g.api('POST', '/v1/refunds', { payment_intent: open.id, amount: 0 });
      assert.equal(zero.body.error.param, 'amount');
    });

    test('twenty concurrent refunds never take more than was received', async () => {
      const pi = await paid(g, 20);
      const results = await Promise.all(Array.from({ length: 20 }, () => g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 3 })));
      const okCount = results.filter((r) => r.status === 200).length;
      assert.equal(okCount, 6, results.map((r) => r.status).join());
      assert.ok(results.every((r) => r.status === 200 || (r.status === 400 && r.body.error.code === 'amount_too_large')));
      const charge = (await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body;
      assert.equal(charge.amount_refunded, 18);
      const upstream = await upstreamRefunds(g, pi.id);
      assert.equal(upstream.reduce((n, r) => n + r.amount, 0), 18);
    });

    test('Antom declines the refund: failed with failure_reason, refund.failed, and the money counts as unrefunded again', async () => {
      const pi = await paid(g, 20);
      await fault(g, { api: 'refund', kind: 'fail', code: 'REFUND_WINDOW_EXCEED' });
      const res = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 10 });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'failed');
      assert.equal(res.body.failure_reason, 'refund_window_exceeded');
      assert.deepEqual(await eventTypes(g, res.body.id), ['refund.created', 'refund.failed', 'refund.updated', 'charge.refund.updated']);
      assert.equal((await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body.amount_refunded, 0);
      const retry = await g.api('POST', '/v1/refunds', { payment_intent: pi.id });
      assert.equal(retry.body.amount, 20);
      assert.equal(retry.body.status, 'succeeded');
    });

    test('an Antom timeout is retried with the same refundRequestId: one refund upstream', async () => {
      const pi = await paid(g, 20);
      await fault(g, { api: 'refund', kind: 'timeout', delay_ms: 4000 });
      const res = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 7 });
      assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
      const upstream = await upstreamRefunds(g, pi.id);
      assert.deepEqual(upstream.map((r) => [r.refund_request_id, r.amount]), [[res.body.id, 7]]);
    });

    test('no answer at all: the refund stays pending, the poller sends the same request, never refunding twice', async () => {
      const pi = await paid(g, 20);
      await fault(g, { api: 'refund', kind: 'http_500', times: 9 });
      const res = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 20 });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'pending');
      const blocked = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 1 });
      assert.equal(blocked.body.error.code, 'charge_already_refunded', 'a pending refund holds its amount');
      const done = await eventually(async () => {
        const r = (await g.api('GET', `/v1/refunds/${res.body.id}`)).body;
        return r.status === 'succeeded' ? r : undefined;
      });
      assert.equal(done.amount, 20);
      const upstream = await upstreamRefunds(g, pi.id);
      assert.deepEqual(upstream.map((r) => [r.refund_request_id, r.amount]), [[res.body.id, 20]]);
    });

    test('a refund Antom settles later arrives by notifyRefund', async () => {
      const pi = await paid(g, 20);
      await fault(g, { api: 'refund', kind: 'async', delay_ms: 100 });
      const res = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 4 });
      assert.equal(res.body.status, 'pending');
      const done = await eventually(async () => {
        const r = (await g.api('GET', `/v1/refunds/${res.body.id}`)).body;
        return r.status === 'succeeded' ? r : undefined;
      });
      assert.equal(done.status, 'succeeded');
      // The poller's inquiry may settle the refund before the notification lands; either way the
      // notification must then arrive and verify (applied, or a duplicate of what the poll applied).
      const verified = await eventually(async () => {
        const log = await g.gateway.db.query<{ verdict: string }>("SELECT verdict FROM upstream_notifications WHERE payment_request_id = $1", [res.body.id]);
        return log.some((l) => l.verdict === 'applied' || l.verdict === 'duplicate') || undefined;
      }).catch(() => false);
      assert.ok(verified, 'the notifyRefund was received and verified');
    });

    test('retrieve with expand, update metadata, Idempotency-Key on create', async () => {
      const pi = await paid(g, 20);
      const created = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 2 }, { idempotencyKey: 'refund-key-1' });
      const replay = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 2 }, { idempotencyKey: 'refund-key-1' });
      assert.equal(replay.body.id, created.body.id);
      assert.equal((await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body.amount_refunded, 2);
      const updated = await g.api('POST', `/v1/refunds/${created.body.id}`, { metadata: { ticket: 'T-1' } });
      assert.deepEqual(updated.body.metadata, { ticket: 'T-1' });
      const expanded = await g.api('GET', `/v1/refunds/${created.body.id}?expand[]=charge&expand[]=payment_intent`);
      assert.equal(expanded.body.charge.object, 'charge');
      assert.equal(expanded.body.payment_intent.object, 'payment_intent');
    });

    test('the official stripe SDK creates, lists, retrieves and updates refunds', async () => {
      const pi = await paid(g, 20);
      const stripe = new Stripe(g.secretKey, { host: '127.0.0.1', port: Number(new URL(g.url).port), protocol: 'http', telemetry: false });
      const r = await stripe.refunds.create({ payment_intent: pi.id, amount: 5, reason: 'duplicate' });
      assert.equal(r.status, 'succeeded');
      const list = await stripe.refunds.list({ payment_intent: pi.id });
      assert.deepEqual(list.data.map((x) => x.id), [r.id]);
      assert.equal((await stripe.refunds.retrieve(r.id)).amount, 5);
      assert.deepEqual((await stripe.refunds.update(r.id, { metadata: { a: 'b' } })).metadata, { a: 'b' });
      await assert.rejects(stripe.refunds.create({ payment_intent: pi.id, amount: 16 }), (err: any) => err.type === 'StripeInvalidRequestError' && err.code === 'amount_too_large');
    });
  });
}
