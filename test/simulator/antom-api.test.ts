import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { privateKeyFromBase64, signatureHeader, signMessage } from '../../src/connectors/antom/signing.js';
import { generateAntomKeyPair } from '../../src/connectors/antom/signing.js';
import {
  complete, createPayment, getJson, paidPayment, payBody, payRequest, rawCall, SANDBOX_CLIENT_ID, startSimulator, uid, type Harness,
} from './helpers.js';

let h: Harness;
before(async () => {
  h = await startSimulator({ worker: false });
});
after(async () => {
  await h.close();
});

const DAY = 86_400_000;

test('pay through the gateway client answers PAYMENT_IN_PROCESS with the cashier on WEB and the wallet page on WAP and APP', async () => {
  for (const terminalType of ['WEB', 'WAP', 'APP'] as const) {
    const p = await createPayment(h, { terminalType });
    const normal = new URL(p.normalUrl);
    const applink = new URL(p.applinkUrl);
    assert.equal(normal.origin, h.baseUrl);
    assert.equal(normal.pathname, terminalType === 'WEB' ? '/simulator/cashier' : '/simulator/wallet', terminalType);
    assert.equal(applink.pathname, '/simulator/wallet');
    const code = normal.searchParams.get('codeValue')!;
    // At least 128 random bits: 22+ base64url characters.
    assert.match(code, /^[A-Za-z0-9_-]{22,}$/);
    assert.equal(applink.searchParams.get('codeValue'), code);
    assert.ok(p.schemeUrl.startsWith('alipays://platformapi/startApp?appId=10000007&qrcode='));
    assert.equal(new URL(p.schemeUrl).searchParams.get('qrcode'), p.applinkUrl);
    assert.match(p.paymentId, /^\d{20,64}$/);
  }
});

