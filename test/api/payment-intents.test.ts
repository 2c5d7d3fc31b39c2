import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_APP, SEED_000_WEB, SEED_003_ALIPAYPLUS } from '../helpers/seeds.js';
import { BAD_REDIRECT_URLS } from '../helpers/redirect-urls.js';
import { createPaymentIntent } from '../../src/core/payment-intents/create.js';
import { createCheckoutSession } from '../../src/core/checkout/create.js';

const counts = async (g: TestGateway) => {
  const rows = await g.gateway.db.query<{ t: string; n: number }>(
    `SELECT 'pi' t, count(*)::int n FROM payment_intents UNION ALL SELECT 'pm', count(*)::int FROM payment_methods
     UNION ALL SELECT 'ev', count(*)::int FROM events UNION ALL SELECT 'pa', count(*)::int FROM payment_attempts
     UNION ALL SELECT 'idem', count(*)::int FROM idempotency_keys`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
};

for (const { kind, skip } of await stores()) {
  describe(`PaymentIntents API [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('seed 000 Web Payment JSON gives requires_action with the desktop cashier, in the seed\'s shape', async () => {
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const pi = res.body;
      assert.match(pi.id, /^pi_/);
      assert.equal(pi.object, 'payment_intent');
      assert.equal(pi.amount, 20);
      assert.equal(pi.currency, 'CNY');
      assert.equal(pi.status, 'requires_action');
      assert.equal(pi.livemode, false);
      assert.ok(pi.created > 1e12 && Math.abs(pi.created - Date.now()) < 60_000, 'created is in milliseconds');
      assert.match(pi.client_secret, new RegExp(`^${pi.id}_secret_[A-Za-z0-9]{24}$`));
      assert.equal(pi.next_action.type, 'redirect_to_url');
      assert.match(pi.next_action.alipay_handle_redirect.url, /\/simulator\/cashier\?codeValue=/);
      assert.equal(pi.next_action.redirect_to_url.url, pi.next_action.alipay_handle_redirect.url);
      assert.equal(pi.next_action.redirect_to_url.return_url, 'https://wooshpay.com');
      assert.deepEqual(pi.payment_method_types, ['alipay']);
      assert.equal(pi.confirmation_method, 'automatic');
      assert.deepEqual(pi.payment_method_options, { alipay: { terminal_type: 'WEB', os_type: 'IOS', client_ip: '192.168.0.1' } });
      assert.equal(pi.return_url, 'https://wooshpay.com');
      assert.match(pi.payment_method, /^pm_/);
      assert.equal(pi.capture_method, 'automatic');
      for (const f of ['amount_received', 'latest_charge', 'last_payment_error', 'cancellation_reason', 'description', 'metadata']) assert.ok(f in pi, f);
      assert.equal(pi.amount_received, 0);
      assert.match(res.headers.get('request-id') ?? '', /^req_/);
      const page = await fetch(pi.next_action.redirect_to_url.url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<svg/);
    });

    test('seed 000 APP payment JSON gives the wallet-app page', async () => {
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_APP);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'requires_action');
      assert.match(res.body.next_action.alipay_handle_redirect.url, /\/simulator\/wallet\?codeValue=/);
      assert.deepEqual(res.body.payment_method_options.alipay, { terminal_type: 'APP', os_type: 'IOS', client_ip: '192.168.0.1' });
    });

    test('seed 003 Alipay+ JSON (no payment_method_types) gives alipayplus_handle_redirect.normalUrl', async () => {
      const res = await g.api('POST', '/v1/payment_intents', SEED_003_ALIPAYPLUS);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const pi = res.body;
      assert.equal(pi.currency, 'IDR');
      assert.equal(pi.status, 'requires_action');
      assert.ok(pi.payment_method_types.includes('alipayplus'));
      assert.match(pi.next_action.alipayplus_handle_redirect.normalUrl, /\/simulator\/cashier\?codeValue=/);
      assert.equal(pi.next_action.redirect_to_url.url, pi.next_action.alipayplus_handle_redirect.normalUrl);
      assert.deepEqual(pi.payment_method_options, { alipayplus: { terminal_type: 'WEB' } });
      const html = await (await fetch(pi.next_action.redirect_to_url.url)).text();
      assert.match(html, /DANA/);
      assert.doesNotMatch(html, /GCash/);
    });

    test('currency is accepted in any case and returned upper case', async () => {
      const res = await g.api('POST', '/v1/payment_intents', { amount: 1000, currency: 'hkd', payment_method_types: ['alipayplus'] });
      assert.equal(res.status, 200);
      assert.equal(res.body.currency, 'HKD');
      assert.equal(res.body.status, 'requires_payment_method');
      assert.equal(res.body.next_action, null);
    });

    test('create without confirm, attach by update, then confirm: requires_payment_method → requires_confirmation → requires_action', async () => {
      const created = await g.api('POST', '/v1/payment_intents', { amount: 500, currency: 'USD', payment_method_types: ['alipay'], metadata: { order: 'A1' } });
      assert.equal(created.body.status, 'requires_payment_method');
      const updated = await g.api('POST', `/v1/payment_intents/${created.body.id}`, {
        payment_method_data: { type: 'alipay' }, description: 'Two teas', metadata: { note: 'x' },
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.status, 'requires_confirmation');
      assert.deepEqual(updated.body.metadata, { order: 'A1', note: 'x' });
      assert.equal(updated.body.description, 'Two teas');
      const cleared = await g.api('POST', `/v1/payment_intents/${created.body.id}`, { metadata: { order: '' } });
      assert.deepEqual(cleared.body.metadata, { note: 'x' });
      const confirmed = await g.api('POST', `/v1/payment_intents/${created.body.id}/confirm`, { return_url: 'https://shop.example/back' });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.status, 'requires_action');
      const again = await g.api('POST', `/v1/payment_intents/${created.body.id}/confirm`, {});
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'payment_intent_unexpected_state');
      assert.equal(again.body.error.payment_intent.id, created.body.id);
      const amount = await g.api('POST', `/v1/payment_intents/${created.body.id}`, { amount: 999 });
      assert.equal(amount.status, 400);
      assert.equal(amount.body.error.code, 'payment_intent_unexpected_state');
    });

    test('confirm without return_url or payment method is a 400 naming the parameter, and changes nothing', async () => {
      const created = await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' });
      assert.deepEqual(created.body.payment_method_types, ['alipay', 'alipayplus']);
      const before = await counts(g);
      const noMethod = await g.api('POST', `/v1/payment_intents/${created.body.id}/confirm`, { return_url: 'https://x.example' });
      assert.equal(noMethod.status, 400);
      assert.equal(noMethod.body.error.param, 'payment_method_data[type]');
      const noReturn = await g.api('POST', `/v1/payment_intents/${created.body.id}/confirm`, { payment_method_data: { type: 'alipay' } });
      assert.equal(noReturn.status, 400);
      assert.equal(noReturn.body.error.code, 'parameter_missing');
      assert.equal(noReturn.body.error.param, 'return_url');
      assert.deepEqual(await counts(g), before);
      const pi = await g.api('GET', `/v1/payment_intents/${created.body.id}`);
      assert.equal(pi.body.status, 'requires_payment_method');
      assert.equal(pi.body.payment_method, null);
    });

    test('return_url takes http and https only, at create, update and confirm; a refused one writes nothing', async () => {
      const created = (await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' })).body;
      const before = await counts(g);
      for (const bad of BAD_REDIRECT_URLS) {
        for (const [path, body] of [
          ['/v1/payment_intents', { amount: 100, currency: 'CNY', return_url: bad }],
          ['/v1/payment_intents', { ...SEED_000_WEB, return_url: bad }],
          [`/v1/payment_intents/${created.id}`, { return_url: bad }],
          [`/v1/payment_intents/${created.id}/confirm`, { payment_method_data: { type: 'alipay' }, return_url: bad }],
        ] as const) {
          const res = await g.api('POST', path, body);
          assert.equal(res.status, 400, `${path} ${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.param, 'return_url');
          assert.match(res.body.error.message, /http or https/);
        }
      }
      const form = await g.api('POST', `/v1/payment_intents/${created.id}`, 'return_url=%20JavaScript%3Aalert(1)', { form: true });
      assert.equal(form.body.error?.param, 'return_url');
      assert.deepEqual(await counts(g), before);
      const after = (await g.api('GET', `/v1/payment_intents/${created.id}`)).body;
      assert.equal(after.return_url, null);
      assert.equal(after.status, 'requires_payment_method');
      for (const good of ['https://wooshpay.com', 'http://localhost:3000/return?order=7']) {
        const res = await g.api('POST', `/v1/payment_intents/${created.id}`, { return_url: good });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.return_url, good);
      }
    });

    test('core itself refuses a non-http return_url and a checkout URL, whichever front door passes them on', async () => {
      const ctx = { scope: { account_id: g.gateway.account.accountId, livemode: false }, request_id: null, idempotency_key: null };
      const before = await counts(g);
      const pi = await createPaymentIntent(g.gateway.core, ctx, { amount: 100, currency: 'CNY', return_url: 'javascript:alert(1)' });
      assert.deepEqual(pi.ok ? 'created' : [pi.error.kind, (pi.error as { param?: string }).param], ['invalid_request', 'return_url']);
      const cs = await createCheckoutSession(g.gateway.core, ctx, {
        success_url: 'https://shop.example/done', cancel_url: 'data:text/html,<script>alert(1)</script>',
        line_items: [{ price_data: { currency: 'CNY', unit_amount: 100, product_data: { name: 'Tea' } }, quantity: 1 }],
      });
      assert.deepEqual(cs.ok ? 'created' : [cs.error.kind, (cs.error as { param?: string }).param], ['invalid_request', 'cancel_url']);
      assert.deepEqual(await counts(g), before);
    });

    test('bad requests are Stripe-shaped 400s that name the parameter and write nothing', async () => {
      const before = await counts(g);
      const cases: [unknown, string, string][] = [
        [{ currency: 'CNY' }, 'parameter_missing', 'amount'],
        [{ amount: 20 }, 'parameter_missing', 'currency'],
        [{ amount: 'abc', currency: 'CNY' }, 'parameter_invalid_integer', 'amount'],
        [{ amount: -5, currency: 'CNY' }, 'parameter_invalid', 'amount'],
        [{ amount: 20, currency: 'CNY', colour: 'red' }, 'parameter_unknown', 'colour'],
        [{ amount: 20, currency: 'CNY', payment_method_options: { alipay: { terminal_type: 'TV' } } }, 'parameter_invalid', 'payment_method_options[alipay][terminal_type]'],
        [{ amount: 20, currency: 'CNY', payment_method_options: { alipay: { terminal: 'WEB' } } }, 'parameter_unknown', 'payment_method_options[alipay][terminal]'],
        [{ amount: 20, currency: 'IDR', payment_method_types: ['alipay'] }, 'currency_not_supported', 'currency'],
        [{ amount: 250, currency: 'IDR', payment_method_types: ['alipayplus'] }, 'invalid_amount', 'amount'],
        [{ amount: 20, currency: 'XXX' }, 'currency_not_supported', 'currency'],
        [{ amount: 20, currency: 'CNY', payment_method_types: ['card'] }, 'parameter_invalid', 'payment_method_types[0]'],
        [{ amount: 20, currency: 'CNY', payment_method_types: ['alipay'], payment_method_data: { type: 'alipayplus' } }, 'payment_method_not_available', 'payment_method_data[type]'],
        [{ amount: 20, currency: 'CNY', capture_method: 'manual' }, 'parameter_invalid', 'capture_method'],
        [{ amount: 20, currency: 'CNY', confirm: true, payment_method_data: { type: 'alipay' } }, 'parameter_missing', 'return_url'],
        [{ amount: 20, currency: 'CNY', return_url: 'not a url' }, 'parameter_invalid', 'return_url'],
        [{ amount: 20, currency: 'CNY', metadata: { ['k'.repeat(41)]: 'v' } }, 'parameter_invalid', 'metadata'],
      ];
      for (const [body, code, param] of cases) {
        const res = await g.api('POST', '/v1/payment_intents', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.type, 'invalid_request_error');
        assert.equal(res.body.error.code, code, JSON.stringify(res.body));
        assert.equal(res.body.error.param, param, JSON.stringify(res.body));
        assert.ok(res.body.error.message.length > 10);
        assert.match(res.headers.get('request-id') ?? '', /^req_/);
      }
      const malformed = await fetch(`${g.url}/v1/payment_intents`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}`, 'Content-Type': 'application/json' }, body: '{"amount":' });
      assert.equal(malformed.status, 400);
      assert.equal(((await malformed.json()) as any).error.type, 'invalid_request_error');
      assert.deepEqual(await counts(g), before);
    });

    test('form bodies in Stripe\'s bracket encoding work like JSON', async () => {
      const body = 'amount=1000&currency=usd&confirm=true&payment_method_types[0]=alipay&payment_method_data[type]=alipay'
        + '&payment_method_options[alipay][terminal_type]=WAP&payment_method_options[alipay][os_type]=ANDROID'
        + '&metadata[order_id]=A1&metadata[0]=zero&return_url=https%3A%2F%2Fshop.example%2Fr&expand[0]=payment_method';
      const res = await g.api('POST', '/v1/payment_intents', body, { form: true });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.amount, 1000);
      assert.equal(res.body.currency, 'USD');
      assert.equal(res.body.status, 'requires_action');
      assert.deepEqual(res.body.metadata, { order_id: 'A1', '0': 'zero' });
      assert.equal(res.body.payment_method.object, 'payment_method');
      assert.equal(res.body.payment_method.type, 'alipay');
      assert.match(res.body.next_action.redirect_to_url.url, /\/simulator\/wallet\?/);
      const arr = await g.api('POST', '/v1/payment_intents', 'amount=5&currency=GBP&payment_method_types[]=alipay&payment_method_types[]=alipayplus', { form: true });
      assert.deepEqual(arr.body.payment_method_types, ['alipay', 'alipayplus']);
    });

    test('auth: Bearer and Basic work; a missing or wrong key is 401; a publishable key only retrieves with the client_secret', async () => {
      const created = await g.api('POST', '/v1/payment_intents', { amount: 20, currency: 'CNY' });
      const basic = await fetch(`${g.url}/v1/payment_intents/${created.body.id}`, { headers: { Authorization: `Basic ${Buffer.from(g.secretKey + ':').toString('base64')}` } });
      assert.equal(basic.status, 200);
      const none = await fetch(`${g.url}/v1/payment_intents`);
      assert.equal(none.status, 401);
      assert.equal(((await none.json()) as any).error.type, 'invalid_request_error');
      const wrong = await g.api('GET', '/v1/payment_intents', undefined, { key: 'sk_test_nottherightkey000' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.body.error.message, /Invalid API Key provided: sk_test_…y000$/);
      const pkCreate = await g.api('POST', '/v1/payment_intents', { amount: 20, currency: 'CNY' }, { key: g.publishableKey });
      assert.equal(pkCreate.status, 401);
      const pkList = await g.api('GET', '/v1/payment_intents', undefined, { key: g.publishableKey });
      assert.equal(pkList.status, 401);
      const pkNoSecret = await g.api('GET', `/v1/payment_intents/${created.body.id}`, undefined, { key: g.publishableKey });
      assert.equal(pkNoSecret.status, 404);
      const pkWrongSecret = await g.api('GET', `/v1/payment_intents/${created.body.id}?client_secret=${created.body.id}_secret_x`, undefined, { key: g.publishableKey });
      assert.equal(pkWrongSecret.status, 404);
      const pkOk = await g.api('GET', `/v1/payment_intents/${created.body.id}?client_secret=${created.body.client_secret}`, undefined, { key: g.publishableKey });
      assert.equal(pkOk.status, 200);
      assert.equal(pkOk.body.id, created.body.id);
    });

    test('a publishable key with the client_secret gets Stripe\'s client-side view only, and may not expand', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', {
        ...SEED_000_WEB, description: 'Order 7', receipt_email: 'shopper@example.com', metadata: { margin: 'merchant-only-42' },
        payment_method_data: { type: 'alipay', metadata: { pm_note: 'merchant-only-pm' } },
      })).body;
      await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      const full = await eventually(async () => {
        const p = (await g.api('GET', `/v1/payment_intents/${pi.id}?expand[]=latest_charge`)).body;
        return p.status === 'succeeded' ? p : undefined;
      });
      assert.deepEqual(full.metadata, { margin: 'merchant-only-42' }, 'the secret key sees everything');
      assert.equal(full.latest_charge.object, 'charge');
      const view = await g.api('GET', `/v1/payment_intents/${pi.id}?client_secret=${pi.client_secret}`, undefined, { key: g.publishableKey });
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.deepEqual(Object.keys(view.body).sort(), [
        'amount', 'canceled_at', 'cancellation_reason', 'capture_method', 'client_secret', 'confirmation_method', 'created', 'currency',
        'description', 'id', 'last_payment_error', 'livemode', 'next_action', 'object', 'payment_method', 'payment_method_types',
        'processing', 'receipt_email', 'setup_future_usage', 'shipping', 'status',
      ]);
      assert.equal(view.body.status, 'succeeded');
      assert.equal(view.body.amount, 20);
      assert.equal(view.body.description, 'Order 7');
      assert.equal(view.body.receipt_email, 'shopper@example.com');
      assert.equal(view.body.client_secret, pi.client_secret);
      assert.match(view.body.payment_method, /^pm_/, 'the payment method as an id only');
      assert.equal(view.body.payment_method, full.payment_method);
      const text = JSON.stringify(view.body);
      for (const secret of ['merchant-only-42', 'merchant-only-pm', full.latest_charge.id]) assert.ok(!text.includes(secret), secret);

      for (const path of ['latest_charge', 'payment_method', 'latest_charge.payment_method']) {
        const res = await g.api('GET', `/v1/payment_intents/${pi.id}?client_secret=${pi.client_secret}&expand[]=${path}`, undefined, { key: g.publishableKey });
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, 'expand');
        assert.ok(!JSON.stringify(res.body).includes('merchant-only'), path);
      }
      const indexed = await g.api('GET', `/v1/payment_intents/${pi.id}?client_secret=${pi.client_secret}&expand[0]=latest_charge`, undefined, { key: g.publishableKey });
      assert.equal(indexed.body.error.param, 'expand');

      // A declined attempt: last_payment_error names the payment method by id, without its details.
      const declined = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, payment_method_data: { type: 'alipay', metadata: { pm_note: 'merchant-only-pm' } } })).body;
      await g.complete(declined.next_action.redirect_to_url.url, 'failed');
      const failed = await eventually(async () => {
        const p = (await g.api('GET', `/v1/payment_intents/${declined.id}`)).body;
        return p.last_payment_error ? p : undefined;
      });
      assert.deepEqual(failed.last_payment_error.payment_method.metadata, { pm_note: 'merchant-only-pm' }, 'the secret key sees the details');
      const failedView = (await g.api('GET', `/v1/payment_intents/${declined.id}?client_secret=${declined.client_secret}`, undefined, { key: g.publishableKey })).body;
      assert.equal(failedView.last_payment_error.code, failed.last_payment_error.code);
      assert.deepEqual(failedView.last_payment_error.payment_method, { id: failed.last_payment_error.payment_method.id, object: 'payment_method', type: 'alipay' });
    });

    test('unknown ids are 404 resource_missing; unknown routes are 404 too', async () => {
      const res = await g.api('GET', '/v1/payment_intents/pi_doesnotexist');
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'resource_missing');
      assert.equal(res.body.error.message, "No such payment_intent: 'pi_doesnotexist'");
      const route = await g.api('GET', '/v1/nothing_here');
      assert.equal(route.status, 404);
      assert.match(route.body.error.message, /Unrecognized request URL/);
      const ch = await g.api('GET', '/v1/charges/ch_nope');
      assert.equal(ch.status, 404);
    });

    test('cancel: allowed before processing, with a reason; refused once canceled', async () => {
      const created = await g.api('POST', '/v1/payment_intents', { amount: 20, currency: 'CNY' });
      const canceled = await g.api('POST', `/v1/payment_intents/${created.body.id}/cancel`, { cancellation_reason: 'requested_by_customer' });
      assert.equal(canceled.status, 200);
      assert.equal(canceled.body.status, 'canceled');
      assert.equal(canceled.body.cancellation_reason, 'requested_by_customer');
      assert.ok(canceled.body.canceled_at > 1e12);
      const again = await g.api('POST', `/v1/payment_intents/${created.body.id}/cancel`, {});
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'payment_intent_unexpected_state');
      const badReason = await g.api('POST', `/v1/payment_intents/${created.body.id}/cancel`, { cancellation_reason: 'bored' });
      assert.equal(badReason.body.error.param, 'cancellation_reason');
      // With the shopper already sent to the wallet, cancel closes the payment at Antom first.
      const redirected = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      const url = redirected.body.next_action.redirect_to_url.url;
      const c2 = await g.api('POST', `/v1/payment_intents/${redirected.body.id}/cancel`, {});
      assert.equal(c2.body.status, 'canceled');
      assert.equal(c2.body.next_action, null);
      const late = await g.complete(url, 'succeeded');
      assert.notEqual(late.status, 200, 'the wallet must refuse to pay a canceled payment');
    });

    test('list: newest first, limit, starting_after / ending_before, created filters in ms or seconds', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await g.api('POST', '/v1/payment_intents', { amount: 100 + i, currency: 'HKD' })).body.id);
      const first = await g.api('GET', '/v1/payment_intents?limit=2');
      assert.equal(first.body.object, 'list');
      assert.equal(first.body.url, '/v1/payment_intents');
      assert.equal(first.body.has_more, true);
      assert.deepEqual(first.body.data.map((p: any) => p.id), [ids[4], ids[3]]);
      const second = await g.api('GET', `/v1/payment_intents?limit=2&starting_after=${ids[3]}`);
      assert.deepEqual(second.body.data.map((p: any) => p.id), [ids[2], ids[1]]);
      const back = await g.api('GET', `/v1/payment_intents?limit=2&ending_before=${ids[1]}`);
      assert.deepEqual(back.body.data.map((p: any) => p.id), [ids[3], ids[2]]);
      assert.equal(back.body.has_more, true);
      const pi2 = (await g.api('GET', `/v1/payment_intents/${ids[2]}`)).body;
      const since = await g.api('GET', `/v1/payment_intents?limit=100&created[gte]=${pi2.created}`);
      assert.ok(since.body.data.every((p: any) => p.created >= pi2.created));
      assert.ok(since.body.data.some((p: any) => p.id === ids[4]));
      const seconds = await g.api('GET', `/v1/payment_intents?limit=100&created[gte]=${Math.floor(pi2.created / 1000)}`);
      assert.ok(seconds.body.data.some((p: any) => p.id === ids[2]));
      const none = await g.api('GET', `/v1/payment_intents?created[lt]=1000000000000`);
      assert.deepEqual(none.body.data, []);
      const badCursor = await g.api('GET', '/v1/payment_intents?starting_after=pi_nope');
      assert.equal(badCursor.status, 404);
      assert.equal(badCursor.body.error.param, 'starting_after');
      const badLimit = await g.api('GET', '/v1/payment_intents?limit=1000');
      assert.equal(badLimit.status, 400);
      assert.equal(badLimit.body.error.param, 'limit');
    });

    test('expand: bad paths are refused by name', async () => {
      const res = await g.api('GET', '/v1/payment_intents?expand[]=customer');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.param, 'expand');
    });

    test('every response carries a Request-Id, errors included', async () => {
      const res = await fetch(`${g.url}/v1/payment_intents`, { headers: { Authorization: 'Bearer nope' } });
      assert.match(res.headers.get('request-id') ?? '', /^req_[A-Za-z0-9]{20}$/);
      const home = await fetch(`${g.url}/`);
      assert.match(home.headers.get('request-id') ?? '', /^req_/);
    });
  });
}

describe('rate limit', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite', env: { RATE_LIMIT_PER_SECOND: '5' } });
  });
  after(async () => g?.stop());

  test('more requests per second than the key may make get 429 rate_limit with Retry-After', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => g.api('GET', '/v1/payment_intents?limit=1')));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length >= 10, results.map((r) => r.status).join());
    assert.ok(results.filter((r) => r.status === 200).length >= 1);
    assert.equal(limited[0]!.body.error.code, 'rate_limit');
    assert.equal(limited[0]!.headers.get('retry-after'), '1');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await g.api('GET', '/v1/payment_intents?limit=1')).status, 200, 'the next second has a fresh window');
  });
});
