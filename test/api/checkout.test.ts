import { BAD_REDIRECT_URLS } from '../helpers/redirect-urls.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_CHECKOUT, SEED_003_CHECKOUT } from '../helpers/seeds.js';


const counts = async (g: TestGateway) => {
  const rows = await g.gateway.db.query<{ t: string; n: number }>(
    `SELECT 'cs' t, count(*)::int n FROM checkout_sessions UNION ALL SELECT 'pi', count(*)::int FROM payment_intents
     UNION ALL SELECT 'price', count(*)::int FROM prices UNION ALL SELECT 'prod', count(*)::int FROM products UNION ALL SELECT 'ev', count(*)::int FROM events`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
};

const eventTypes = async (g: TestGateway, objectId: string) =>
  (await g.gateway.db.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY seq', [objectId])).map((e) => e.type);

for (const { kind, skip } of await stores()) {
  describe(`Checkout Sessions, products and prices API [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let offset = 0;
    before(async () => {
      g = await startGateway({ store: kind, clock: { now: () => Date.now() + offset } });
    });
    after(async () => g?.stop());

    test('seed 000\'s request gives the seed\'s response, field for field', async () => {
      const res = await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const cs = res.body;
      assert.match(cs.id, /^cs_/);
      assert.equal(cs.object, 'checkout.session');
      assert.ok(Math.abs(cs.created - Date.now()) < 60_000, 'created in milliseconds');
      assert.equal(cs.currency, 'CNY');
      assert.equal(cs.customer, '');
      assert.equal(cs.mode, 'payment');
      assert.equal(cs.livemode, false);
      assert.equal(cs.status, 'open');
      assert.equal(cs.url, `${g.url}/pay/${cs.id}`);
      assert.equal(cs.cancel_url, 'www.baidu.com');
      assert.equal(cs.success_url, 'https://wooshpay.com/');
      assert.equal(cs.line_items.object, 'list');
      assert.equal(cs.line_items.data.length, 1);
      const li = cs.line_items.data[0];
      assert.match(li.id, /^li_/);
      assert.equal(li.object, 'item');
      assert.equal(li.currency, 'CNY');
      assert.equal(li.description, 'taiwan fengli');
      assert.equal(li.quantity, 1);
      assert.equal(li.amount_subtotal, 100000);
      assert.equal(li.amount_total, 100000);
      assert.match(li.price.id, /^price_/);
      assert.equal(li.price.object, 'price');
      assert.equal(li.price.active, true);
      assert.equal(li.price.currency, 'CNY');
      assert.equal(li.price.type, 'one_time');
      assert.equal(li.price.unit_amount, 100000);
      assert.equal(li.price.billing_scheme, 'per_unit', 'seed: "testscheme" in, "per_unit" out');
      assert.equal(li.price.lookup_key, 'test_lookup_key');
      assert.equal(li.price.livemode, false);
      assert.match(li.price.product.id, /^prod_/);
      assert.equal(li.price.product.object, 'product');
      assert.equal(li.price.product.name, 'taiwan fengli');
      assert.equal(li.price.product.active, true);
      assert.ok(li.price.product.updated > 1e12);
      assert.match(cs.payment_intent, /^pi_/);
      assert.deepEqual(cs.payment_method_types, ['alipay']);
      assert.equal(cs.payment_status, 'unpaid');
      assert.equal(cs.amount_subtotal, 100000);
      assert.equal(cs.amount_total, 100000);
      assert.equal(cs.billing_address_collection, 'auto');
      assert.ok(Math.abs(cs.expires_at - (cs.created + 24 * 3600_000)) < 2000, 'expires in 24 hours, in milliseconds');
      assert.equal(cs.payment_link, '');
      assert.match(cs.client_secret, new RegExp(`^${cs.payment_intent}_secret_`));
      for (const f of ['customer_email', 'client_reference_id', 'metadata', 'payment_method_options', 'shipping', 'phone_number_collection', 'shipping_address_collection']) assert.ok(f in cs, f);
      const pi = (await g.api('GET', `/v1/payment_intents/${cs.payment_intent}`)).body;
      assert.equal(pi.amount, 100000);
      assert.equal(pi.status, 'requires_payment_method');
      assert.equal(pi.client_secret, cs.client_secret);
    });

    test('seed 003\'s Alipay+ request: GBP, metadata, nickname, product description and url, alipayplus options', async () => {
      const res = await g.api('POST', '/v1/checkout/sessions', SEED_003_CHECKOUT);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const cs = res.body;
      assert.equal(cs.currency, 'GBP');
      assert.equal(cs.success_url, 'www.wooshpay.com');
      assert.deepEqual(cs.payment_method_types, ['alipayplus']);
      assert.deepEqual(cs.payment_method_options, { alipayplus: { terminal_type: 'WEB' } });
      const price = cs.line_items.data[0].price;
      assert.deepEqual(price.metadata, { key1: 'value1', key2: 'value2' });
      assert.equal(price.nickname, 'fengli');
      assert.equal(price.product.description, 'very delicious');
      assert.deepEqual(price.product.metadata, { key1: 'value1', key2: 'value2' });
      assert.equal(price.product.url, 'www.baidu.com');
      assert.equal(cs.amount_total, 5);
    });

    test('the seeds\' rules are 400s that name the parameter and create nothing', async () => {
      const before = await counts(g);
      const item = (currency: string, extra: object = {}) => ({ price_data: { currency, unit_amount: 500, product_data: { name: 'Tea' }, ...extra }, quantity: 1 });
      const cases: [object, string][] = [
        [{ success_url: 'https://x.example', line_items: [item('CNY'), item('HKD')] }, 'line_items[1][price_data][currency]'],
        [{ success_url: 'https://x.example', line_items: [item('CNY', { recurring: { interval: 'month' } })] }, 'line_items[0][price_data][recurring]'],
        [{ success_url: 'https://x.example', payment_method_types: ['alipay'], line_items: [item('IDR')] }, 'payment_method_types[0]'],
        [{ success_url: 'https://x.example', payment_method_options: { alipayplus: {} }, line_items: [item('USD')] }, 'payment_method_options[alipayplus]'],
        [{ success_url: 'https://x.example', line_items: [item('BRL')] }, 'line_items[0][price_data][currency]'],
        [{ success_url: 'https://x.example', mode: 'subscription', line_items: [item('CNY')] }, 'mode'],
        [{ line_items: [item('CNY')] }, 'success_url'],
        [{ success_url: 'https://x.example', line_items: [] }, 'line_items'],
        [{ success_url: 'https://x.example', line_items: [{ price_data: { currency: 'CNY', unit_amount: 5 }, quantity: 1 }] }, 'line_items[0][price_data][product_data]'],
        [{ success_url: 'https://x.example', line_items: [{ quantity: 1 }] }, 'line_items[0][price]'],
        [{ success_url: 'https://x.example', line_items: [item('CNY')], currency: 'HKD' }, 'currency'],
        [{ success_url: 'https://x.example', line_items: [item('CNY')], expires_at: Math.floor(Date.now() / 1000) + 60 }, 'expires_at'],
      ];
      for (const [body, param] of cases) {
        const res = await g.api('POST', '/v1/checkout/sessions', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, param, JSON.stringify(res.body));
      }
      const missing = await g.api('POST', '/v1/checkout/sessions', { success_url: 'https://x.example', line_items: [{ price: 'price_nope', quantity: 1 }] });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.param, 'line_items[0][price]');
      assert.deepEqual(await counts(g), before);
    });

    test('success_url and cancel_url take http(s) or the seeds\' bare host only; a refused one creates nothing', async () => {
      const before = await counts(g);
      for (const bad of BAD_REDIRECT_URLS) {
        for (const param of ['success_url', 'cancel_url'] as const) {
          const res = await g.api('POST', '/v1/checkout/sessions', { ...SEED_003_CHECKOUT, [param]: bad });
          assert.equal(res.status, 400, `${param} ${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.param, param);
        }
      }
      assert.deepEqual(await counts(g), before);
      const seed = await g.api('POST', '/v1/checkout/sessions', SEED_003_CHECKOUT);
      assert.equal(seed.status, 200, JSON.stringify(seed.body));
      assert.equal(seed.body.success_url, 'www.wooshpay.com');
      assert.equal(seed.body.cancel_url, 'www.baide.com');
      const page = await fetch(`${g.url}/pay/${seed.body.id}`);
      assert.match(await page.text(), /href="https:\/\/www\.baide\.com"/, 'the page follows a bare host as https');
    });

    test('products and prices: create, retrieve, update, list; a price id in a line item; quantities add up', async () => {
      const prod = await g.api('POST', '/v1/products', { name: 'Oolong tea', description: '100 g tin', metadata: { sku: 'OT-100' }, images: ['https://img.example/t.png'] });
      assert.equal(prod.status, 200, JSON.stringify(prod.body));
      assert.match(prod.body.id, /^prod_/);
      const price = await g.api('POST', '/v1/prices', { product: prod.body.id, currency: 'hkd', unit_amount: 4500, nickname: 'tin', lookup_key: 'oolong_tin' });
      assert.equal(price.body.currency, 'HKD');
      assert.equal(price.body.product, prod.body.id);
      const withProduct = await g.api('GET', `/v1/prices/${price.body.id}?expand[]=product`);
      assert.equal(withProduct.body.product.name, 'Oolong tea');
      const upd = await g.api('POST', `/v1/products/${prod.body.id}`, { default_price: price.body.id, metadata: { sku: '' } });
      assert.equal(upd.body.default_price, price.body.id);
      assert.deepEqual(upd.body.metadata, {});
      assert.deepEqual((await g.api('POST', `/v1/prices/${price.body.id}`, { nickname: 'big tin' })).body.nickname, 'big tin');
      const byKey = await g.api('GET', '/v1/prices?lookup_keys[]=oolong_tin');
      assert.deepEqual(byKey.body.data.map((p: any) => p.id), [price.body.id]);
      const byProduct = await g.api('GET', `/v1/prices?product=${prod.body.id}`);
      assert.equal(byProduct.body.data.length, 1);
      assert.ok((await g.api('GET', '/v1/products?limit=100')).body.data.some((p: any) => p.id === prod.body.id));
      assert.deepEqual(await eventTypes(g, prod.body.id), ['product.created', 'product.updated']);
      const cs = await g.api('POST', '/v1/checkout/sessions', {
        success_url: 'https://shop.example/ok', line_items: [{ price: price.body.id, quantity: 3 }, { price_data: { currency: 'HKD', unit_amount: 1000, product_data: { name: 'Cup' } }, quantity: 2 }],
        customer_email: 'shopper@example.com', client_reference_id: 'order-77', metadata: { order: '77' }, locale: 'zh-HK',
      });
      assert.equal(cs.status, 200, JSON.stringify(cs.body));
      assert.equal(cs.body.amount_total, 4500 * 3 + 2000);
      assert.deepEqual(cs.body.line_items.data.map((l: any) => [l.description, l.quantity, l.amount_total]), [['Oolong tea', 3, 13500], ['Cup', 2, 2000]]);
      assert.deepEqual(cs.body.payment_method_types, ['alipay', 'alipayplus']);
      assert.equal(cs.body.customer_email, 'shopper@example.com');
      assert.equal(cs.body.client_reference_id, 'order-77');
      assert.equal(cs.body.locale, 'zh-HK');
      const items = await g.api('GET', `/v1/checkout/sessions/${cs.body.id}/line_items?limit=1`);
      assert.equal(items.body.has_more, true);
      assert.equal(items.body.data[0].description, 'Oolong tea');
      const next = await g.api('GET', `/v1/checkout/sessions/${cs.body.id}/line_items?limit=1&starting_after=${items.body.data[0].id}`);
      assert.equal(next.body.data[0].description, 'Cup');
      assert.equal(next.body.has_more, false);
      await g.api('POST', `/v1/prices/${price.body.id}`, { active: false });
      const inactive = await g.api('POST', '/v1/checkout/sessions', { success_url: 'https://x.example', line_items: [{ price: price.body.id, quantity: 1 }] });
      assert.equal(inactive.status, 400);
    });

    test('the session\'s PaymentIntent cannot be confirmed, canceled or re-priced directly', async () => {
      const cs = (await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT)).body;
      const confirm = await g.api('POST', `/v1/payment_intents/${cs.payment_intent}/confirm`, { payment_method_data: { type: 'alipay' }, return_url: 'https://x.example' });
      assert.equal(confirm.status, 400);
      assert.match(confirm.body.error.message, new RegExp(cs.id));
      const cancel = await g.api('POST', `/v1/payment_intents/${cs.payment_intent}/cancel`, {});
      assert.equal(cancel.status, 400);
      const amount = await g.api('POST', `/v1/payment_intents/${cs.payment_intent}`, { amount: 1 });
      assert.equal(amount.status, 400);
      const meta = await g.api('POST', `/v1/payment_intents/${cs.payment_intent}`, { metadata: { note: 'ok' } });
      assert.equal(meta.status, 200);
    });

    test('expire: status expired, no url, event checkout.session.expired, PaymentIntent canceled; only once', async () => {
      const cs = (await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT)).body;
      const ex = await g.api('POST', `/v1/checkout/sessions/${cs.id}/expire`, {});
      assert.equal(ex.status, 200, JSON.stringify(ex.body));
      assert.equal(ex.body.status, 'expired');
      assert.equal(ex.body.url, null);
      assert.equal(ex.body.payment_status, 'unpaid');
      const pi = (await g.api('GET', `/v1/payment_intents/${cs.payment_intent}`)).body;
      assert.equal(pi.status, 'canceled');
      assert.equal(pi.cancellation_reason, 'expired');
      assert.deepEqual(await eventTypes(g, cs.id), ['checkout.session.expired']);
      const again = await g.api('POST', `/v1/checkout/sessions/${cs.id}/expire`, {});
      assert.equal(again.status, 400);
      const page = await fetch(`${g.url}/pay/${cs.id}`);
      assert.equal(page.status, 200);
    });

    test('a session expires by itself when its time is up', async () => {
      const cs = (await g.api('POST', '/v1/checkout/sessions', { ...SEED_000_CHECKOUT, expires_at: Math.floor(Date.now() / 1000) + 1900 })).body;
      assert.ok(Math.abs(cs.expires_at - (Date.now() + 1_900_000)) < 5000, 'expires_at in seconds was read, and is shown in ms');
      offset = 2_000_000;
      try {
        const expired = await eventually(async () => {
          const s = (await g.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
          return s.status === 'expired' ? s : undefined;
        });
        assert.equal(expired.url, null);
        assert.deepEqual(await eventTypes(g, cs.id), ['checkout.session.expired']);
      } finally {
        offset = 0;
      }
    });

    test('list by payment_intent and status', async () => {
      const cs = (await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT)).body;
      const byPi = await g.api('GET', `/v1/checkout/sessions?payment_intent=${cs.payment_intent}`);
      assert.deepEqual(byPi.body.data.map((s: any) => s.id), [cs.id]);
      const open = await g.api('GET', '/v1/checkout/sessions?status=open&limit=100');
      assert.ok(open.body.data.every((s: any) => s.status === 'open'));
      assert.ok(open.body.data.some((s: any) => s.id === cs.id));
      const expired = await g.api('GET', '/v1/checkout/sessions?status=expired&limit=100');
      assert.ok(!expired.body.data.some((s: any) => s.id === cs.id));
    });

    test('the official stripe SDK: checkout.sessions.create with price_data, retrieve, list, listLineItems, expire', async () => {
      const stripe = new Stripe(g.secretKey, { host: '127.0.0.1', port: Number(new URL(g.url).port), protocol: 'http', telemetry: false });
      const cs = await stripe.checkout.sessions.create(({
        mode: 'payment',
        success_url: 'https://shop.example/success?session_id={CHECKOUT_SESSION_ID}',
        cancel_url: 'https://shop.example/cart',
        payment_method_types: ['alipay'],
        line_items: [{ price_data: { currency: 'cny', unit_amount: 2500, product_data: { name: 'Mooncake', description: 'Lotus paste' } }, quantity: 4 }],
        metadata: { order_id: 'M-1' },
      }) as unknown as Stripe.Checkout.SessionCreateParams);
      assert.equal(cs.object, 'checkout.session');
      assert.equal(cs.amount_total, 10000);
      // Stripe's conventions for Stripe's SDK: lower-case currency, expires_at in seconds.
      assert.equal(cs.currency, 'cny');
      assert.ok(Math.abs(cs.expires_at - (Date.now() / 1000 + 86_400)) < 600, `expires_at ${cs.expires_at}`);
      assert.equal(cs.status, 'open');
      assert.ok(cs.url);
      assert.equal((await stripe.checkout.sessions.retrieve(cs.id)).id, cs.id);
      const items = await stripe.checkout.sessions.listLineItems(cs.id);
      assert.equal(items.data[0]!.quantity, 4);
      const listed = await stripe.checkout.sessions.list({ payment_intent: cs.payment_intent as string });
      assert.deepEqual(listed.data.map((s) => s.id), [cs.id]);
      const expired = await stripe.checkout.sessions.expire(cs.id);
      assert.equal(expired.status, 'expired');
      await assert.rejects(stripe.checkout.sessions.create({ mode: 'payment', success_url: 'https://x.example', line_items: [
        { price_data: { currency: 'cny', unit_amount: 1, product_data: { name: 'a' } }, quantity: 1 },
        { price_data: { currency: 'usd', unit_amount: 1, product_data: { name: 'b' } }, quantity: 1 },
      ] }), (err: any) => err.type === 'StripeInvalidRequestError' && err.param === 'line_items[1][price_data][currency]');
    });
  });
}