test('the pay answer carries Antom\'s fields, times with an offset and the QR code form', async () => {
  const body = payBody(h, { env: { terminalType: 'WAP', osType: 'ANDROID' } });
  const res = await rawCall(h, 'pay', body);
  assert.equal(res.status, 200);
  assert.equal(res.signed, true);
  assert.deepEqual(res.json.result, { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'payment in process' });
  assert.equal(res.json.paymentRequestId, body.paymentRequestId);
  assert.deepEqual(res.json.paymentAmount, { currency: 'PHP', value: '30000' });
  assert.match(String(res.json.paymentCreateTime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
  const form = res.json.orderCodeForm as { expireTime: string; codeDetails: { codeValueType: string; codeValue: string }[] };
  assert.match(form.expireTime, /\+08:00$/);
  assert.equal(form.codeDetails[0]!.codeValueType, 'QRCODE');
  assert.equal(form.codeDetails[0]!.codeValue, res.json.applinkUrl);
  assert.equal(res.json.normalUrl, res.json.applinkUrl);
  assert.equal(res.headers.get('client-id'), h.clientId);
  assert.match(res.headers.get('response-time')!, /^\d{13}$/);
  assert.match(res.headers.get('signature')!, /^algorithm=RSA256,keyVersion=1,signature=/);
});

test('sandbox client ids are served on the /ams/sandbox/ path, signed with that path', async () => {
  const client = h.clientWith(5000, SANDBOX_CLIENT_ID);
  const req = payRequest(h);
  const out = await client.pay(req);
  assert.equal(out.status, 'action_required');
  assert.equal((await client.inquiryPayment(req.paymentRequestId)).status, 'action_required');
  const raw = await rawCall(h, 'inquiryPayment', { paymentRequestId: req.paymentRequestId }, { clientId: SANDBOX_CLIENT_ID, path: '/ams/sandbox/api/v1/payments/inquiryPayment' });
  assert.equal(raw.json.paymentStatus, 'PROCESSING');
  assert.equal(raw.signed, true);
});

test('Request-Time in ISO-8601 (Python, PHP) is accepted like epoch milliseconds', async () => {
  for (const time of ['2025-01-01T12:00:00+00:00', '2025-01-01T12:00:00+0000']) {
    const res = await rawCall(h, 'pay', payBody(h), { time });
    assert.equal(res.json.result?.resultCode, 'PAYMENT_IN_PROCESS', time);
  }
  const missing = await rawCall(h, 'pay', payBody(h), { time: 'yesterday' });
  assert.equal(missing.json.result?.resultStatus, 'F');
});

test('a request signed with another key is refused with INVALID_SIGNATURE, and the refusal is signed', async () => {
  const other = generateAntomKeyPair();
  const res = await rawCall(h, 'pay', payBody(h), { privateKeyBase64: other.privateKeyBase64 });
  assert.equal(res.status, 200);
  assert.equal(res.json.result?.resultCode, 'INVALID_SIGNATURE');
  assert.equal(res.json.result?.resultStatus, 'F');
  assert.equal(res.signed, true);
  const none = await rawCall(h, 'pay', payBody(h), { signature: null });
  assert.equal(none.json.result?.resultCode, 'INVALID_SIGNATURE');
  const tampered = await rawCall(h, 'pay', payBody(h), { signature: 'algorithm=RSA256,keyVersion=1,signature=AAAA' });
  assert.equal(tampered.json.result?.resultCode, 'INVALID_SIGNATURE');
});

test('the signed path includes the query string, exactly as requested', async () => {
  const ok = await rawCall(h, 'pay', payBody(h), { path: '/ams/api/v1/payments/pay?trace=1' });
  assert.equal(ok.json.result?.resultCode, 'PAYMENT_IN_PROCESS');
  assert.equal(ok.signed, true);
  const bad = await rawCall(h, 'pay', payBody(h), { path: '/ams/api/v1/payments/pay?trace=1', signedPath: '/ams/api/v1/payments/pay' });
  assert.equal(bad.json.result?.resultCode, 'INVALID_SIGNATURE');
});

test('an unknown Client-Id is refused with INVALID_CLIENT', async () => {
  const res = await rawCall(h, 'pay', payBody(h), { clientId: 'SOMEONE_ELSE' });
  assert.equal(res.json.result?.resultCode, 'INVALID_CLIENT');
  assert.equal(res.json.result?.resultStatus, 'F');
  assert.equal(res.signed, true);
});

test('a body that is not a JSON object is PARAM_ILLEGAL', async () => {
  for (const body of ['not json', '[1,2]', 'null']) {
    const res = await rawCall(h, 'pay', body);
    assert.equal(res.json.result?.resultCode, 'PARAM_ILLEGAL', body);
  }
});

test('each missing required pay field is PARAM_ILLEGAL naming the field', async () => {
  const cases: [string, (b: Record<string, any>) => void][] = [
    ['productCode', (b) => delete b.productCode],
    ['paymentRequestId', (b) => delete b.paymentRequestId],
    ['paymentRequestId', (b) => (b.paymentRequestId = 'x'.repeat(65))],
    ['order', (b) => delete b.order],
    ['order.referenceOrderId', (b) => delete b.order.referenceOrderId],
    ['order.orderDescription', (b) => delete b.order.orderDescription],
    ['order.orderAmount', (b) => delete b.order.orderAmount],
    ['paymentAmount', (b) => delete b.paymentAmount],
    ['paymentAmount.value', (b) => (b.paymentAmount = { currency: 'PHP', value: 300 })],
    ['paymentAmount.currency', (b) => (b.paymentAmount = { value: '300' })],
    ['paymentMethod.paymentMethodType', (b) => (b.paymentMethod = {})],
    ['paymentRedirectUrl', (b) => delete b.paymentRedirectUrl],
    ['paymentRedirectUrl', (b) => (b.paymentRedirectUrl = 'javascript:alert(1)')],
    ['settlementStrategy', (b) => delete b.settlementStrategy],
    ['env', (b) => delete b.env],
    ['env.terminalType', (b) => (b.env = { terminalType: 'TV' })],
  ];
  for (const [field, mutate] of cases) {
    const body = payBody(h);
    mutate(body);
    const res = await rawCall(h, 'pay', body);
    assert.equal(res.json.result?.resultCode, 'PARAM_ILLEGAL', field);
    assert.ok(res.json.result?.resultMessage?.includes(field), `${field}: ${res.json.result?.resultMessage}`);
  }
  const wrongProduct = await rawCall(h, 'pay', payBody(h, { productCode: 'AGREEMENT_PAYMENT' }));
  assert.equal(wrongProduct.json.result?.resultCode, 'PARAM_ILLEGAL');
});

test('env under order (older Antom examples) is accepted', async () => {
  const body = payBody(h);
  delete body.env;
  (body.order as Record<string, unknown>).env = { terminalType: 'APP' };
  const res = await rawCall(h, 'pay', body);
  assert.equal(res.json.result?.resultCode, 'PAYMENT_IN_PROCESS');
  assert.equal(new URL(String(res.json.normalUrl)).pathname, '/simulator/wallet');
});

test('unknown methods and unserved currencies are refused', async () => {
  const method = await h.client.pay(payRequest(h, { upstreamMethod: 'CARD' }));
  assert.deepEqual([method.status, (method as { code?: string }).code], ['failed', 'PAYMENT_METHOD_NOT_SUPPORTED']);
  const cases: [string, string, number][] = [['CONNECT_WALLET', 'USD', 1000], ['ALIPAY_CN', 'PHP', 1000], ['GCASH', 'IDR', 100000], ['ALIPAY_CN', 'XXX', 100]];
  for (const [upstreamMethod, currency, amount] of cases) {
    const out = await h.client.pay(payRequest(h, { upstreamMethod, currency, amount }));
    assert.equal(out.status, 'failed', `${upstreamMethod} ${currency}`);
    assert.equal((out as { code: string }).code, 'CURRENCY_NOT_SUPPORT', `${upstreamMethod} ${currency}`);
  }
  for (const [upstreamMethod, currency, amount] of [['ALIPAY_CN', 'USD', 100], ['ALIPAY_CN', 'CNY', 1], ['CONNECT_WALLET', 'MYR', 500], ['ALIPAY_HK', 'HKD', 100], ['GCASH', 'PHP', 100]] as const) {
    const out = await h.client.pay(payRequest(h, { upstreamMethod, currency, amount }));
    assert.equal(out.status, 'action_required', `${upstreamMethod} ${currency}`);
  }
  const idr = await h.client.pay(payRequest(h, { upstreamMethod: 'CONNECT_WALLET', currency: 'IDR', amount: 10050 }));
  assert.deepEqual([idr.status, (idr as { code?: string }).code], ['failed', 'PARAM_ILLEGAL'], 'IDR must be whole rupiah');
  const small = await h.client.pay(payRequest(h, { upstreamMethod: 'GCASH', currency: 'PHP', amount: 50 }));
  assert.deepEqual([small.status, (small as { code?: string }).code], ['failed', 'PARAM_ILLEGAL'], 'below GCash minimum');
});

test('repeating a pay with the same paymentRequestId and the same content answers the same; other content is REPEAT_REQ_INCONSISTENT', async () => {
  const body = payBody(h);
  const first = await rawCall(h, 'pay', body);
  // Same meaning, different key order and spacing: still the same request.
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2);
  const again = await rawCall(h, 'pay', reordered);
  assert.equal(again.json.result?.resultCode, 'PAYMENT_IN_PROCESS');
  for (const f of ['paymentId', 'normalUrl', 'schemeUrl', 'applinkUrl', 'paymentCreateTime']) assert.equal(again.json[f], first.json[f], f);
  const changed = await rawCall(h, 'pay', { ...body, paymentAmount: { currency: 'PHP', value: '30001' } });
  assert.equal(changed.json.result?.resultCode, 'REPEAT_REQ_INCONSISTENT');
  assert.equal(changed.json.result?.resultStatus, 'F');
  const extra = await rawCall(h, 'pay', { ...body, userRegion: 'PH' });
  assert.equal(extra.json.result?.resultCode, 'REPEAT_REQ_INCONSISTENT', 'an added field is a different request');
  // Idempotency is per merchant: another Client-Id may reuse the id.
  const other = await rawCall(h, 'pay', body, { clientId: SANDBOX_CLIENT_ID });
  assert.equal(other.json.result?.resultCode, 'PAYMENT_IN_PROCESS');
  assert.notEqual(other.json.paymentId, first.json.paymentId);
});

test('concurrent identical pays create one payment', async () => {
  const body = payBody(h);
  const answers = await Promise.all(Array.from({ length: 5 }, () => rawCall(h, 'pay', body)));
  const ids = new Set(answers.map((a) => a.json.paymentId));
  assert.equal(ids.size, 1);
  assert.ok(answers.every((a) => a.json.result?.resultCode === 'PAYMENT_IN_PROCESS'));
});

test('a repeated pay after the payment succeeded or failed answers the final result', async () => {
  const paid = await paidPayment(h);
  const again = await h.client.pay(paid.req);
  assert.equal(again.status, 'succeeded');
  assert.equal((again as { paymentId?: string }).paymentId, paid.paymentId);
  const failed = await createPayment(h);
  await complete(h, failed.normalUrl, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' });
  const againFailed = await h.client.pay(failed.req);
  assert.deepEqual([againFailed.status, (againFailed as { code?: string }).code], ['failed', 'USER_BALANCE_NOT_ENOUGH']);
});

test('complete succeeded shows in inquiryPayment with the wallet, time and PSP customer', async () => {
  const p = await createPayment(h);
  const before = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.equal(before.status, 'action_required');
  const done = await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' });
  assert.equal(done.status, 200);
  assert.equal(done.json.status, 'SUCCESS');
  const out = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.equal(out.status, 'succeeded');
  const s = out as { paymentId?: string; wallet?: string; buyerId?: string; amount?: number; currency?: string; paidAt?: number };
  assert.equal(s.paymentId, p.paymentId);
  assert.equal(s.wallet, 'GCASH');
  assert.equal(s.amount, 30000);
  assert.equal(s.currency, 'PHP');
  assert.ok(s.buyerId && s.buyerId.length >= 8);
  assert.ok(s.paidAt && Math.abs(s.paidAt - Date.now()) < 5000);
  const raw = await rawCall(h, 'inquiryPayment', { paymentId: p.paymentId });
  assert.equal(raw.json.paymentStatus, 'SUCCESS');
  assert.equal(raw.json.paymentResultCode, 'SUCCESS');
  assert.equal(raw.json.paymentRequestId, p.req.paymentRequestId);
  assert.deepEqual(Object.keys(raw.json.pspCustomerInfo as object).sort(), ['displayCustomerId', 'pspCustomerId', 'pspName']);
});

test('inquiryPayment: paymentId wins over paymentRequestId; unknown is ORDER_NOT_EXIST; neither is PARAM_ILLEGAL', async () => {
  const a = await createPayment(h);
  const b = await createPayment(h);
  const res = await rawCall(h, 'inquiryPayment', { paymentId: a.paymentId, paymentRequestId: b.req.paymentRequestId });
  assert.equal(res.json.paymentId, a.paymentId);
  assert.equal(res.json.paymentStatus, 'PROCESSING');
  assert.equal((await rawCall(h, 'inquiryPayment', { paymentRequestId: 'nope' })).json.result?.resultCode, 'ORDER_NOT_EXIST');
  assert.equal((await rawCall(h, 'inquiryPayment', {})).json.result?.resultCode, 'PARAM_ILLEGAL');
  // Another merchant cannot read this one's payment.
  const foreign = await rawCall(h, 'inquiryPayment', { paymentId: a.paymentId }, { clientId: SANDBOX_CLIENT_ID });
  assert.equal(foreign.json.result?.resultCode, 'ORDER_NOT_EXIST');
});

test('complete failed shows as FAIL with the failure code; processing shows as PENDING until finalized', async () => {
  const f = await createPayment(h);
  await complete(h, f.schemeUrl, 'failed', { failure_code: 'RISK_REJECT' });
  const failed = await h.client.inquiryPayment(f.req.paymentRequestId);
  assert.deepEqual([failed.status, (failed as { code?: string }).code], ['failed', 'RISK_REJECT']);

  const p = await createPayment(h);
  assert.equal((await complete(h, p.applinkUrl, 'processing', { wallet: 'BPI' })).json.status, 'PENDING');
  assert.equal((await h.client.inquiryPayment(p.req.paymentRequestId)).status, 'processing');
  const done = await complete(h, p.normalUrl, 'succeeded');
  assert.equal(done.status, 200, JSON.stringify(done.json));
  const out = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.equal(out.status, 'succeeded');
  assert.equal((out as { wallet?: string }).wallet, 'BPI');
});

test('the complete API refuses what a wallet could not do', async () => {
  const p = await createPayment(h);
  assert.equal((await complete(h, 'https://example.com/?codeValue=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'succeeded')).status, 404);
  assert.equal((await complete(h, 'not a url', 'succeeded')).status, 400);
  const noWallet = await complete(h, p.normalUrl, 'succeeded');
  assert.deepEqual([noWallet.status, noWallet.json.error.code], [400, 'wallet_required']);
  const dana = await complete(h, p.normalUrl, 'succeeded', { wallet: 'DANA' });
  assert.deepEqual([dana.status, dana.json.error.code], [400, 'wallet_invalid']);
  const bad = await complete(h, p.normalUrl, 'teleported' as never);
  assert.equal(bad.status, 400);
  assert.equal((await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' })).status, 200);
  const again = await complete(h, p.normalUrl, 'failed');
  assert.deepEqual([again.status, again.json.error.code], [409, 'payment_final']);
  const alipay = await createPayment(h, { upstreamMethod: 'ALIPAY_CN', currency: 'CNY', amount: 100 });
  const auto = await complete(h, alipay.normalUrl, 'succeeded');
  assert.equal(auto.json.wallet, 'ALIPAY_CN', 'a single-wallet method needs no choice');
});

test('the debug view shows a payment by URL or by paymentId', async () => {
  const p = await createPayment(h);
  const byUrl = await getJson(h, `/simulator/v1/payments?url=${encodeURIComponent(p.schemeUrl)}`);
  assert.equal(byUrl.status, 200);
  assert.equal(byUrl.json.payment_id, p.paymentId);
  assert.equal(byUrl.json.status, 'PROCESSING');
  assert.equal(byUrl.json.amount, 30000);
  assert.deepEqual(byUrl.json.refunds, []);
  const byId = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  assert.equal(byId.json.payment_request_id, p.req.paymentRequestId);
  assert.equal((await getJson(h, '/simulator/v1/payments/123')).status, 404);
});

test('cancel: an open payment is cancelled, a repeat answers S again, a failed one is ORDER_STATUS_INVALID, an unknown one ORDER_NOT_EXIST', async () => {
  const p = await createPayment(h);
  assert.equal((await h.client.cancel(p.req.paymentRequestId)).status, 'canceled');
  const again = await rawCall(h, 'cancel', { paymentId: p.paymentId });
  assert.equal(again.json.result?.resultStatus, 'S');
  assert.equal(again.json.paymentRequestId, p.req.paymentRequestId);
  assert.match(String(again.json.cancelTime), /\+08:00$/);
  assert.equal((await h.client.inquiryPayment(p.req.paymentRequestId)).status, 'canceled');
  assert.deepEqual([(await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' })).status], [409]);

  const f = await createPayment(h);
  await complete(h, f.normalUrl, 'failed');
  const refused = await h.client.cancel(f.req.paymentRequestId);
  assert.deepEqual([refused.status, (refused as { code?: string }).code], ['refused', 'ORDER_STATUS_INVALID']);

  const unknown = await rawCall(h, 'cancel', { paymentRequestId: uid() });
  assert.equal(unknown.json.result?.resultCode, 'ORDER_NOT_EXIST');
});

test('cancel of a paid payment works until 00:15 GMT+8 the next day, then is CANCEL_WINDOW_EXCEED', async () => {
  const inWindow = await paidPayment(h);
  assert.equal((await h.client.cancel(inWindow.req.paymentRequestId)).status, 'canceled');
  assert.equal((await rawCall(h, 'inquiryPayment', { paymentId: inWindow.paymentId })).json.paymentStatus, 'CANCELLED');

  const late = await paidPayment(h);
  h.clock.offset += 2 * DAY;
  const refused = await h.client.cancel(late.req.paymentRequestId);
  assert.deepEqual([refused.status, (refused as { code?: string }).code], ['refused', 'CANCEL_WINDOW_EXCEED']);
});

test('an unpaid payment past its expiry is FAIL / ORDER_IS_CLOSED and cannot be paid', async () => {
  const p = await createPayment(h);
  h.clock.offset += 15 * 60_000;
  const out = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.deepEqual([out.status, (out as { code?: string }).code], ['failed', 'ORDER_IS_CLOSED']);
  const late = await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' });
  assert.equal(late.status, 409);
  assert.match(late.json.error.message, /expired/);
  const view = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  assert.equal(view.json.notifications.length, 1, 'the close is announced once');
  assert.equal(view.json.notifications[0].body.result.resultCode, 'ORDER_IS_CLOSED');
});

test('a custom paymentExpiryTime is honoured', async () => {
  const expiry = new Date(h.clock.now() + 60_000).toISOString().replace('Z', '+00:00');
  const res = await rawCall(h, 'pay', payBody(h, { paymentExpiryTime: expiry }));
  assert.equal(res.json.result?.resultCode, 'PAYMENT_IN_PROCESS');
  const form = res.json.orderCodeForm as { expireTime: string };
  assert.equal(Date.parse(form.expireTime), Math.floor(Date.parse(expiry) / 1000) * 1000);
  const past = await rawCall(h, 'pay', payBody(h, { paymentExpiryTime: '2001-01-01T00:00:00+08:00' }));
  assert.equal(past.json.result?.resultCode, 'PARAM_ILLEGAL');
});

test('an endpoint the simulator does not implement is NO_INTERFACE_DEF', async () => {
  const res = await rawCall(h, 'consult', { productCode: 'CASHIER_PAYMENT' });
  assert.equal(res.json.result?.resultCode, 'NO_INTERFACE_DEF');
  assert.equal(res.signed, true);
});

test('the plugin is encapsulated: routes beside it keep Fastify\'s JSON parser', async () => {
  const res = await fetch(`${h.baseUrl}/outside/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  assert.deepEqual(await res.json(), { body: { a: 1 } });
});

test('a request line in absolute form, as Alipay\'s official SDKs send it, is signed and verified over the path', async () => {
  const body = JSON.stringify(payBody(h));
  const path = '/ams/api/v1/payments/pay';
  const time = String(Date.now());
  const sig = signatureHeader(signMessage({ method: 'POST', path, clientId: h.clientId, time, body }, privateKeyFromBase64(h.merchant.privateKeyBase64)));
  const base = new URL(h.baseUrl);
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    // `path` given as an absolute URL: Node writes it into the request line as it is.
    const req = request({
      host: base.hostname, port: base.port, method: 'POST', path: `${h.baseUrl}${path}`,
      headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': h.clientId, 'request-time': time, signature: sig },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(answer.status, 200);
  const json = JSON.parse(answer.text);
  assert.equal(json.result.resultCode, 'PAYMENT_IN_PROCESS', answer.text);
});

test('POST /simulator/v1/complete takes only Antom\'s payment failure codes, and its error lists them', async () => {
  const p = await createPayment(h);
  const bad = await complete(h, p.normalUrl, 'failed', { failure_code: 'CARD_DECLINED' });
  assert.equal(bad.status, 400);
  const message = JSON.stringify(bad.json);
  for (const code of ['USER_BALANCE_NOT_ENOUGH', 'RISK_REJECT', 'PROCESS_FAIL']) assert.ok(message.includes(code), message);
  const good = await complete(h, p.normalUrl, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' });
  assert.equal(good.status, 200, JSON.stringify(good.json));
});

test('payment and refund ids look like Antom\'s but are unguessable: 40 random digits after the date and mark', async () => {
  // The script API shows a payment by its id without auth, and the view leads to the gateway's
  // return URL (and on to the client secret): knowing one id must not give away the next.
  const tail = (id: string) => id.slice(16);
  const differing = (a: string, b: string) => [...a].filter((c, i) => c !== b[i]).length;
  const payments = await Promise.all(Array.from({ length: 6 }, () => paidPayment(h)));
  const refunds = await Promise.all(payments.map(async (p) => {
    const out = await h.client.refund({ refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 100, currency: 'PHP' });
    assert.equal(out.status, 'succeeded', JSON.stringify(out));
    return (out as { refundId: string }).refundId;
  }));
  for (const [ids, mark] of [[payments.map((p) => p.paymentId), '19401080'], [refunds, '19401090']] as const) {
    for (const id of ids) assert.match(id, new RegExp(`^\\d{8}${mark}\\d{40}$`));
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        // Random digits differ in 36 of 40 places on average; consecutive numbers in one or two.
        assert.ok(differing(tail(ids[i]!), tail(ids[j]!)) >= 20, `${ids[i]} and ${ids[j]} are too alike`);
      }
    }
  }
  const id = payments[0]!.paymentId;
  const neighbour = id.slice(0, -1) + String((Number(id.at(-1)) + 1) % 10);
  assert.equal((await getJson(h, `/simulator/v1/payments/${neighbour}`)).status, 404);
  assert.equal((await getJson(h, `/simulator/v1/payments/${id}`)).status, 200);
});
