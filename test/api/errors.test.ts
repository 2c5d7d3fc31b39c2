/**
 * Errors a person can act on: each carries a doc_url into the gateway's own reference page, a
 * Stripe resource OpenCashier does not serve says so, and a path outside /v1 is answered in the
 * /v1 error shape with a hint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ERROR_CODES } from '../../src/api/v1/error-codes.js';

describe('errors a person can act on', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
  });
  after(async () => g?.stop());

  test('every error with a code carries doc_url, and the page it points to explains that code', async () => {
    const bad = await g.api('POST', '/v1/payment_intents', { amount: 'ten', currency: 'CNY' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.doc_url, `${g.url}/docs/errors#${bad.body.error.code}`);
    const missing = await g.api('GET', '/v1/payment_intents/pi_doesnotexist');
    assert.equal(missing.body.error.doc_url, `${g.url}/docs/errors#resource_missing`);
    const stripeStyle = await g.api('GET', '/v1/payment_intents/pi_doesnotexist', undefined, { headers: { 'Stripe-Version': '2023-08-16' } });
    assert.equal(stripeStyle.body.error.doc_url, `${g.url}/docs/errors#resource_missing`);
    const page = await fetch(`${g.url}/docs/errors`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    for (const code of [bad.body.error.code, 'resource_missing', 'upstream_unavailable', 'invalid_amount']) {
      assert.ok(html.includes(`id="${code}"`), `the page explains ${code}`);
    }
  });

  test('the codes the API answers with are all on the reference page', async () => {
    const seen = new Set<string>();
    const tries: [string, string, unknown?][] = [
      ['POST', '/v1/payment_intents', { amount: 150, currency: 'IDR', payment_method_types: ['alipayplus'] }],
      ['POST', '/v1/payment_intents', { amount: 1, currency: 'XXX' }],
      ['POST', '/v1/payment_intents', { amount: 100, currency: 'CNY', bogus: 1 }],
      ['POST', '/v1/payment_intents', { currency: 'CNY' }],
      ['GET', '/v1/charges/ch_nothing'],
      ['POST', '/v1/refunds', { payment_intent: 'pi_nothing' }],
      ['GET', '/v1/customers'],
    ];
    for (const [method, path, body] of tries) {
      const r = await g.api(method, path, body);
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path}: ${r.status}`);
      if (r.body.error.code) seen.add(r.body.error.code);
    }
    for (const code of seen) assert.ok(ERROR_CODES[code], `${code} is documented on /docs/errors`);
  });

  test('an IDR amount with cents names the whole-rupiah rule, not an unsupported currency', async () => {
    const r = await g.api('POST', '/v1/payment_intents', { amount: 15050, currency: 'IDR', payment_method_types: ['alipayplus'] });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.param, 'amount');
    assert.match(r.body.error.message, /whole rupiah/);
    assert.doesNotMatch(r.body.error.message, /not supported/);
  });

  test('a Stripe resource OpenCashier does not serve says so, naming what it does serve', async () => {
    for (const path of ['/v1/customers', '/v1/subscriptions/sub_123', '/v1/invoices']) {
      const r = await g.api('GET', path);
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'resource_not_supported');
      assert.match(r.body.error.message, /OpenCashier does not support/);
      assert.match(r.body.error.message, /payment_intents/);
    }
    const typo = await g.api('GET', '/v1/paymentintents');
    assert.equal(typo.status, 404);
    assert.match(typo.body.error.message, /Unrecognized request URL/);
  });

  test('a path outside /v1 gets the /v1 error shape and a hint', async () => {
    const r = await g.api('POST', '/payment_intents', { amount: 1, currency: 'CNY' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.type, 'invalid_request_error');
    assert.match(r.body.error.message, /did you mean \/v1\/payment_intents/);
  });
});
