/**
 * Our objects against Stripe's own OpenAPI schemas (test/fixtures/stripe-schemas.json, API
 * 2023-08-16), in the dialect Stripe's SDKs get (every request names a Stripe-Version): what the
 * official SDKs' types promise must hold, with no conversion of our answers. The one extension the
 * schema is told about is the seeds' payment method type `alipayplus`, which Stripe lacks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { check, STRIPE } from '../helpers/stripe-schemas.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_CHECKOUT, SEED_000_WEB, SEED_003_ALIPAYPLUS, SEED_003_CHECKOUT } from '../helpers/seeds.js';
import { startReceiver } from '../helpers/processes.js';

describe('objects validate against Stripe\'s OpenAPI schemas', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
  });
  after(async () => g?.stop());
  const api = (method: string, path: string, body?: unknown) => g.api(method, path, body, { headers: STRIPE });

  test('payment_intent in every status, charge, payment_method, list and error', async () => {
    const plain = await api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' });
    check('payment_intent', plain.body);
    const action = await api('POST', '/v1/payment_intents', SEED_000_WEB);
    check('payment_intent', action.body);
    const plus = await api('POST', '/v1/payment_intents', SEED_003_ALIPAYPLUS);
    check('payment_intent', plus.body);
    await g.complete(action.body.next_action.redirect_to_url.url, 'succeeded');
    const paid = await eventually(async () => {
      const pi = (await api('GET', `/v1/payment_intents/${action.body.id}?expand[]=latest_charge&expand[]=payment_method`)).body;
      return pi.status === 'succeeded' ? pi : undefined;
    });
    check('payment_intent', paid);
    check('charge', paid.latest_charge);
    check('payment_method', paid.payment_method);
    await g.complete(plus.body.next_action.redirect_to_url.url, 'failed', { wallet: 'AKULAKU_PAYLATER' });
    const failed = await eventually(async () => {
      const pi = (await api('GET', `/v1/payment_intents/${plus.body.id}?expand[]=latest_charge`)).body;
      return pi.status === 'requires_payment_method' ? pi : undefined;
    });
    check('payment_intent', failed);
    check('charge', failed.latest_charge);
    const canceled = await api('POST', `/v1/payment_intents/${plain.body.id}/cancel`, {});
    check('payment_intent', canceled.body);
    const err = await api('POST', '/v1/payment_intents', { amount: 'x', currency: 'cny' });
    check('error', err.body);
    const list = await api('GET', '/v1/payment_intents?limit=3');
    assert.equal(list.body.object, 'list');
    for (const pi of list.body.data) check('payment_intent', pi);
    const refund = await api('POST', '/v1/refunds', { payment_intent: paid.id, amount: 5 });
    check('refund', refund.body);
    const we = await api('POST', '/v1/webhook_endpoints', { url: 'http://localhost:9/hook', enabled_events: ['*'] });
    check('webhook_endpoint', we.body);
    const schemaOf: Record<string, string> = { payment_intent: 'payment_intent', charge: 'charge', refund: 'refund', webhook_endpoint: 'webhook_endpoint' };
    const events = (await api('GET', '/v1/events?limit=100')).body.data;
    assert.ok(events.length > 5);
    for (const e of events) {
      check('event', e);
      check(schemaOf[e.data.object.object]!, e.data.object);
    }
  });

  test('checkout sessions, line items, products, prices and their events', async () => {
    const product = await api('POST', '/v1/products', { name: 'Tea', metadata: { currency: 'KEEP' } });
    check('product', product.body);
    assert.equal(product.body.metadata.currency, 'KEEP', 'the merchant\'s metadata is never rewritten');
    const price = await api('POST', '/v1/prices', { product: product.body.id, currency: 'HKD', unit_amount: 1200 });
    check('price', price.body);
    for (const body of [SEED_000_CHECKOUT, SEED_003_CHECKOUT]) {
      const cs = await api('POST', '/v1/checkout/sessions', body);
      assert.equal(cs.status, 200, JSON.stringify(cs.body));
      // The seeds' extension: line_items inline; Stripe's schema knows the session without them.
      const { line_items: items, ...session } = cs.body;
      check('checkout.session', session);
      for (const li of items.data) check('item', li);
      const expired = await api('POST', `/v1/checkout/sessions/${cs.body.id}/expire`, {});
      const { line_items: _, ...after } = expired.body;
      check('checkout.session', after);
    }
    const events = (await api('GET', '/v1/events?limit=100&type=checkout.session.expired')).body.data;
    assert.ok(events.length >= 2);
    for (const e of events) check('event', e);
  });

  test('a dispute, its list, the disputed charge and the dispute events', async () => {
    const pi = await api('POST', '/v1/payment_intents', SEED_000_WEB);
    await g.complete(pi.body.next_action.redirect_to_url.url, 'succeeded');
    await eventually(async () => (await api('GET', `/v1/payment_intents/${pi.body.id}`)).body.status === 'succeeded');
    const opened = await fetch(`${g.url}/simulator/v1/disputes`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_intent: pi.body.id }) });
    assert.equal(opened.status, 200);
    const dispute = await eventually(async () => (await api('GET', `/v1/disputes?payment_intent=${pi.body.id}`)).body.data[0]);
    // The fixture's dispute comes from the stripe package's types (test/fixtures/README.md); the names are checked here too.
    check('dispute', dispute);
    const fields = ['id', 'object', 'amount', 'balance_transactions', 'charge', 'created', 'currency', 'evidence', 'evidence_details',
      'is_charge_refundable', 'livemode', 'metadata', 'payment_intent', 'reason', 'status'];
    for (const f of fields) assert.ok(f in dispute, `dispute.${f}`);
    assert.ok(['warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost'].includes(dispute.status));
    assert.deepEqual(Object.keys(dispute.evidence_details).sort(), ['due_by', 'has_evidence', 'past_due', 'submission_count']);
    check('dispute', (await api('GET', `/v1/disputes/${dispute.id}`)).body);
    const charge = (await api('GET', `/v1/charges/${dispute.charge}`)).body;
    check('charge', charge);
    assert.equal(charge.disputed, true);
    const events = (await api('GET', `/v1/events?limit=10&types[]=charge.dispute.created&types[]=charge.dispute.funds_withdrawn`)).body.data;
    assert.equal(events.length, 2);
    for (const e of events) {
      check('event', e);
      check('dispute', e.data.object);
    }
  });

  test('balance transactions of a charge, a refund and a dispute, expanded on their objects and listed; the balance', async () => {
    const list = (await api('GET', '/v1/balance_transactions?limit=100&expand[]=data.source')).body;
    const kinds = new Set<string>();
    for (const t of list.data) {
      check('balance_transaction', t);
      assert.ok(t.available_on < 1e11, 'available_on in seconds');
      kinds.add(t.reporting_category);
    }
    for (const k of ['charge', 'refund', 'dispute']) assert.ok(kinds.has(k), `a ${k} transaction (from the tests above)`);
    const charge = list.data.find((t: { type: string }) => t.type === 'charge').source;
    check('charge', charge);
    const expanded = (await api('GET', `/v1/charges/${charge.id}?expand[]=balance_transaction`)).body;
    check('charge', expanded);
    check('balance_transaction', expanded.balance_transaction);
    const refund = list.data.find((t: { type: string }) => t.type === 'refund');
    check('refund', (await api('GET', `/v1/refunds/${refund.source.id}?expand[]=balance_transaction`)).body);
    const dispute = (await api('GET', '/v1/disputes?limit=1')).body.data[0];
    for (const t of dispute.balance_transactions) check('balance_transaction', t);
    const balance = (await api('GET', '/v1/balance')).body;
    assert.equal(balance.object, 'balance');
    for (const line of [...balance.available, ...balance.pending]) assert.deepEqual(Object.keys(line).sort(), ['amount', 'currency', 'source_types']);
  });

  test('without a Stripe-Version the seeds\' conventions hold: milliseconds, upper-case currency, failure_reason null', async () => {
    const pi = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
    assert.ok(pi.body.created > 1e12, `created ${pi.body.created} in milliseconds`);
    assert.equal(pi.body.currency, 'CNY');
    assert.equal(pi.headers.get('stripe-version'), null);
    await g.complete(pi.body.next_action.redirect_to_url.url, 'succeeded');
    await eventually(async () => (await g.api('GET', `/v1/payment_intents/${pi.body.id}`)).body.status === 'succeeded');
    const refund = await g.api('POST', '/v1/refunds', { payment_intent: pi.body.id });
    assert.ok('failure_reason' in refund.body);
    assert.equal(refund.body.failure_reason, null);
    const same = await api('GET', `/v1/refunds/${refund.body.id}`);
    assert.ok(!('failure_reason' in same.body), 'Stripe\'s SDKs do not get the null');
    assert.equal(same.headers.get('stripe-version'), '2023-08-16');
  });

  test('automatic_payment_methods[enabled] from Stripe\'s quickstart is accepted and shown', async () => {
    const pi = await g.api('POST', '/v1/payment_intents', 'amount=2000&currency=hkd&automatic_payment_methods[enabled]=true', { form: true, headers: STRIPE });
    assert.equal(pi.status, 200, JSON.stringify(pi.body));
    check('payment_intent', pi.body);
    assert.deepEqual(pi.body.automatic_payment_methods, { enabled: true });
    assert.ok(pi.body.payment_method_types.includes('alipay'));
    const both = await g.api('POST', '/v1/payment_intents', { amount: 2000, currency: 'hkd', automatic_payment_methods: { enabled: true }, payment_method_types: ['alipay'] });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.param, 'automatic_payment_methods');
    const never = await g.api('POST', '/v1/payment_intents', { amount: 2000, currency: 'hkd', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } });
    assert.equal(never.status, 400);
    assert.equal(never.body.error.param, 'automatic_payment_methods[allow_redirects]');
  });

  test('a webhook endpoint\'s api_version picks the dialect of the events it receives', async () => {
    const receiver = await startReceiver();
    try {
      const stripeHook = await api('POST', '/v1/webhook_endpoints', { url: `${receiver.url}?stripe`, enabled_events: ['payment_intent.created'] });
      assert.equal(stripeHook.body.api_version, '2023-08-16', 'a Stripe SDK naming no api_version gets its own');
      const seedHook = await g.api('POST', '/v1/webhook_endpoints', { url: `${receiver.url}?seed`, enabled_events: ['payment_intent.created'], api_version: '1.0.1' });
      assert.equal(seedHook.status, 200);
      const pi = await g.api('POST', '/v1/payment_intents', { amount: 300, currency: 'CNY' });
      const bodies = await eventually(async () => {
        const got = receiver.received.map((r) => JSON.parse(r.body)).filter((e) => e.data.object.id === pi.body.id);
        return got.length === 2 ? got : undefined;
      });
      const byDialect = bodies.sort((a, b) => a.created - b.created);
      const [stripeEvent, seedEvent] = byDialect;
      check('event', stripeEvent);
      assert.equal(stripeEvent.data.object.currency, 'cny');
      assert.ok(seedEvent.created > 1e12);
      assert.equal(seedEvent.data.object.currency, 'CNY');
      await api('DELETE', `/v1/webhook_endpoints/${stripeHook.body.id}`);
      await api('DELETE', `/v1/webhook_endpoints/${seedHook.body.id}`);
    } finally {
      await receiver.close();
    }
  });
});
