/** The official `stripe` npm SDK, unchanged, pointed at our host. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { check } from '../helpers/stripe-schemas.js';

function client(g: TestGateway, key = g.secretKey) {
  const port = Number(new URL(g.url).port);
  return new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 2, telemetry: false });
}

/**
 * stripe@23's types no longer list payment_method_types (newer API versions prefer automatic
 * methods), but the SDK sends whatever it is given; merchants cast, as here.
 */
const params = (p: Record<string, unknown>) => p as unknown as Stripe.PaymentIntentCreateParams;
const alipayWeb = { alipay: { terminal_type: 'WEB' } } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodOptions;

for (const { kind, skip } of await stores()) {
  describe(`official stripe SDK [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let stripe: Stripe;
    before(async () => {
      g = await startGateway({ store: kind });
      stripe = client(g);
    });
    after(async () => g?.stop());

    test('create → confirm → shopper authorizes in the simulator → succeeded, with the charge expanded', async () => {
      const created = await stripe.paymentIntents.create(params({
        amount: 2000, currency: 'cny', payment_method_types: ['alipay'], payment_method_options: alipayWeb,
        description: 'Order 1001', metadata: { order_id: '1001' },
      }));
      assert.equal(created.status, 'requires_payment_method');
      // Stripe's conventions for Stripe's SDK: lower-case currency, timestamps in seconds.
      assert.equal(created.currency, 'cny');
      assert.ok(Math.abs(created.created - Date.now() / 1000) < 600, `created ${created.created} is in seconds`);
      assert.match(created.lastResponse.requestId, /^req_/);
      const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method_data: { type: 'alipay' }, return_url: 'https://shop.example/return' });
      assert.equal(confirmed.status, 'requires_action');
      const url = confirmed.next_action?.redirect_to_url?.url;
      assert.ok(url);
      assert.equal(confirmed.next_action?.alipay_handle_redirect?.url, url);
      const done = await g.complete(url!, 'succeeded');
      assert.equal(done.status, 200);
      const paid = await eventually(async () => {
        const pi = await stripe.paymentIntents.retrieve(created.id, { expand: ['latest_charge', 'payment_method'] });
        return pi.status === 'succeeded' ? pi : undefined;
      });
      assert.equal(paid.amount_received, 2000);
      const charge = paid.latest_charge as Stripe.Charge;
      assert.equal(charge.object, 'charge');
      assert.equal(charge.status, 'succeeded');
      assert.equal((paid.payment_method as Stripe.PaymentMethod).type, 'alipay');
      assert.deepEqual(paid.metadata, { order_id: '1001' });
      const charges = await stripe.charges.list({ payment_intent: created.id });
      assert.deepEqual(charges.data.map((c) => c.id), [charge.id]);
      assert.equal((await stripe.charges.retrieve(charge.id)).amount, 2000);
    });

    test('stripe.disputes.list, retrieve, update (evidence, submit) and close: a dispute the simulator opened', async () => {
      const created = await stripe.paymentIntents.create(params({ amount: 1500, currency: 'cny', payment_method_types: ['alipay'], payment_method_options: alipayWeb }));
      const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method_data: { type: 'alipay' }, return_url: 'https://shop.example/return' });
      await g.complete(confirmed.next_action!.redirect_to_url!.url!, 'succeeded');
      await eventually(async () => (await stripe.paymentIntents.retrieve(created.id)).status === 'succeeded');
      const opened = await fetch(`${g.url}/simulator/v1/disputes`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_intent: created.id, amount: 500 }),
      });
      assert.equal(opened.status, 200);
      const listed = await eventually(async () => {
        const page = await stripe.disputes.list({ payment_intent: created.id });
        return page.data.length === 1 ? page : undefined;
      });
      const d = listed.data[0]!;
      assert.match(d.id, /^dp_/);
      assert.equal(d.status, 'needs_response');
      assert.equal(d.amount, 500);
      assert.equal(d.currency, 'cny');
      assert.ok(d.evidence_details.due_by! < 1e11, 'due_by in seconds');
      const one = await stripe.disputes.retrieve(d.id, { expand: ['charge'] });
      assert.equal((one.charge as Stripe.Charge).disputed, true);
      const byCharge = await stripe.disputes.list({ charge: (one.charge as Stripe.Charge).id });
      assert.deepEqual(byCharge.data.map((x) => x.id), [d.id]);
      const updated = await stripe.disputes.update(d.id, { evidence: { uncategorized_text: 'Delivered on time.' }, metadata: { case: '1' }, submit: true });
      assert.equal(updated.status, 'under_review');
      assert.equal(updated.evidence.uncategorized_text, 'Delivered on time.');
      assert.equal(updated.evidence_details.submission_count, 1);
      assert.deepEqual(updated.metadata, { case: '1' });
      const closed = await stripe.disputes.close(d.id);
      assert.equal(closed.status, 'lost');
      for (const x of [d, one, updated, closed]) check('dispute', x);

      // An inquiry (Antom's retrieval request) through the SDK: listed, documents submitted, then closed by Antom's VALIDATE_SUCCESS.
      const inquiryPi = await stripe.paymentIntents.create(params({ amount: 900, currency: 'cny', payment_method_types: ['alipay'], payment_method_options: alipayWeb }));
      const inquiryConfirmed = await stripe.paymentIntents.confirm(inquiryPi.id, { payment_method_data: { type: 'alipay' }, return_url: 'https://shop.example/return' });
      await g.complete(inquiryConfirmed.next_action!.redirect_to_url!.url!, 'succeeded');
      await eventually(async () => (await stripe.paymentIntents.retrieve(inquiryPi.id)).status === 'succeeded');
      const retrieval = await fetch(`${g.url}/simulator/v1/disputes`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_intent: inquiryPi.id, kind: 'retrieval' }),
      });
      const simId = ((await retrieval.json()) as { dispute_id: string }).dispute_id;
      const inquiry = await eventually(async () => (await stripe.disputes.list({ payment_intent: inquiryPi.id })).data[0]);
      assert.equal(inquiry.status, 'warning_needs_response');
      assert.equal(inquiry.is_charge_refundable, true);
      const documented = await stripe.disputes.update(inquiry.id, { evidence: { product_description: 'Tea' }, submit: true });
      assert.equal(documented.status, 'warning_under_review');
      await fetch(`${g.url}/simulator/v1/disputes/${simId}/judge`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ result: 'VALIDATE_SUCCESS' }) });
      const done = await eventually(async () => {
        const x = await stripe.disputes.retrieve(inquiry.id);
        return x.status === 'warning_closed' ? x : undefined;
      });
      for (const x of [inquiry, documented, done]) check('dispute', x);
    });

    test('a failed payment surfaces as requires_payment_method with last_payment_error', async () => {
      const pi = await stripe.paymentIntents.create(params({
        amount: 500, currency: 'hkd', confirm: true, payment_method_types: ['alipay'],
        payment_method_data: { type: 'alipay' }, return_url: 'https://shop.example/return',
      }));
      assert.equal(pi.status, 'requires_action');
      await g.complete(pi.next_action!.redirect_to_url!.url!, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' });
      const failed = await eventually(async () => {
        const p = await stripe.paymentIntents.retrieve(pi.id);
        return p.status === 'requires_payment_method' ? p : undefined;
      });
      assert.equal(failed.last_payment_error?.code, 'payment_method_provider_decline');
      assert.equal(failed.last_payment_error?.decline_code, 'user_balance_not_enough');
    });

    test('a decline at pay time throws StripeCardError carrying the PaymentIntent', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'fail', code: 'RISK_REJECT' }) });
      await assert.rejects(
        stripe.paymentIntents.create(params({ amount: 500, currency: 'cny', confirm: true, payment_method_data: { type: 'alipay' }, payment_method_types: ['alipay'], return_url: 'https://x.example' })),
        (err: any) => err.type === 'StripeCardError' && err.statusCode === 402 && err.decline_code === 'risk_reject' && err.payment_intent?.status === 'requires_payment_method',
      );
    });

    test('errors map to the SDK\'s classes: invalid request, authentication, idempotency, missing resource', async () => {
      await assert.rejects(stripe.paymentIntents.create({ amount: -1, currency: 'cny' }), (err: any) =>
        err.type === 'StripeInvalidRequestError' && err.param === 'amount' && /^req_/.test(err.requestId));
      await assert.rejects(client(g, 'sk_test_wrongwrongwrong').paymentIntents.list(), (err: any) => err.type === 'StripeAuthenticationError');
      await assert.rejects(stripe.paymentIntents.retrieve('pi_missing'), (err: any) => err.type === 'StripeInvalidRequestError' && err.code === 'resource_missing' && err.statusCode === 404);
      await stripe.paymentIntents.create({ amount: 1, currency: 'cny' }, { idempotencyKey: 'sdk-idem-1' });
      await assert.rejects(stripe.paymentIntents.create({ amount: 2, currency: 'cny' }, { idempotencyKey: 'sdk-idem-1' }), (err: any) => err.type === 'StripeIdempotencyError');
    });

    test('the SDK\'s own retry of a 5xx (same Idempotency-Key) completes the payment once', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'http_500', times: 3 }) });
      const pi = await stripe.paymentIntents.create(params({
        amount: 777, currency: 'cny', confirm: true, payment_method_types: ['alipay'], payment_method_data: { type: 'alipay' }, return_url: 'https://x.example',
      }));
      assert.equal(pi.status, 'requires_action');
      const rows = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_intents WHERE amount = 777');
      assert.equal(rows[0]!.n, 1);
    });

    test('update, cancel, and auto-pagination over the list', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await stripe.paymentIntents.create({ amount: 300 + i, currency: 'gbp', metadata: { batch: 'pg' } })).id);
      const updated = await stripe.paymentIntents.update(ids[0]!, { metadata: { batch: '', note: 'first' }, description: 'updated' });
      assert.deepEqual(updated.metadata, { note: 'first' });
      const canceled = await stripe.paymentIntents.cancel(ids[1]!, { cancellation_reason: 'abandoned' });
      assert.equal(canceled.status, 'canceled');
      const seen: string[] = [];
      for await (const pi of stripe.paymentIntents.list({ limit: 3 })) seen.push(pi.id);
      for (const id of ids) assert.ok(seen.includes(id));
      assert.equal(new Set(seen).size, seen.length, 'no duplicates across pages');
    });

    test('webhook endpoints and events through the SDK', async () => {
      const we = await stripe.webhookEndpoints.create({ url: 'http://localhost:9/sdk-hook', enabled_events: ['payment_intent.created', 'refund.created'], description: 'sdk' });
      assert.match(we.secret ?? '', /^whsec_/);
      assert.deepEqual(we.enabled_events, ['payment_intent.created', 'refund.created']);
      const listed = await stripe.webhookEndpoints.list();
      assert.ok(listed.data.some((w) => w.id === we.id));
      const updated = await stripe.webhookEndpoints.update(we.id, { disabled: true, metadata: { owner: 'ops' } });
      assert.equal(updated.status, 'disabled');
      assert.equal((await stripe.webhookEndpoints.retrieve(we.id)).secret, undefined);
      await assert.rejects(stripe.webhookEndpoints.create({ url: 'http://localhost:9/x', enabled_events: ['nope.nope' as never] }), (err: any) => err.param === 'enabled_events[0]');
      const deleted = await stripe.webhookEndpoints.del(we.id);
      assert.equal(deleted.deleted, true);
      const pi = await stripe.paymentIntents.create({ amount: 123, currency: 'cny' });
      const events = await stripe.events.list({ type: 'payment_intent.created', limit: 5 });
      const ev = events.data.find((e) => (e.data.object as { id: string }).id === pi.id);
      assert.ok(ev);
      assert.equal((await stripe.events.retrieve(ev!.id)).type, 'payment_intent.created');
    });

    test('a publishable key retrieves a PaymentIntent with its client_secret', async () => {
      const pi = await stripe.paymentIntents.create({ amount: 100, currency: 'cny' });
      const pk = client(g, g.publishableKey);
      const seen = await pk.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! });
      assert.equal(seen.id, pi.id);
      await assert.rejects(pk.paymentIntents.list(), (err: any) => err.statusCode === 401);
    });
  });
}
